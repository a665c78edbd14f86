"""Background tasks, run by django-q workers. Thin: take an id, call the ML core and services.

``train_and_visualize`` trains a queued experiment and generates its images;
``revisualize_task`` loads a finished experiment's stored weights and only generates new
images; ``reap_stale_experiments`` is the cluster's scheduled fallback for the watchdog.

TensorFlow is imported inside the tasks, never when this module is imported: django-q forks
its workers from a parent process, and a parent that has loaded and used TensorFlow hands
its children a runtime that hangs. Each worker process has usually imported it already,
after the fork, in its warm-up (experiments.warmup), so that no run pays for the import.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import tempfile
import time
from typing import TYPE_CHECKING, Any

from django.core.files.storage import default_storage
from django.db import InterfaceError, OperationalError, connection

from experiments import lifecycle, reliability, results, services, watchdog
from experiments.models import Experiment
from models_zoo.config import ConfigError, RunConfig

if TYPE_CHECKING:
    from models_zoo.pipeline import Progress, RunResult

logger = logging.getLogger(__name__)

# Progress is written at most this often (plus the first and the last report), so a fast
# run does not spend its time on database writes.
PROGRESS_INTERVAL_S = 0.25


def progress_record(progress: Progress) -> dict[str, Any]:
    """The pipeline's progress as the experiment row stores it."""
    return {
        "phase": progress.phase,
        "done": int(progress.done),
        "total": int(progress.total),
        "fraction": round(float(progress.fraction), 4),
        "metrics": {key: float(value) for key, value in progress.metrics.items()},
    }


class ProgressReporter:
    """The pipeline's ``on_progress``: records progress, and answers True once cancelled."""

    def __init__(self, experiment_id: int, interval: float = PROGRESS_INTERVAL_S) -> None:
        self.experiment_id = experiment_id
        self.interval = interval
        self.last_write = float("-inf")

    def __call__(self, progress: Progress) -> bool:
        now = time.monotonic()
        final = progress.fraction >= 1.0
        if now - self.last_write < self.interval and not final:
            return False
        self.last_write = now
        try:
            still_running = lifecycle.experiment_progress(
                experiment_id=self.experiment_id, progress=progress_record(progress)
            )
        except (OperationalError, InterfaceError):
            # The database is away for a moment: skip this report, keep training.
            logger.warning("Progress of experiment %s not recorded", self.experiment_id)
            connection.close()
            return False
        return not still_running


def train_and_visualize(experiment_id: int) -> str:
    """Trains and visualizes one queued experiment; a second delivery does nothing."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if not lifecycle.experiment_start(experiment_id=experiment_id):
        logger.info("Experiment %s is not queued any more; nothing to do", experiment_id)
        return "skipped"
    # The watchdog thread beats for this experiment while this process trains it.
    with watchdog.training(experiment_id):
        return _train_started(experiment_id)


def _train_started(experiment_id: int) -> str:
    try:
        experiment = Experiment.objects.get(pk=experiment_id)
        config = RunConfig.from_dict(experiment.config)
        classes = services.class_specs(experiment=experiment)

        import models_zoo
        from models_zoo import pipeline

        try:
            result = pipeline.run(
                config, classes, on_progress=ProgressReporter(experiment_id=experiment_id)
            )
        except models_zoo.Cancelled:
            logger.info("Experiment %s was cancelled while it ran", experiment_id)
            return "cancelled"
        saved = results.experiment_finish(experiment_id=experiment_id, outcome=run_outcome(result))
    except Exception as error:
        logger.exception("Experiment %s failed", experiment_id)
        lifecycle.experiment_fail(experiment_id=experiment_id, error=readable_error(error))
        return "failed"
    return "done" if saved else "cancelled"


def reap_stale_experiments() -> int:
    """Fails experiments whose worker died and sends again the tasks the broker lost; run
    every minute by the cluster's scheduler, as a fallback for each worker's own watchdog
    thread (experiments.watchdog). Returns how many experiments it acted on."""
    reaped = reliability.experiment_reap_stale()
    return reaped + len(reliability.experiment_resend_lost())


def readable_error(error: BaseException) -> str:
    """A message for the page: what went wrong, in words, without a traceback."""
    if isinstance(error, ConfigError):
        return f"The setting {error.field!r} is not valid: {error.message}."
    if isinstance(error, MemoryError):
        return "The worker ran out of memory. Try fewer classes, copies or a smaller model."
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return (
            "The server ran out of disk space while saving the results, so none were kept. "
            "Run it again later; tell the site's administrators if it keeps happening."
        )
    text = str(error).strip() or "no details were given"
    return f"The run failed ({type(error).__name__}): {text}"


def run_outcome(result: RunResult) -> results.Outcome:
    """The pipeline's result as plain values the services can store."""
    from models_zoo import persistence

    training = result.training
    model = result.model
    number = results.finite_or_none

    def write_weights(path: str) -> str:
        return persistence.save_weights(model, path)

    return results.Outcome(
        classes=results.class_images(result.classes),
        history={key: [number(v) for v in values] for key, values in training.history.items()},
        loss=number(training.loss),
        accuracy=number(training.accuracy),
        val_loss=number(training.val_loss),
        val_accuracy=number(training.val_accuracy),
        training={
            "per_class_accuracy": [number(v) for v in training.per_class_accuracy],
            "confusion": [[int(v) for v in row] for row in training.confusion],
            "epochs_run": int(training.epochs_run),
            # The matrix above split as training split the data (fitted on; held out).
            "train_confusion": [[int(v) for v in row] for row in training.train_confusion],
            "val_confusion": [[int(v) for v in row] for row in training.val_confusion],
            # The same figures on the dataset's held-out test images (none for shapes).
            "test_accuracy": number(training.test_accuracy),
            "test_per_class_accuracy": [number(v) for v in training.test_per_class_accuracy],
            "test_confusion": [[int(v) for v in row] for row in training.test_confusion],
        },
        test_accuracy=number(training.test_accuracy),
        cross_r=results.cross_r_values(result.cross_r),
        timings={key: float(value) for key, value in result.timings.items()},
        write_weights=write_weights,
        highlight_effects=[
            {
                "key": effect.key,
                "area_share": number(effect.area_share),
                "energy_share": number(effect.energy_share),
                "saliency_share": number(effect.saliency_share),
            }
            for effect in result.highlight_effects
        ],
    )


