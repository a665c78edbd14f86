"""Storing a finished run: its class images, weights and metrics, all or nothing.

Files are written first, each to a scratch file renamed into place, outside the transaction;
then one atomic, conditional update stores the rows. When the experiment stopped running in
the meantime (cancelled, failed by the reaper, deleted) the files are removed again, so no
file outlives its row. Nothing here imports TensorFlow: the task passes in plain arrays.
"""

from __future__ import annotations

import io
import logging
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

import numpy as np
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from experiments.models import ClassResult, Experiment

logger = logging.getLogger(__name__)

Status = Experiment.Status


def finite_or_none(value: Any) -> float | None:
    """A float for JSON and the database: None for a missing, infinite or NaN value."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class ClassImages:
    """One class's outcome in the form the platform stores (no TensorFlow objects)."""

    key: str
    name: str
    image: np.ndarray
    template: np.ndarray
    r: float | None
    steps: int
    reached: bool
    probability: float
    snapshots: np.ndarray | None = None
    # The run's other images of this class (``diversity`` K > 1): each one's figures
    # (r, steps, reached, probability, start) and the images as one (K-1, 28, 28) array.
    extras: list[dict[str, Any]] = dataclass_field(default_factory=list)
    extra_images: np.ndarray | None = None


@dataclass(frozen=True)
class Outcome:
    """Everything a finished run leaves behind, ready to be stored."""

    classes: list[ClassImages]
    history: dict[str, list[float | None]]
    loss: float | None
    accuracy: float | None
    val_loss: float | None
    val_accuracy: float | None
    training: dict[str, Any]
    cross_r: list[list[float | None]]
    timings: dict[str, float]
    write_weights: Callable[[str], str] | None = None
    highlight_effects: list[dict[str, Any]] = dataclass_field(default_factory=list)
    # Accuracy on the dataset's held-out test images (its per-class figures and confusion
    # matrix travel in ``training``); None for a dataset without a test split.
    test_accuracy: float | None = None


def class_images(items: Iterable[Any]) -> list[ClassImages]:
    """The ML core's per-class outcomes (``pipeline.ClassOutcome``) as values to store."""
    return [
        ClassImages(
            key=item.key,
            name=item.name,
            image=item.image,
            template=item.template,
            r=finite_or_none(item.r),
            steps=int(item.steps),
            reached=bool(item.reached),
            probability=float(item.probability),
            snapshots=item.snapshots,
            extras=[_extra_figures(extra) for extra in item.extras],
            extra_images=(
                np.stack([extra.image for extra in item.extras]) if item.extras else None
            ),
        )
        for item in items
    ]


def _extra_figures(extra: Any) -> dict[str, Any]:
    return {
        "r": finite_or_none(extra.r),
        "steps": int(extra.steps),
        "reached": bool(extra.reached),
        "probability": float(extra.probability),
        "start": str(extra.start),
    }


def cross_r_values(matrix: Iterable[Iterable[Any]]) -> list[list[float | None]]:
    return [[finite_or_none(v) for v in row] for row in matrix]


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array, dtype=np.float32), allow_pickle=False)
    return buffer.getvalue()


def _temporary_dir() -> str:
    """A scratch folder on the same file system as the media files when they are local, so
    that moving a finished file into place is an atomic rename."""
    if isinstance(default_storage, FileSystemStorage):
        scratch = Path(default_storage.location) / "tmp"
        scratch.mkdir(parents=True, exist_ok=True)
        return tempfile.mkdtemp(dir=scratch)
    return tempfile.mkdtemp()


class _FinishedFile(File):
    """A complete file on disk; FileSystemStorage renames it into place instead of copying."""

    def temporary_file_path(self) -> str:
        return str(self.name_on_disk)

    def __init__(self, path: str) -> None:
        self.name_on_disk = path
        super().__init__(open(path, "rb"), name=os.path.basename(path))  # noqa: SIM115


def _store(scratch: str, name: str, data: bytes | None = None, *, path: str | None = None) -> str:
    """Writes ``data`` (or the finished file at ``path``) into media storage as ``name``."""
    if path is None:
        path = os.path.join(scratch, os.path.basename(name))
        partial = path + ".part"
        with open(partial, "wb") as handle:
            handle.write(data or b"")
        os.replace(partial, path)
    finished = _FinishedFile(path)
    try:
        return default_storage.save(name, finished)
    except BaseException:
        # A storage that fails half-way (a full disk) may leave part of the file behind.
        _remove_partial(name)
        raise
    finally:
        finished.close()


def _remove_partial(name: str) -> None:
    try:
        if default_storage.exists(name):
            default_storage.delete(name)
    except OSError:
        logger.warning("Could not remove the partial file %s", name)


