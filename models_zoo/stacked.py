"""A sweep group made as one stacked computation: ``run_stacked`` is ``sweep.run_group``'s body.

Each member is prepared as ``pipeline.run`` prepares a run (its data from
``pipeline.prepare``, its initial weights from ``seed_everything(seed)`` and
``architectures.build``), then every member trains in one compiled loop
(``models_zoo.stacked_training``) and generates its images in another
(``models_zoo.stacked_generation``). The trained weights go back into each member's Keras
model, which gives the confusion matrix, the highlight effects and ``RunResult.model``.

A group that cannot be stacked (a model that is not a plain sequential stack of the layers
``stacked_layers`` knows) gets ``None`` here and is made one run after another.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from models_zoo import Cancelled, architectures
from models_zoo.classes import ClassSpec
from models_zoo.config import RunConfig
from models_zoo.data import build_test_set
from models_zoo.generation import GenerationStopped, generate, starting_batch
from models_zoo.highlight import effects
from models_zoo.pipeline import (
    TRAIN_SHARE,
    Progress,
    ProgressCallback,
    RunResult,
    class_outcomes,
    cross_r,
    prepare,
)
from models_zoo.stacked_generation import generate_stacked, make_generator, structure
from models_zoo.stacked_layers import StackedNet, layer_plans, read_weights, write_weights
from models_zoo.stacked_training import (
    LOCK,
    StackedTrainGraph,
    graph_for,
    parts_for,
    train_stacked,
)
from models_zoo.tf_env import seed_everything
from models_zoo.training import TrainingStopped


def _prepared(config: RunConfig, specs: Sequence[ClassSpec]) -> tuple[Any, ...]:
    began = time.perf_counter()
    seed_everything(config.seed)
    data, train_set, val_set = prepare(config, specs)
    model = architectures.build(config.model, len(specs), config)
    return data, train_set, val_set, model, time.perf_counter() - began


def _same_shapes(sets: Sequence[tuple[Any, Any]]) -> bool:
    def shape(train_set: Any, val_set: Any) -> tuple[Any, ...]:
        val = None if val_set is None else val_set.x.shape
        masks = train_set.irrelevant is None
        return (train_set.x.shape, train_set.y.shape, val, masks)

    return len({shape(t, v) for t, v in sets}) == 1


def run_stacked(
    configs: Sequence[RunConfig],
    specs: Sequence[ClassSpec],
    on_progress: ProgressCallback | None = None,
) -> list[RunResult] | None:
    """Every member's result, as ``pipeline.run`` would give it alone; ``None`` when the
    group cannot be stacked (nothing has been trained then)."""
    with LOCK:
        # The first member's model tells whether the architecture stacks at all.
        first = _prepared(configs[0], specs)
        plans = layer_plans(first[3])
        if plans is None:
            return None
        prepared = [first, *(_prepared(config, specs) for config in configs[1:])]
        sets = [(p[1], p[2]) for p in prepared]
        if not _same_shapes(sets):
            return None
        return _run(configs, specs, plans, prepared, on_progress)


def _run(
    configs: Sequence[RunConfig],
    specs: Sequence[ClassSpec],
    plans: Any,
    prepared: Sequence[tuple[Any, ...]],
    on_progress: ProgressCallback | None,
) -> list[RunResult]:
    config = configs[0]
    members = len(configs)
    models = [p[3] for p in prepared]
    weights = [read_weights(model, plans) for model in models]
    train_set, val_set = prepared[0][1], prepared[0][2]
    n_classes, n_train = len(specs), len(train_set)
    n_val = 0 if val_set is None else len(val_set)
    batch = min(config.batch_size, n_train)
    has_conv = any(plan.kind == "conv" for plan in plans)
    parts = parts_for(members, has_conv)
    rrr = config.highlight == "rrr"
    signature = tuple(plan.signature() for plan in plans)
    shapes = tuple(tuple(w.shape) for w in weights[0])
    key = (signature, shapes, tuple(parts), n_classes, n_train, n_val, batch, config.optimizer, rrr)

    def build() -> StackedTrainGraph:
        net = StackedNet(plans, shapes, parts)
        return StackedTrainGraph(net, (n_classes, n_train, n_val, batch), config.optimizer, rrr)

    began = time.perf_counter()
    graph = graph_for(key, build)
    graph.load(weights, [(p[1], p[2]) for p in prepared], config)

    def on_epochs(epoch: int, figures: list[dict[str, float]]) -> bool | None:
        if on_progress is None:
            return None
        mean = {k: float(np.mean([f[k] for f in figures])) for k in figures[0]}
        fraction = TRAIN_SHARE * epoch / config.epochs
        return on_progress(Progress("train", epoch, config.epochs, fraction, mean))

    try:
        trainings = train_stacked(graph, configs, on_epochs)
    except TrainingStopped as stop:
        raise Cancelled(str(stop)) from None
    test_set = build_test_set(specs)
    for model, values in zip(models, graph.net.member_weights(), strict=True):
        write_weights(model, plans, values)
    for training, model, p in zip(trainings, models, prepared, strict=True):
        training.measure(model, p[0], p[1], p[2])
        training.measure_test(model, test_set)
    trained = time.perf_counter()

    def on_step(done: int, total: int) -> bool | None:
        if on_progress is None:
            return None
        fraction = TRAIN_SHARE + (1.0 - TRAIN_SHARE) * min(done / max(total, 1), 1.0)
        return on_progress(Progress("generate", done, total, fraction))

    batches = [starting_batch(c, n_classes) for c in configs]
    targets = batches[0][1]
    try:
        if all(list(t) == list(targets) for _, t in batches):
            advance = graph.generators.get(structure(config))
            if advance is None:
                advance = graph.generators[structure(config)] = make_generator(graph.net, config)
            starts = [start for start, _ in batches]
            generated = generate_stacked(advance, n_classes, configs, starts, targets, on_step)
        else:  # members aim at different targets: generate each on its own
            generated = [
                generate(model, n_classes, c, start=s, targets=t, on_step=on_step)
                for model, c, (s, t) in zip(models, configs, batches, strict=True)
            ]
    except GenerationStopped as stop:
        raise Cancelled(str(stop)) from None
    visualized = time.perf_counter()
    results = []
    for c, model, training, p, g in zip(
        configs, models, trainings, prepared, generated, strict=True
    ):
        outcomes = class_outcomes(c, specs, g)
        results.append(
            RunResult(
                config=c,
                classes=outcomes,
                training=training,
                cross_r=cross_r(outcomes),
                timings={
                    "build_s": p[4],
                    "train_s": (trained - began) / members,
                    "visualize_s": (visualized - trained) / members,
                },
                model=model,
                highlight_effects=effects(model, specs, [o.image for o in outcomes]),
            )
        )
    if on_progress is not None:
        on_progress(Progress("generate", config.max_steps, config.max_steps, 1.0))
    return results