# --- re-visualization: new images from stored weights -----------------------------------


def revisualize_task(experiment_id: int) -> str:
    """Loads the source's weights and generates the images; a second delivery does nothing."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if not lifecycle.experiment_start(experiment_id=experiment_id):
        logger.info("Experiment %s is not queued any more; nothing to do", experiment_id)
        return "skipped"
    folder = tempfile.mkdtemp()
    try:
        experiment = Experiment.objects.select_related("source").get(pk=experiment_id)
        source = experiment.source
        if source is None:
            raise lifecycle.ExperimentFinished(
                "The experiment it re-visualizes was deleted before it could start."
            )
        # The watchdog thread beats for this experiment while this process works on it.
        with watchdog.training(experiment_id):
            saved = _revisualize(experiment, source, folder)
    except Exception as error:
        logger.exception("Re-visualization %s failed", experiment_id)
        lifecycle.experiment_fail(experiment_id=experiment_id, error=_revisualize_error(error))
        return "failed"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return saved


def _revisualize_error(error: BaseException) -> str:
    from models_zoo.persistence import WeightsError

    if isinstance(error, WeightsError):
        return f"The stored weights could not be used: {error}. Re-run the experiment instead."
    if isinstance(error, lifecycle.ExperimentFinished):
        return str(error)
    return readable_error(error)


def _local_copy(name: str, folder: str) -> str:
    """The stored weights as a local file (storages other than the file system included)."""
    path = os.path.join(folder, "source.weights.h5")
    with default_storage.open(name, "rb") as source, open(path, "wb") as target:
        shutil.copyfileobj(source, target)
    return path


def _revisualize(experiment: Experiment, source: Experiment, folder: str) -> str:
    import models_zoo
    from models_zoo import persistence, pipeline

    started = time.perf_counter()
    config = RunConfig.from_dict(experiment.config)
    classes = services.class_specs(experiment=experiment)
    weights = _local_copy(source.weights.name, folder)
    model = persistence.load_model(
        weights,
        model=config.model,
        n_classes=len(classes),
        sha256=source.weights_sha256,
        sizes=config,
    )
    loaded = time.perf_counter()
    try:
        outcomes = pipeline.visualize(
            model, config, classes, on_progress=ProgressReporter(experiment_id=experiment.pk)
        )
    except models_zoo.Cancelled:
        return "cancelled"
    finished = time.perf_counter()

    def write_weights(path: str) -> str:
        shutil.copyfile(weights, path)
        return persistence.sha256_of(path)

    outcome = results.Outcome(
        classes=results.class_images(outcomes),
        # The model is the source's: its training record is carried over unchanged.
        history=source.history,
        loss=source.loss,
        accuracy=source.accuracy,
        val_loss=source.val_loss,
        val_accuracy=source.val_accuracy,
        test_accuracy=source.test_accuracy,
        training=source.training,
        cross_r=results.cross_r_values(pipeline.cross_r(outcomes)),
        timings={"build_s": loaded - started, "train_s": 0.0, "visualize_s": finished - loaded},
        write_weights=write_weights,
    )
    saved = results.experiment_finish(experiment_id=experiment.pk, outcome=outcome)
    return "done" if saved else "cancelled"
