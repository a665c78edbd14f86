"""Services: validation, numbering, limits and every state change of an experiment."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from drawing.models import ShapeClass
from experiments import lifecycle, reliability, services
from experiments.models import Experiment

pytestmark = pytest.mark.django_db

CONFIG = {"classes": ["box", "line", "circle"], "model": "mlp", "epochs": 3, "seed": 7}


def create(user: Any, **changes: Any) -> Experiment:
    return services.experiment_create(user=user, config={**CONFIG, **changes})


def test_create_stores_a_queued_experiment_with_the_validated_config(alice: Any) -> None:
    experiment = create(alice)
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.QUEUED
    assert experiment.owner == alice
    assert experiment.config["classes"] == ["box", "line", "circle"]
    assert experiment.config["step_size"] == 0.005  # the paper's default filled in
    assert experiment.seed == 7
    assert experiment.model_name == "mlp"
    assert experiment.class_keys == ["box", "line", "circle"]
    assert experiment.progress["phase"] == "queued"


def test_create_enqueues_after_commit(alice: Any, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        create(alice)
    assert len(callbacks) == 1


def test_create_chooses_and_stores_a_seed_when_none_is_given(alice: Any) -> None:
    seeds = {create(alice, seed=None).seed for _ in range(3)}
    assert all(0 <= seed < 2**31 for seed in seeds)
    assert len(seeds) > 1


def test_numbers_count_per_user(alice: Any, bob: Any, settings: Any) -> None:
    settings.MAX_ACTIVE_EXPERIMENTS = 10
    numbers = [create(alice).number for _ in range(3)]
    assert numbers == [1, 2, 3]
    assert create(bob).number == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"classes": ["box"]}, "classes"),
        ({"classes": ["box", "no_such_shape"]}, "classes"),
        ({"model": "transformer"}, "model"),
        ({"epochs": 0}, "epochs"),
        ({"epochs": "many"}, "epochs"),
        ({"step_size": -1}, "step_size"),
        ({"initial_image": "purple"}, "initial_image"),
        ({"unknown_setting": 1}, "unknown_setting"),
    ],
)
def test_create_names_the_bad_field(alice: Any, changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        create(alice, **changes)
    assert list(caught.value.message_dict) == [field]
    assert not Experiment.objects.exists()


@pytest.mark.parametrize(
    ("limit", "changes", "field"),
    [
        ("MAX_EPOCHS", {"epochs": 11}, "epochs"),
        ("MAX_STEPS", {"max_steps": 11}, "max_steps"),
    ],
)
def test_create_applies_the_server_limits(
    alice: Any, settings: Any, limit: str, changes: dict[str, Any], field: str
) -> None:
    setattr(settings, limit, 10)
    with pytest.raises(ValidationError) as caught:
        create(alice, **changes)
    assert "on this server" in caught.value.message_dict[field][0]


def test_create_applies_the_class_limit(alice: Any, settings: Any) -> None:
    settings.MAX_CLASSES = 2
    with pytest.raises(ValidationError) as caught:
        create(alice)
    assert "at most 2 classes" in caught.value.message_dict["classes"][0]


def test_create_refuses_more_active_experiments_than_allowed(alice: Any, settings: Any) -> None:
    settings.MAX_ACTIVE_EXPERIMENTS = 2
    first = create(alice)
    create(alice)
    with pytest.raises(services.TooManyActive):
        create(alice)
    services.experiment_cancel(user=alice, experiment=first)
    assert create(alice).number == 3  # the refused request took no number


def test_a_drawn_class_is_copied_so_deleting_it_keeps_the_experiment(alice: Any) -> None:
    pixels = [[0.0] * 28 for _ in range(28)]
    pixels[10][10] = 1.0
    drawn = ShapeClass.objects.create(owner=alice, key="dot", name="Dot", pixels=pixels)
    experiment = create(alice, classes=["box", "dot", "noise"])
    drawn.delete()
    experiment.refresh_from_db()
    copies = {item["key"]: item for item in experiment.trained_on}
    assert copies["dot"]["pixels"] == pixels
    assert copies["dot"]["name"] == "Dot"
    assert copies["noise"]["noise"] == "noise" and copies["noise"]["pixels"] is None
    specs = services.class_specs(experiment=experiment)
    assert [spec.key for spec in specs] == ["box", "dot", "noise"]
    assert specs[1].image is not None and specs[1].image[10, 10] == 1.0


def test_another_users_drawn_class_is_unknown(alice: Any, bob: Any) -> None:
    ShapeClass.objects.create(owner=bob, key="dot", name="Dot", pixels=[[0.0] * 28] * 28)
    with pytest.raises(ValidationError) as caught:
        create(alice, classes=["box", "dot"])
    assert "unknown class 'dot'" in caught.value.message_dict["classes"][0]


def test_start_moves_queued_to_running_once(alice: Any) -> None:
    experiment = create(alice)
    assert lifecycle.experiment_start(experiment_id=experiment.pk) is True
    assert lifecycle.experiment_start(experiment_id=experiment.pk) is False
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.RUNNING
    assert experiment.attempts == 1
    assert experiment.started_at is not None and experiment.heartbeat_at is not None


def test_start_of_a_missing_experiment_does_nothing() -> None:
    assert lifecycle.experiment_start(experiment_id=123456) is False


def test_progress_is_recorded_only_while_running(alice: Any) -> None:
    experiment = create(alice)
    progress = {"phase": "train", "done": 1, "total": 3, "fraction": 0.3, "metrics": {}}
    assert lifecycle.experiment_progress(experiment_id=experiment.pk, progress=progress) is False
    lifecycle.experiment_start(experiment_id=experiment.pk)
    assert lifecycle.experiment_progress(experiment_id=experiment.pk, progress=progress) is True
    experiment.refresh_from_db()
    assert experiment.progress == progress


def test_cancel_stops_a_queued_experiment_and_refuses_a_finished_one(alice: Any) -> None:
    experiment = create(alice)
    services.experiment_cancel(user=alice, experiment=experiment)
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.CANCELLED
    assert experiment.finished_at is not None
    with pytest.raises(services.ExperimentFinished):
        services.experiment_cancel(user=alice, experiment=experiment)
    assert lifecycle.experiment_start(experiment_id=experiment.pk) is False


def test_cancel_checks_the_owner(alice: Any, bob: Any) -> None:
    experiment = create(alice)
    with pytest.raises(services.ExperimentFinished):
        services.experiment_cancel(user=bob, experiment=experiment)
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.QUEUED


def test_fail_records_the_message_and_does_not_undo_a_cancel(alice: Any) -> None:
    experiment = create(alice)
    lifecycle.experiment_start(experiment_id=experiment.pk)
    assert lifecycle.experiment_fail(experiment_id=experiment.pk, error="Out of paint.") is True
    experiment.refresh_from_db()
    assert (experiment.status, experiment.error) == ("failed", "Out of paint.")
    cancelled = create(alice)
    services.experiment_cancel(user=alice, experiment=cancelled)
    assert lifecycle.experiment_fail(experiment_id=cancelled.pk, error="late") is False
    cancelled.refresh_from_db()
    assert cancelled.status == "cancelled" and cancelled.error == ""


def test_reaper_fails_silent_running_and_forgotten_queued_experiments(
    alice: Any, settings: Any
) -> None:
    settings.MAX_ACTIVE_EXPERIMENTS = 10
    settings.HEARTBEAT_TIMEOUT = 60
    settings.QUEUE_TIMEOUT = 600
    alive, dead, waiting = create(alice), create(alice), create(alice)
    for experiment in (alive, dead):
        lifecycle.experiment_start(experiment_id=experiment.pk)
    now = timezone.now()
    Experiment.objects.filter(pk=dead.pk).update(heartbeat_at=now - timedelta(seconds=61))
    assert reliability.experiment_reap_stale(now=now) == 1
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == "failed" and "stopped responding" in dead.error
    assert alive.status == "running"
    assert reliability.experiment_reap_stale(now=now + timedelta(seconds=601)) == 2
    waiting.refresh_from_db()
    assert waiting.status == "failed" and "No worker" in waiting.error


def test_a_task_the_broker_lost_is_sent_again_once(
    alice: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.MAX_ACTIVE_EXPERIMENTS = 10
    settings.RESEND_AFTER = 120
    sent: list[int] = []
    monkeypatch.setattr(services, "enqueue", lambda *, experiment_id: sent.append(experiment_id))
    queue_size: list[int | None] = [0]
    monkeypatch.setattr(reliability, "broker_queue_size", lambda: queue_size[0])
    in_queue: list[set[int] | None] = [set()]
    monkeypatch.setattr(reliability, "broker_waiting_experiments", lambda: in_queue[0])
    waiting, started = create(alice), create(alice)
    lifecycle.experiment_start(experiment_id=started.pk)
    then = timezone.now()
    Experiment.objects.filter(pk__in=[waiting.pk, started.pk]).update(sent_at=then)

    assert reliability.experiment_resend_lost(now=then + timedelta(seconds=60)) == []
    later = then + timedelta(seconds=121)
    in_queue[0] = {waiting.pk}  # its task is still waiting behind others
    assert reliability.experiment_resend_lost(now=later) == []
    # The queue cannot be read: only an empty queue says the task is lost.
    in_queue[0] = None
    queue_size[0] = 3
    assert reliability.experiment_resend_lost(now=later) == []
    queue_size[0] = None  # nor asked for its size
    assert reliability.experiment_resend_lost(now=later) == []
    assert sent == []
    # Other tasks wait, but none for it: sent again, however long the queue.
    in_queue[0] = {waiting.pk + 100}
    assert reliability.experiment_resend_lost(now=later) == [waiting.pk]
    assert sent == [waiting.pk]  # the running one is left alone
    waiting.refresh_from_db()
    assert waiting.sent_at == later and waiting.status == "queued"
    # Sent once per RESEND_AFTER, not at every round.
    assert reliability.experiment_resend_lost(now=later + timedelta(seconds=30)) == []
    in_queue[0] = None
    queue_size[0] = 0
    assert reliability.experiment_resend_lost(now=later + timedelta(seconds=121)) == [waiting.pk]


def test_the_real_broker_gets_a_lost_task_back(
    alice: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the broker of this test run (database, or Redis), a task lost from the queue as a
    Redis restart would lose it is put back by the next round, even behind a backlog."""
    from django_q.brokers import get_broker
    from django_q.conf import Conf
    from django_q.signing import SignedPackage
    from django_q.tasks import async_task

    monkeypatch.setattr(Conf, "SYNC", False)  # queued in the broker, not run here
    settings.MAX_ACTIVE_EXPERIMENTS = 10
    settings.RESEND_AFTER = 120
    broker = get_broker()
    broker.purge_queue()
    try:
        lost, behind = create(alice), create(alice)
        services.enqueue(experiment_id=lost.pk)
        assert reliability.broker_waiting_experiments() == {lost.pk}
        broker.purge_queue()  # the restart
        services.enqueue(experiment_id=behind.pk)  # sent after it, still waiting
        async_task("math.floor", 2.5)  # a task of another kind is no experiment's
        assert reliability.broker_queue_size() == 2
        assert reliability.broker_waiting_experiments() == {behind.pk}
        Experiment.objects.filter(pk__in=[lost.pk, behind.pk]).update(sent_at=timezone.now())
        sent_at = Experiment.objects.get(pk=lost.pk).sent_at
        assert sent_at is not None
        later = sent_at + timedelta(seconds=121)
        assert reliability.experiment_resend_lost(now=later) == [lost.pk]
        assert reliability.broker_waiting_experiments() == {lost.pk, behind.pk}
        assert reliability.broker_queue_size() == 3

        args = []
        for _ in range(3):
            [(task_id, payload)] = broker.dequeue()
            args.append(tuple(SignedPackage.loads(payload)["args"]))
            broker.acknowledge(task_id)
        assert sorted(args) == sorted([(behind.pk,), (2.5,), (lost.pk,)])
    finally:
        broker.purge_queue()
