"""The train-and-visualize task, run for real in this process (tiny models, fixed seeds)."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from django.core.files.storage import default_storage

from experiments import lifecycle, services, tasks
from experiments.models import ClassResult, Experiment
from models_zoo.pipeline import Progress
from tests.factories import TINY_MLP

pytestmark = pytest.mark.django_db

# Three classes, one of them noise; the assertions below read these settings.
RUN_WITH_NOISE = {
    **TINY_MLP,
    "classes": ["box", "line", "noise"],
    "epochs": 3,
    "max_steps": 15,
    "copies": 5,
}


def queued(user: Any, **changes: Any) -> Experiment:
    return services.experiment_create(user=user, config={**RUN_WITH_NOISE, **changes})


def test_a_run_stores_metrics_images_and_weights(
    alice: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # The queue is synchronous in tests: the task runs when the creating transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        experiment = queued(alice)
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.DONE, experiment.error
    assert experiment.error == ""
    assert experiment.attempts == 1
    assert experiment.started_at <= experiment.finished_at
    assert experiment.progress["phase"] == "done" and experiment.progress["fraction"] == 1.0
    assert 0.0 <= experiment.accuracy <= 1.0 and experiment.loss > 0
    assert len(experiment.history["loss"]) == 3
    assert experiment.training["epochs_run"] == 3
    assert len(experiment.cross_r) == 3 and all(len(row) == 3 for row in experiment.cross_r)
    assert set(experiment.timings) >= {"build_s", "train_s", "visualize_s"}

    assert len(experiment.weights_sha256) == 64
    assert default_storage.exists(experiment.weights.name)
    assert experiment.weights.name.endswith(".weights.h5")

    results = list(experiment.results.all())
    assert [r.class_key for r in results] == ["box", "line", "noise"]
    for result in results:
        assert 1 <= result.steps <= 15
        assert result.r is None or 0.0 <= result.r <= 1.0
        raw = np.load(io.BytesIO(bytes(result.image_raw)), allow_pickle=False)
        assert raw.shape == (28, 28) and raw.dtype == np.float32
        with result.image.open("rb") as handle:
            assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
        with result.template.open("rb") as handle:
            assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
    # Nothing half-written is left behind in the scratch folder.
    assert not any(default_storage.listdir("tmp")[1])


def test_the_same_seed_gives_the_same_images(alice: Any, settings: Any) -> None:
    settings.MAX_ACTIVE_EXPERIMENTS = 5
    first, second = queued(alice), queued(alice)
    for experiment in (first, second):
        assert tasks.train_and_visualize(experiment.pk) == "done"
    images = [
        [bytes(r.image_raw) for r in ClassResult.objects.filter(experiment=e)]
        for e in (first, second)
    ]
    assert images[0] == images[1]


def test_a_second_delivery_does_nothing(alice: Any) -> None:
    experiment = queued(alice)
    assert tasks.train_and_visualize(experiment.pk) == "done"
    experiment.refresh_from_db()
    finished_at = experiment.finished_at
    assert tasks.train_and_visualize(experiment.pk) == "skipped"
    experiment.refresh_from_db()
    assert experiment.attempts == 1
    assert experiment.finished_at == finished_at
    assert experiment.results.count() == 3


def test_a_cancelled_queued_experiment_is_never_run(alice: Any) -> None:
    experiment = queued(alice)
    services.experiment_cancel(user=alice, experiment=experiment)
    assert tasks.train_and_visualize(experiment.pk) == "skipped"
    experiment.refresh_from_db()
    assert experiment.status == "cancelled" and experiment.started_at is None
    assert not experiment.results.exists()


def test_a_stored_config_that_no_longer_validates_fails_readably(alice: Any) -> None:
    # For example an architecture that a later version of the site no longer offers.
    experiment = queued(alice)
    Experiment.objects.filter(pk=experiment.pk).update(config={**experiment.config, "model": "x"})
    assert tasks.train_and_visualize(experiment.pk) == "failed"
    experiment.refresh_from_db()
    assert experiment.status == "failed"
    assert experiment.error.startswith("The setting 'model' is not valid: unknown model 'x'")
    assert experiment.finished_at is not None


def test_an_error_inside_the_pipeline_fails_the_experiment_readably(alice: Any) -> None:
    # The stored class copy no longer matches the configuration: the ML core refuses it.
    experiment = queued(alice)
    Experiment.objects.filter(pk=experiment.pk).update(trained_on=experiment.trained_on[::-1])
    assert tasks.train_and_visualize(experiment.pk) == "failed"
    experiment.refresh_from_db()
    assert experiment.status == "failed"
    assert "do not match" in experiment.error
    assert "Traceback" not in experiment.error
    assert not experiment.results.exists()


def test_progress_reports_are_throttled_and_answer_cancellation(alice: Any) -> None:
    experiment = queued(alice)
    lifecycle.experiment_start(experiment_id=experiment.pk)
    reporter = tasks.ProgressReporter(experiment.pk, interval=3600)
    assert reporter(Progress("train", 1, 3, 0.2, {"loss": 1.5})) is False
    assert reporter(Progress("train", 2, 3, 0.4, {"loss": 1.0})) is False  # throttled
    experiment.refresh_from_db()
    assert experiment.progress["done"] == 1 and experiment.progress["metrics"] == {"loss": 1.5}
    services.experiment_cancel(user=alice, experiment=experiment)
    # A cancelled experiment is noticed at the next write: the final report always writes.
    assert reporter(Progress("generate", 15, 15, 1.0)) is True
    experiment.refresh_from_db()
    assert experiment.status == "cancelled" and experiment.progress["done"] == 1


def test_a_run_cancelled_while_it_trains_stops_and_stores_nothing(
    alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    experiment = queued(alice, epochs=50)

    class CancelAfterTwoEpochs(tasks.ProgressReporter):
        def __call__(self, progress: Progress) -> bool:
            if progress.phase == "train" and progress.done == 2:
                services.experiment_cancel(user=alice, experiment=experiment)
            return super().__call__(progress)

    # The user presses Cancel while the second epoch is reported.
    monkeypatch.setattr(tasks, "ProgressReporter", CancelAfterTwoEpochs)
    assert tasks.train_and_visualize(experiment.pk) == "cancelled"
    experiment.refresh_from_db()
    assert experiment.status == "cancelled"
    assert experiment.progress["phase"] == "train" and experiment.progress["done"] <= 2
    assert not experiment.results.exists()
    assert not experiment.weights
