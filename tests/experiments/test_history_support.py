"""Finished experiments stored as a worker leaves them, for the history and compare tests.

Training is what the task tests cover; the history only reads rows, so most of its tests
store real small arrays directly (images, snapshots, curves) instead of training.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pytest
from django.core.files.base import ContentFile

from experiments.models import ClassResult, Experiment
from models_zoo import render, shapes
from models_zoo.config import RunConfig

pytestmark = pytest.mark.django_db


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array, np.float32), allow_pickle=False)
    return buffer.getvalue()


def curves(epochs: int, rng: np.random.Generator) -> dict[str, list[float]]:
    """Falling losses and rising accuracies, as a training run records them."""
    steps = np.arange(1, epochs + 1)
    return {
        "loss": [float(v) for v in 1.5 / steps + rng.uniform(0, 0.01, epochs)],
        "accuracy": [float(v) for v in 1 - 0.6 / steps],
        "val_loss": [float(v) for v in 1.7 / steps + rng.uniform(0, 0.02, epochs)],
        "val_accuracy": [float(v) for v in 1 - 0.7 / steps],
    }


def store_finished(
    user: Any,
    *,
    number: int,
    classes: Sequence[str],
    model: str = "mlp",
    rs: Sequence[float | None] | None = None,
    epochs: int = 5,
    snapshot_frames: int = 0,
    created_at: datetime | None = None,
    tags: Sequence[str] = (),
    write_files: bool = True,
    **config: Any,
) -> Experiment:
    """A done experiment with one result per class; |r| from ``rs`` (default 0.1, 0.2, ...)."""
    rng = np.random.default_rng(number)
    run_config = RunConfig(
        classes=tuple(classes), model=model, epochs=epochs, seed=number, **config
    ).to_dict()
    if snapshot_frames:
        run_config["snapshot_every"] = 5
    n = len(classes)
    cross = [[round(float(v), 4) for v in row] for row in rng.uniform(0, 1, (n, n))]
    history = curves(epochs, rng)
    experiment = Experiment.objects.create(
        owner=user,
        number=number,
        config=run_config,
        model_name=model,
        class_keys=list(classes),
        seed=number,
        status=Experiment.Status.DONE,
        accuracy=history["accuracy"][-1],
        loss=history["loss"][-1],
        val_accuracy=history["val_accuracy"][-1],
        val_loss=history["val_loss"][-1],
        history=history,
        cross_r=cross,
        training={"epochs_run": epochs},
        tags=list(tags),
    )
    if created_at is not None:
        Experiment.objects.filter(pk=experiment.pk).update(created_at=created_at)
        experiment.created_at = created_at
    rows = []
    for position, key in enumerate(classes):
        known = key in shapes.CATALOGUE
        template = shapes.image(key, rng) if known else rng.uniform(0, 1, (28, 28))
        image = (template * 0.6 + rng.uniform(0, 0.4, (28, 28))).astype(np.float32)
        r = rs[position] if rs is not None else round(0.1 * (position + 1), 2)
        result = ClassResult(
            experiment=experiment,
            position=position,
            class_key=key,
            name=shapes.get(key).name if key in shapes.CATALOGUE else key,
            image_raw=npy(image),
            r=r,
            steps=20 + position,
            reached=True,
            probability=0.995,
            snapshots=(
                npy(np.stack([image * (i + 1) / snapshot_frames for i in range(snapshot_frames)]))
                if snapshot_frames
                else None
            ),
        )
        if write_files:
            result.image.save(f"{position}-image.png", ContentFile(render.to_png(image)), False)
            result.template.save(
                f"{position}-template.png", ContentFile(render.to_png(template)), False
            )
        else:
            result.image.name = f"results/{experiment.pk}/{position}-image.png"
            result.template.name = f"results/{experiment.pk}/{position}-template.png"
        rows.append(result)
    ClassResult.objects.bulk_create(rows)
    return experiment


def test_a_stored_experiment_looks_like_a_finished_run(alice: Any) -> None:
    experiment = store_finished(alice, number=1, classes=["box", "line"], snapshot_frames=3)
    experiment.refresh_from_db()
    assert experiment.status == "done" and experiment.config["classes"] == ["box", "line"]
    assert len(experiment.history["loss"]) == 5 and len(experiment.cross_r) == 2
    results = list(experiment.results.all())
    assert [r.class_key for r in results] == ["box", "line"]
    frames = np.load(io.BytesIO(bytes(results[0].snapshots)), allow_pickle=False)
    assert frames.shape == (3, 28, 28)
    with results[0].image.open("rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
