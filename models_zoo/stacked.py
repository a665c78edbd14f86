"""A sweep group made as one stacked computation: ``run_stacked`` is ``sweep.run_group``'s body.

Each member is prepared as ``pipeline.run`` prepares a run (its data from
``pipeline.prepare``, its initial weights from ``seed_everything(seed)`` and
``architectures.build``), then the members are dealt into lanes, one per core, and each
lane's members train in one compiled loop (``models_zoo.stacked_training``), the lanes at
once, and generate their images in another (``models_zoo.stacked_generation``). The trained
weights go back into each member's Keras model, which gives the confusion matrix, the
highlight effects and ``RunResult.model``.

A group that cannot be stacked (a model that is not a plain sequential stack of the layers
``stacked_layers`` knows) gets ``None`` here and is made one run after another.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from models_zoo import Cancelled, architectures
from models_zoo.classes import ClassSpec
from models_zoo.config import RunConfig
from models_zoo.data import build_test_set
from models_zoo.generation import (
    Generated,
    GenerationStopped,
    StepCallback,
    generate,
    starting_batch,
)
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
from models_zoo.stacked_layers import layer_plans, read_weights, write_weights
from models_zoo.stacked_training import (
    LOCK,
    LaneSet,
    StackedTrainGraph,
    graph_for,
    in_lanes,
    lanes_for,
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


def _generate_in_lanes(
    graph: LaneSet,
    configs: Sequence[RunConfig],
    starts: Sequence[np.ndarray],
    targets: Sequence[int],
    n_classes: int,
    on_step: StepCallback | None,
) -> list[Generated]:
    """Every member's images, each lane on its own network (its compiled generator kept with
    it), the lanes at once; the progress runs once over all lanes, reported from here."""
    kind = structure(configs[0])
    lanes = list(zip(graph.graphs, graph.bounds(), strict=True))
    steps = [0] * len(lanes)
    total = configs[0].max_steps * len(lanes)
    stop = threading.Event()

    def work(index: int, lane: StackedTrainGraph, first: int, last: int) -> list[Generated]:
        advance = lane.generators.get(kind)
        if advance is None:
            advance = lane.generators[kind] = make_generator(lane.net, configs[0])

        def lane_step(done: int, _total: int) -> bool:
            steps[index] = done
            return stop.is_set()

        return generate_stacked(
            advance, n_classes, configs[first:last], starts[first:last], targets, lane_step
        )

    def report() -> None:
        if on_step is not None and not stop.is_set() and on_step(sum(steps), total):
            stop.set()

    pieces = [
        (lambda i=i, lane=lane, a=a, b=b: work(i, lane, a, b))
        for i, (lane, (a, b)) in enumerate(lanes)
    ]
    try:
        answers = in_lanes(pieces, report if on_step is not None else None)
    except GenerationStopped:
        raise GenerationStopped(f"stopped after {max(steps)} steps") from None
    if stop.is_set():  # asked to stop as the last lane ended
        raise GenerationStopped(f"stopped after {max(steps)} steps")
    return [generated for answer in answers for generated in answer]


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
    lanes = tuple(tuple(parts_for(size, has_conv)) for size in lanes_for(members))
    rrr = config.highlight == "rrr"
    signature = tuple(plan.signature() for plan in plans)
    shapes = tuple(tuple(w.shape) for w in weights[0])
    key = (signature, shapes, lanes, n_classes, n_train, n_val, batch, config.optimizer, rrr)

    def build() -> LaneSet:
        shape = (n_classes, n_train, n_val, batch)
        return LaneSet(plans, shapes, lanes, shape, config.optimizer, rrr)

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
    for model, values in zip(models, graph.member_weights(), strict=True):
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
            starts = [start for start, _ in batches]
            generated = _generate_in_lanes(graph, configs, starts, targets, n_classes, on_step)
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
