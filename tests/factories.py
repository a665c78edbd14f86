"""Experiments for the tests, made the way the platform makes them.

- ``queued_run`` creates a run as a request does, through ``experiment_create``.
- ``trained_run`` also trains it for real with the task (a tiny model, a fixed seed).
- ``finished_run`` is for tests that need finished runs with chosen values (|r| per class,
  dates, tags, snapshot frames) but not the training: the run is created, started and
  finished by the worker's own services (``experiment_start``, then ``experiment_finish``
  with an outcome of small made-up arrays), so it holds what a worker leaves behind.

No row is ever written as done by hand: a change to how runs are created or stored shows
in every test that uses these.

The tiny configurations are named for what they are. A test that asserts on one of their
values builds its own from them and writes that value out: ``{**TINY_MLP, "seed": 11}``.
Copy one before changing it; the dictionaries are shared.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import time_machine
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from experiments import lifecycle, results, services, tasks
from experiments.models import Experiment
from models_zoo import datasets, shapes
from models_zoo.config import RunConfig

# Two classes, two epochs, five steps per image: a run that trains in seconds.
TINY_MLP: dict[str, Any] = {
    "classes": ["box", "line"],
    "model": "mlp",
    "epochs": 2,
    "seed": 3,
    "max_steps": 5,
}
TINY_CNN: dict[str, Any] = {**TINY_MLP, "model": "cnn"}
# Three classes (a wider class matrix), four training copies of each to stay as fast.
TINY_MLP_THREE_CLASSES: dict[str, Any] = {
    **TINY_MLP,
    "classes": ["box", "line", "circle"],
    "copies": 4,
}

Status = Experiment.Status


def queued_run(
    user: AbstractBaseUser, config: Mapping[str, Any] = TINY_MLP, **changes: Any
) -> Experiment:
    """A queued run of ``config`` with ``changes``, created as a request creates one.

    Its task goes out when the creating transaction commits: in a test that runs in one
    transaction (the default), never, unless the test captures the commit callbacks.
    """
    return services.experiment_create(user=user, config={**config, **changes})


def trained_run(
    user: AbstractBaseUser, config: Mapping[str, Any] = TINY_MLP, **changes: Any
) -> Experiment:
    """A run of ``config`` with ``changes`` trained for real in this process; the fresh row.

    The queue is synchronous in tests: where the creating transaction commits (a
    transactional test, a live server) the run has trained by the time it is created, and
    otherwise the task is run here. Not for tests with a worker process running.
    """
    experiment = queued_run(user, config, **changes)
    experiment.refresh_from_db()
    if experiment.status == Status.QUEUED:
        tasks.train_and_visualize(experiment.pk)
        experiment.refresh_from_db()
    assert experiment.status == Status.DONE, experiment.error
    return experiment


def finished_run(
    user: AbstractBaseUser,
    *,
    classes: Sequence[str] = ("box", "line"),
    model: str = "mlp",
    seed: int = 1,
    epochs: int = 5,
    rs: Sequence[float | None] | None = None,
    snapshot_frames: int = 0,
    created_at: datetime | None = None,
    tags: Sequence[str] = (),
    **config: Any,
) -> Experiment:
    """A finished run of these settings, without training; the fresh row.

    Each class gets |r| from ``rs`` (by default 0.1, 0.2, ...) and an image that looks like
    its template; the curves fall (losses) and rise (accuracies) over ``epochs``; with
    ``snapshot_frames`` each class keeps that many snapshots. The arrays are drawn from
    ``seed``. With ``created_at`` the run is created, started and finished at that moment.
    """
    run_config: dict[str, Any] = {
        "classes": list(classes),
        "model": model,
        "seed": seed,
        "epochs": epochs,
        **config,
    }
    if snapshot_frames:
        steps = int(run_config.get("max_steps", RunConfig.max_steps))
        run_config.setdefault("snapshot_every", -(-steps // settings.MAX_SNAPSHOT_FRAMES))
    clock = (
        time_machine.travel(created_at, tick=False)
        if created_at is not None
        else contextlib.nullcontext()
    )
    # One transaction: where it commits (a transactional test), the task sent on commit
    # finds the run finished already and does nothing, instead of training it.
    with clock, transaction.atomic():
        experiment = services.experiment_create(user=user, config=run_config)
        assert lifecycle.experiment_start(experiment_id=experiment.pk)
        outcome = made_up_outcome(
            experiment,
            rs=rs,
            snapshot_frames=snapshot_frames,
            rng=np.random.default_rng(seed),
        )
        assert results.experiment_finish(experiment_id=experiment.pk, outcome=outcome)
    if tags:
        # Imported here: the history app is a feature above the runs.
        from history.services import experiment_annotate

        experiment_annotate(user=user, experiment=experiment, tags=list(tags))
    experiment.refresh_from_db()
    return experiment


def made_up_outcome(
    experiment: Experiment,
    *,
    rs: Sequence[float | None] | None,
    snapshot_frames: int,
    rng: np.random.Generator,
) -> results.Outcome:
    """What a worker would store for ``experiment``, from small random arrays."""
    specs = services.class_specs(experiment=experiment)
    epochs = int(experiment.config["epochs"])
    count = len(specs)
    history = falling_curves(epochs, rng)
    classes = []
    for position, spec in enumerate(specs):
        template = spec.image if spec.image is not None else shapes.image(spec.noise or "", rng)
        image = (template * 0.6 + rng.uniform(0, 0.4, template.shape)).astype(np.float32)
        frames = None
        if snapshot_frames:
            frames = np.stack([image * (i + 1) / snapshot_frames for i in range(snapshot_frames)])
        classes.append(
            results.ClassImages(
                key=spec.key,
                name=spec.name,
                image=image,
                template=template,
                r=rs[position] if rs is not None else round(0.1 * (position + 1), 2),
                steps=20 + position,
                reached=True,
                probability=0.995,
                snapshots=frames,
            )
        )
    # A dataset with a test split is measured on it too: a little below validation, by an
    # amount drawn from the seed apart (the other draws stay as they were).
    has_test = any(
        datasets.DATASETS[item.get("dataset") or "shapes"].has_test
        for item in experiment.trained_on
    )
    gap = np.random.default_rng(experiment.seed).uniform(0.03, 0.05)
    test_accuracy = round(history["val_accuracy"][-1] - gap, 4) if has_test else None
    return results.Outcome(
        classes=classes,
        history=history,
        loss=history["loss"][-1],
        accuracy=history["accuracy"][-1],
        val_loss=history["val_loss"][-1],
        val_accuracy=history["val_accuracy"][-1],
        test_accuracy=test_accuracy,
        training={
            "per_class_accuracy": [1.0] * count,
            "confusion": (np.eye(count, dtype=int) * 2).tolist(),
            "train_confusion": np.eye(count, dtype=int).tolist(),
            "val_confusion": np.eye(count, dtype=int).tolist(),
            "epochs_run": epochs,
            "test_accuracy": test_accuracy,
            "test_per_class_accuracy": [test_accuracy] * count if has_test else [],
            "test_confusion": (np.eye(count, dtype=int) * 5).tolist() if has_test else [],
        },
        cross_r=[[round(float(v), 4) for v in row] for row in rng.uniform(0, 1, (count, count))],
        timings={"build_s": 0.1, "train_s": 0.5, "visualize_s": 0.2},
    )


def falling_curves(epochs: int, rng: np.random.Generator) -> dict[str, list[float | None]]:
    """Falling losses and rising accuracies, as a training run records them."""
    steps = np.arange(1, epochs + 1)
    return {
        "loss": [float(v) for v in 1.5 / steps + rng.uniform(0, 0.01, epochs)],
        "accuracy": [float(v) for v in 1 - 0.6 / steps],
        "val_loss": [float(v) for v in 1.7 / steps + rng.uniform(0, 0.02, epochs)],
        "val_accuracy": [float(v) for v in 1 - 0.7 / steps],
    }
