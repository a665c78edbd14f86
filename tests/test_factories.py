"""The tests' factories make runs as the platform does (see ``tests.factories``)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from django.core.files.storage import default_storage

from experiments.models import Experiment
from tests.factories import TINY_MLP, finished_run, queued_run


@pytest.mark.django_db
def test_a_queued_run_is_created_by_the_service(alice: Any) -> None:
    experiment = queued_run(alice, seed=11)
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.QUEUED and experiment.number == 1
    assert experiment.config["classes"] == TINY_MLP["classes"] and experiment.seed == 11
    assert [item["key"] for item in experiment.trained_on] == ["box", "line"]


@pytest.mark.django_db
def test_a_finished_run_holds_what_a_worker_leaves_behind(alice: Any) -> None:
    experiment = finished_run(
        alice, classes=["box", "noise"], rs=[0.4, None], snapshot_frames=3, tags=["paper"]
    )
    assert experiment.status == Experiment.Status.DONE and experiment.attempts == 1
    assert experiment.started_at <= experiment.finished_at
    assert experiment.progress["phase"] == "done" and experiment.tags == ["paper"]
    assert len(experiment.history["loss"]) == 5 and experiment.training["epochs_run"] == 5
    assert (
        len(experiment.cross_r) == 2 and experiment.accuracy == experiment.history["accuracy"][-1]
    )
    results = list(experiment.results.order_by("position"))
    assert [(r.class_key, r.name, r.r) for r in results] == [
        ("box", "Box", 0.4),
        ("noise", "Noise", None),
    ]
    frames = np.load(io.BytesIO(bytes(results[0].snapshots)), allow_pickle=False)
    assert frames.shape == (3, 28, 28)
    with results[0].image.open("rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
    files = sum(
        default_storage.size(r.image.name) + default_storage.size(r.template.name) for r in results
    )
    arrays = sum(len(r.image_raw) + len(r.snapshots) for r in results)
    assert experiment.stored_bytes == files + arrays


@pytest.mark.django_db
def test_a_finished_run_can_be_dated(alice: Any) -> None:
    moment = datetime(2026, 3, 1, 12, tzinfo=UTC)
    experiment = finished_run(alice, created_at=moment)
    assert experiment.created_at == experiment.started_at == experiment.finished_at == moment
    assert finished_run(alice).created_at > moment


@pytest.mark.django_db(transaction=True)
def test_a_committed_finished_run_is_not_trained_by_its_task(alice: Any) -> None:
    # The queue is synchronous: the task sent on commit runs here, and must find it finished.
    experiment = finished_run(alice, rs=[0.25, 0.75])
    assert [r.r for r in experiment.results.order_by("position")] == [0.25, 0.75]
    assert experiment.attempts == 1 and not experiment.weights
