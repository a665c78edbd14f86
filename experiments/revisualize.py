"""Re-runs, re-visualizations and deletion of experiments.

A re-run trains again with the source's settings (and the very class images it used), with a
new seed if one is given. A re-visualization skips training: a worker loads the source's
stored weights (their SHA-256 is checked first, so an altered file is refused) and only
generates new images with other image-generation settings. Each is a new experiment row that
points at its source; it counts against the user's limit of active experiments like any run.

TensorFlow is imported inside :func:`revisualize_task` only, never when this module loads.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction

from experiments import services, watchdog
from experiments.models import Experiment

logger = logging.getLogger(__name__)

# The settings a re-visualization may change: image generation only. Everything else (model,
# classes, training) is what produced the stored weights, so it stays the source's.
GENERATION_FIELDS = (
    "initial_image",
    "step_size",
    "objective",
    "threshold",
    "max_steps",
    "clip",
    "l2",
    "tv",
    "blur_every",
    "jitter",
    "snapshot_every",
    "seed",
)


class NotRevisualizable(Exception):
    """The source has no usable stored weights (not finished, or its file is missing or altered)."""


def _sha256(name: str) -> str:
    digest = hashlib.sha256()
    with default_storage.open(name, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_weights(*, experiment: Experiment) -> None:
    """Raises ``NotRevisualizable`` unless the experiment's weights file is there, unaltered."""
    if experiment.status != Experiment.Status.DONE:
        raise NotRevisualizable(
            f"Only a finished experiment can be re-visualized; this one is {experiment.status}."
        )
    if not experiment.weights.name or not experiment.weights_sha256:
        raise NotRevisualizable("This experiment has no stored weights to re-visualize.")
    try:
        actual = _sha256(experiment.weights.name)
    except OSError:
        raise NotRevisualizable("The stored weights file of this experiment is missing.") from None
    if actual != experiment.weights_sha256:
        raise NotRevisualizable(
            "The stored weights file does not match its recorded SHA-256 (it was altered or "
            "damaged), so it is not loaded. Re-run the experiment to train it again."
        )


@transaction.atomic
def experiment_rerun(
    *, user: AbstractBaseUser, source: Experiment, seed: int | None = None
) -> Experiment:
    """A new experiment with the source's settings and class images, and ``seed`` if given."""
    config = dict(source.config)
    if seed is not None:
        config["seed"] = seed
    return services.experiment_create(
        user=user, config=config, trained_on=list(source.trained_on), source=source
    )


@transaction.atomic
def experiment_revisualize(
    *, user: AbstractBaseUser, source: Experiment, changes: Mapping[str, Any]
) -> Experiment:
    """Queues new images from the source's stored weights with other generation settings."""
    unknown = [key for key in changes if key not in GENERATION_FIELDS]
    if unknown:
        message = "a re-visualization changes only image settings: " + ", ".join(GENERATION_FIELDS)
        raise ValidationError({str(unknown[0]): [message]})
    config = {**source.config, **changes}
    # Bad settings are named first; the weights are checked only for a request that is valid.
    services.validate_config(user=user, config=config)
    check_weights(experiment=source)
    return services.experiment_create(
        user=user,
        config=config,
        trained_on=list(source.trained_on),
        source=source,
        kind=Experiment.Kind.REVISUALIZE,
    )


@transaction.atomic
def experiment_delete(*, user: AbstractBaseUser, experiment: Experiment) -> None:
    """Deletes the user's experiment and, after commit, its files. A running one is cancelled
    by the deletion: its worker finds no row to save into and discards what it made."""
    names = [experiment.weights.name] if experiment.weights.name else []
    for result in experiment.results.all():
        names += [name for name in (result.image.name, result.template.name) if name]
    Experiment.objects.filter(pk=experiment.pk, owner=user).delete()

    def remove_files() -> None:
        for name in names:
            try:
                default_storage.delete(name)
            except OSError:
                logger.warning("Could not delete %s", name)

    transaction.on_commit(remove_files)


def _local_copy(name: str, folder: str) -> str:
    """The stored weights as a local file (storages other than the file system included)."""
    path = os.path.join(folder, "source.weights.h5")
    with default_storage.open(name, "rb") as source, open(path, "wb") as target:
        shutil.copyfileobj(source, target)
    return path


def revisualize_task(experiment_id: int) -> str:
    """Loads the source's weights and generates the images; a second delivery does nothing."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from experiments import tasks

    if not services.experiment_start(experiment_id=experiment_id):
        logger.info("Experiment %s is not queued any more; nothing to do", experiment_id)
        return "skipped"
    folder = tempfile.mkdtemp()
    try:
        experiment = Experiment.objects.select_related("source").get(pk=experiment_id)
        source = experiment.source
        if source is None:
            raise services.ExperimentFinished(
                "The experiment it re-visualizes was deleted before it could start."
            )
        # The watchdog thread beats for this experiment while this process works on it.
        with watchdog.training(experiment_id):
            saved = _revisualize(experiment, source, folder, tasks)
    except Exception as error:
        logger.exception("Re-visualization %s failed", experiment_id)
        services.experiment_fail(experiment_id=experiment_id, error=_readable(error, tasks))
        return "failed"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return saved


def _readable(error: BaseException, tasks: Any) -> str:
    from models_zoo.persistence import WeightsError

    if isinstance(error, WeightsError):
        return f"The stored weights could not be used: {error}. Re-run the experiment instead."
    if isinstance(error, services.ExperimentFinished):
        return str(error)
    return str(tasks.readable_error(error))


def _revisualize(experiment: Experiment, source: Experiment, folder: str, tasks: Any) -> str:
    import models_zoo
    from models_zoo import persistence, pipeline
    from models_zoo.config import RunConfig

    started = time.perf_counter()
    config = RunConfig.from_dict(experiment.config)
    classes = services.class_specs(experiment=experiment)
    weights = _local_copy(source.weights.name, folder)
    model = persistence.load_model(
        weights, model=config.model, n_classes=len(classes), sha256=source.weights_sha256
    )
    loaded = time.perf_counter()
    try:
        outcomes = pipeline.visualize(
            model, config, classes, on_progress=tasks.ProgressReporter(experiment_id=experiment.pk)
        )
    except models_zoo.Cancelled:
        return "cancelled"
    finished = time.perf_counter()

    def write_weights(path: str) -> str:
        shutil.copyfile(weights, path)
        return persistence.sha256_of(path)

    outcome = services.Outcome(
        classes=[
            services.ClassImages(
                key=item.key,
                name=item.name,
                image=item.image,
                template=item.template,
                r=tasks._finite_or_none(item.r),
                steps=int(item.steps),
                reached=bool(item.reached),
                probability=float(item.probability),
                snapshots=item.snapshots,
            )
            for item in outcomes
        ],
        # The model is the source's: its training record is carried over unchanged.
        history=source.history,
        loss=source.loss,
        accuracy=source.accuracy,
        val_loss=source.val_loss,
        val_accuracy=source.val_accuracy,
        training=source.training,
        cross_r=[[tasks._finite_or_none(v) for v in row] for row in pipeline.cross_r(outcomes)],
        timings={"build_s": loaded - started, "train_s": 0.0, "visualize_s": finished - loaded},
        write_weights=write_weights,
    )
    saved = services.experiment_finish(experiment_id=experiment.pk, outcome=outcome)
    return "done" if saved else "cancelled"