def experiment_finish(*, experiment_id: int, outcome: Outcome) -> bool:
    """Stores a finished run: files first (outside the transaction), then one atomic update.

    Returns False, and removes the files again, when the experiment stopped running in the
    meantime (cancelled, or failed by the stale-worker check).
    """
    from models_zoo.render import to_png

    scratch = _temporary_dir()
    stored: list[str] = []
    try:
        weights_name = ""
        weights_sha256 = ""
        if outcome.write_weights is not None:
            weights_path = os.path.join(scratch, f"experiment-{experiment_id}.weights.h5")
            weights_sha256 = outcome.write_weights(weights_path)
            weights_name = _store(
                scratch, f"weights/experiment-{experiment_id}.weights.h5", path=weights_path
            )
            stored.append(weights_name)
        rows = []
        for position, item in enumerate(outcome.classes):
            prefix = f"results/{experiment_id}/{position}"
            image_name = _store(scratch, f"{prefix}-image.png", to_png(item.image))
            stored.append(image_name)
            template_name = _store(scratch, f"{prefix}-template.png", to_png(item.template))
            stored.append(template_name)
            rows.append(
                ClassResult(
                    experiment_id=experiment_id,
                    position=position,
                    class_key=item.key,
                    name=item.name,
                    image=image_name,
                    image_raw=_npy_bytes(item.image),
                    template=template_name,
                    r=item.r,
                    steps=item.steps,
                    reached=item.reached,
                    probability=item.probability,
                    snapshots=None if item.snapshots is None else _npy_bytes(item.snapshots),
                    extras=item.extras,
                    extras_raw=(
                        None if item.extra_images is None else _npy_bytes(item.extra_images)
                    ),
                )
            )
        size = sum(default_storage.size(name) for name in stored) + sum(
            len(row.image_raw) + len(row.snapshots or b"") + len(row.extras_raw or b"")
            for row in rows
        )
        saved = _retrying_database(
            lambda: _save_outcome(
                experiment_id=experiment_id,
                outcome=outcome,
                rows=rows,
                weights_name=weights_name,
                weights_sha256=weights_sha256,
                stored_bytes=size,
            )
        )
    except BaseException:
        _delete(stored)
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if not saved:
        _delete(stored)
    return saved


# A finished run waits this long in all for a database that is briefly away (a restart, a
# fail-over) before it gives up: the results of minutes of training are worth a few seconds.
DATABASE_RETRY_DELAYS_S = (0.5, 1.0, 2.0, 4.0, 8.0)


def _retrying_database(save: Callable[[], bool]) -> bool:
    """Runs ``save`` (one transaction), again after a pause while the database is away."""
    for delay in (*DATABASE_RETRY_DELAYS_S, None):
        try:
            return save()
        except (OperationalError, InterfaceError):
            if delay is None:
                raise
            logger.warning("The database is unavailable; saving again in %.1f s", delay)
            # The broken connection is dropped so that the next try opens a fresh one.
            connection.close()
            time.sleep(delay)
    raise AssertionError("unreachable")


def _delete(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("Could not delete %s", name)


@transaction.atomic
def _save_outcome(
    *,
    experiment_id: int,
    outcome: Outcome,
    rows: list[ClassResult],
    weights_name: str,
    weights_sha256: str,
    stored_bytes: int,
) -> bool:
    experiment = (
        Experiment.objects.select_for_update()
        .filter(pk=experiment_id, status=Status.RUNNING)
        .first()
    )
    if experiment is None:
        return False
    for row in rows:
        row.full_clean(exclude=["experiment"])
    ClassResult.objects.bulk_create(rows)
    now = timezone.now()
    experiment.status = Status.DONE
    experiment.finished_at = now
    experiment.heartbeat_at = now
    experiment.progress = {
        "phase": "done",
        "done": 1,
        "total": 1,
        "fraction": 1.0,
        "metrics": dict(experiment.progress.get("metrics", {})),
    }
    experiment.accuracy = outcome.accuracy
    experiment.loss = outcome.loss
    experiment.val_accuracy = outcome.val_accuracy
    experiment.val_loss = outcome.val_loss
    experiment.test_accuracy = outcome.test_accuracy
    experiment.history = outcome.history
    experiment.training = outcome.training
    experiment.cross_r = outcome.cross_r
    experiment.timings = outcome.timings
    experiment.highlight_effects = outcome.highlight_effects
    experiment.weights.name = weights_name
    experiment.weights_sha256 = weights_sha256
    experiment.stored_bytes = stored_bytes
    experiment.full_clean()
    experiment.save()
    return True
