"""The group task in this process: it trains every member, stores each as its own run,
fails them all on an error, and deleting the sweep takes the runs' files along."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from rest_framework.test import APIClient

from experiments import lifecycle, services
from experiments.models import Experiment
from models_zoo import sweep as planner
from models_zoo.pipeline import Progress
from sweeps import services as sweeps
from sweeps import tasks
from sweeps.models import Sweep, SweepMember
from tests.factories import TINY_MLP

pytestmark = pytest.mark.django_db


def member_ids(sweep: Sweep) -> list[int]:
    return list(sweep.members.order_by("position").values_list("experiment_id", flat=True))


def stored_names(experiment: Experiment) -> list[str]:
    names = [experiment.weights.name]
    for result in experiment.results.all():
        names += [result.image.name, result.template.name]
    return names


def test_a_group_trains_every_member_and_deleting_the_sweep_takes_their_files(
    alice: Any, alice_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    sweep = sweeps.sweep_create(user=alice, config=TINY_MLP, seeds=2, vary=None)
    ids = member_ids(sweep)
    assert tasks.train_group(ids) == "done 2 of 2"
    runs = list(Experiment.objects.filter(pk__in=ids).order_by("seed"))
    assert [run.status for run in runs] == ["done", "done"], [run.error for run in runs]
    assert [run.seed for run in runs] == [3, 4]
    assert all(run.results.count() == 2 for run in runs)
    names = [name for run in runs for name in stored_names(run)]
    assert len(names) == 10 and all(default_storage.exists(name) for name in names)
    # A second delivery of the same task finds nothing queued.
    assert tasks.train_group(ids) == "skipped"

    with django_capture_on_commit_callbacks(execute=True):
        assert alice_api.delete(f"/api/v1/sweeps/{sweep.pk}/").status_code == 204
    assert not Sweep.objects.exists() and not SweepMember.objects.exists()
    assert not Experiment.objects.exists()
    assert not any(default_storage.exists(name) for name in names)
    for pk in ids:
        assert not (Path(settings.MEDIA_ROOT) / "results" / str(pk)).exists()


def test_an_error_fails_every_member_with_a_readable_message(
    alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the stack fell over")

    monkeypatch.setattr(planner, "run_group", broken)
    sweep = sweeps.sweep_create(user=alice, config=TINY_MLP, seeds=3, vary=None)
    assert tasks.train_group(member_ids(sweep)) == "failed"
    errors = set(Experiment.objects.values_list("status", "error"))
    assert errors == {("failed", "The run failed (RuntimeError): the stack fell over")}


def test_the_group_stops_only_once_every_member_is_cancelled(alice: Any) -> None:
    sweep = sweeps.sweep_create(user=alice, config=TINY_MLP, seeds=2, vary=None)
    first, second = Experiment.objects.filter(pk__in=member_ids(sweep)).order_by("seed")
    for run in (first, second):
        assert lifecycle.experiment_start(experiment_id=run.pk)
    reporter = tasks.GroupReporter([first.pk, second.pk], interval=0.0)
    progress = Progress("train", 1, 10, 0.1, {})
    assert reporter(progress) is False
    first.refresh_from_db()
    assert first.progress["fraction"] == 0.1
    services.experiment_cancel(user=alice, experiment=first)
    assert reporter(progress) is False  # the other member still runs
    second.refresh_from_db()
    assert second.progress["fraction"] == 0.1
    services.experiment_cancel(user=alice, experiment=second)
    assert reporter(progress) is True
