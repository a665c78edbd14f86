"""Draining: a sweep's groups go to the workers within the user's room, one task a group;
members waiting their turn are neither sent one by one nor failed for waiting."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_q.conf import Conf

from experiments import reliability, services
from experiments.models import Experiment
from models_zoo.budget import training_images
from models_zoo.config import RunConfig
from sweeps import services as sweeps
from sweeps.apps import GROUP_TASK_PATH
from sweeps.models import Sweep, SweepMember
from tests.factories import queued_run
from tests.sweeps.helpers import BASE, finish

pytestmark = pytest.mark.django_db


def make(user: Any, seeds: int = 2, vary: dict[str, list[Any]] | None = None) -> Sweep:
    return sweeps.sweep_create(user=user, config=BASE, seeds=seeds, vary=vary)


def sent(sweep: Sweep) -> list[int]:
    """Positions of the members handed to the workers."""
    rows = sweep.members.filter(sent_at__isnull=False).order_by("position")
    return list(rows.values_list("position", flat=True))


def drain(user: Any, capture: Any) -> list[Any]:
    """Drains the user's sweeps; the tasks it would send after commit, not run."""
    with capture() as callbacks:
        sweeps.drain(owner_id=user.pk)
    return callbacks


def test_groups_go_while_there_is_room_and_the_rest_waits(
    alice: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.MAX_ACTIVE_EXPERIMENTS = 3
    # Two groups of two seeds each (the epochs differ, so they cannot share a computation).
    sweep = make(alice, vary={"epochs": [2, 3]})
    assert len(drain(alice, django_capture_on_commit_callbacks)) == 1
    assert sent(sweep) == [0, 1]
    first = Experiment.objects.filter(sweep_member__position__in=[0, 1])
    assert all(run.sent_at is not None and run.heartbeat_at is not None for run in first)
    # Two of three places taken: the next group of two does not fit.
    assert drain(alice, django_capture_on_commit_callbacks) == []
    assert sent(sweep) == [0, 1]
    for run in first:
        finish(run, rs=[0.5, 0.6])
    assert len(drain(alice, django_capture_on_commit_callbacks)) == 1
    assert sent(sweep) == [0, 1, 2, 3]


def test_ordinary_runs_take_room_too(
    alice: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.MAX_ACTIVE_EXPERIMENTS = 2
    ordinary = queued_run(alice)
    sweep = make(alice)
    # One place left, a group of two: it waits while the ordinary run is active.
    assert drain(alice, django_capture_on_commit_callbacks) == []
    assert sent(sweep) == []
    services.experiment_cancel(user=alice, experiment=ordinary)
    assert len(drain(alice, django_capture_on_commit_callbacks)) == 1
    assert sent(sweep) == [0, 1]


def test_a_group_larger_than_the_cap_goes_when_nothing_else_is_active(
    alice: Any, bob: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.MAX_ACTIVE_EXPERIMENTS = 1
    sweep = make(alice, seeds=4)
    queued_run(bob)  # another user's run takes none of alice's room
    assert len(drain(alice, django_capture_on_commit_callbacks)) == 1
    assert sent(sweep) == [0, 1, 2, 3]


def test_one_task_carries_the_whole_group(
    alice: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(sweeps, "async_task", lambda *args, **kw: calls.append(args))
    sweep = make(alice, seeds=3)
    with django_capture_on_commit_callbacks(execute=True):
        sweeps.drain(owner_id=alice.pk)
    ids = list(sweep.members.order_by("position").values_list("experiment_id", flat=True))
    assert calls == [(GROUP_TASK_PATH, ids)]


def test_a_group_with_more_training_images_than_allowed_goes_in_parts(
    alice: Any,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(sweeps, "async_task", lambda *args, **kw: calls.append(args))
    sweep = make(alice, seeds=5)
    each = training_images(RunConfig.from_dict(BASE))
    settings.MAX_GROUP_IMAGES = 2 * each  # two members' training data a task
    settings.MAX_ACTIVE_EXPERIMENTS = 5
    with django_capture_on_commit_callbacks(execute=True):
        sweeps.drain(owner_id=alice.pk)
    ids = list(sweep.members.order_by("position").values_list("experiment_id", flat=True))
    assert calls == [
        (GROUP_TASK_PATH, ids[0:2]),
        (GROUP_TASK_PATH, ids[2:4]),
        (GROUP_TASK_PATH, ids[4:5]),
    ]
    assert sent(sweep) == [0, 1, 2, 3, 4]


def test_held_members_do_not_count_as_active_for_ordinary_runs(alice: Any, settings: Any) -> None:
    settings.MAX_ACTIVE_EXPERIMENTS = 1
    make(alice, seeds=5)
    assert services.active_count(user=alice) == 0
    queued_run(alice)  # not refused: the sweep's runs wait their turn
    with pytest.raises(services.TooManyActive):
        queued_run(alice)


def test_held_members_are_neither_sent_again_nor_failed_for_waiting(
    alice: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sweep = make(alice, seeds=2)
    resent: list[int] = []
    monkeypatch.setattr(services, "enqueue", lambda *, experiment_id: resent.append(experiment_id))
    monkeypatch.setattr(reliability, "broker_waiting_experiments", lambda: set())
    later = timezone.now() + timedelta(seconds=settings.QUEUE_TIMEOUT + 60)
    assert reliability.experiment_resend_lost(now=later) == []
    assert reliability.experiment_reap_stale(now=later) == 0
    assert set(Experiment.objects.values_list("status", flat=True)) == {"queued"}
    # An ordinary queued run beside them is still looked after.
    ordinary = queued_run(alice)
    Experiment.objects.filter(pk=ordinary.pk).update(sent_at=timezone.now() - timedelta(hours=2))
    assert reliability.experiment_resend_lost(now=later) == [ordinary.pk]
    assert sweep.members.filter(experiment__status="queued").count() == 2


def test_a_group_task_waiting_in_the_broker_is_seen_by_the_watchdog(
    alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Conf, "SYNC", False)
    sweep = make(alice, seeds=2)
    ids = list(sweep.members.values_list("experiment_id", flat=True))
    sweeps.send_group(sweep_id=sweep.pk, experiment_ids=ids)
    assert set(ids) <= (reliability.broker_waiting_experiments() or set())


def test_a_sweep_is_stamped_finished_when_its_runs_are(alice: Any) -> None:
    sweep = make(alice, seeds=2)
    runs = [member.experiment for member in sweep.members.all()]
    finish(runs[0], rs=[0.1, 0.2])
    sweeps.close_finished()
    sweep.refresh_from_db()
    assert sweep.finished_at is None
    finish(runs[1], rs=[0.1, 0.2])
    sweeps.close_finished()
    sweep.refresh_from_db()
    assert sweep.finished_at is not None


def test_cancel_stops_every_active_run_and_a_second_cancel_is_a_409(
    alice: Any, alice_api: Any
) -> None:
    sweep = make(alice, seeds=3)
    done = sweep.members.get(position=0).experiment
    finish(done, rs=[0.3, 0.4])
    response = alice_api.post(f"/api/v1/sweeps/{sweep.pk}/cancel/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "cancelled"
    assert body["counts"]["cancelled"] == 2 and body["counts"]["done"] == 1
    assert alice_api.post(f"/api/v1/sweeps/{sweep.pk}/cancel/").status_code == 409
    # A cancelled member is never sent.
    assert not SweepMember.objects.filter(sent_at__isnull=False).exists()
    assert sweeps.drain(owner_id=alice.pk) == 0
