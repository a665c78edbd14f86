"""How long a run will keep a worker busy, estimated before it starts.

A server shares its workers among its users; a run's compute budget (the web platform's
``MAX_RUN_SECONDS``) keeps one user's run from holding a worker for half an hour. The
estimate counts the work a run does and prices it with costs measured on a 2-core machine
(``bench/bench_budget.py`` measures them again and prints them beside these):

- training: ``epochs x ceil(training images / batch size)`` optimizer steps, each costing a
  fixed part (per-op overhead, which dominates small dense models) plus a part per image in
  the batch (the arithmetic, which dominates convolutions);
- image generation: at most ``max_steps`` gradient steps for all classes at once, each costing
  a fixed part plus a part per class.

The costs were measured with the default shapes. A run with other layer sizes
(``mlp_layers``, ``cnn_filters``, ``cnn_dense``) has its per-image parts scaled by its
multiply-adds per image against the default shape's, and its fixed parts by its number of
weighted layers against the default's (per-op overhead grows with the ops, not their size).
A model with more weights than the default shape also pays for each further weight at every
step: the optimizer reads and writes all of them (four arrays each for Adadelta), and
generation reads them twice. Measured here, this is what makes a wide model slow, once its
weights no longer fit the caches: the MLP with four layers of 512 units (1.2 million weights
against 118,000) trained 16 times as slowly as the paper's, though it does only 10 times
the multiply-adds. A smaller model is priced as the default (its overhead stays).
With ``diversity`` K, generation optimises K images per class.

It is an estimate to bound and to show, not a promise: a busy machine runs slower, and a run
whose generation reaches the threshold early takes less.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from models_zoo import architectures, datasets
from models_zoo.config import RunConfig


@dataclass(frozen=True)
class StepCosts:
    """Seconds per training step (fixed + per image) and per generation step (+ per class)."""

    train_fixed: float
    train_per_image: float
    generate_fixed: float
    generate_per_class: float


# Measured with bench/bench_budget.py on the project's 2-core machines (warm worker), rounded
# towards a busy machine: a budget should rather refuse a run too long than let one through.
COSTS: dict[str, StepCosts] = {
    "mlp": StepCosts(3.0e-4, 1.0e-5, 4.0e-4, 2.0e-5),
    "cnn": StepCosts(4.0e-4, 1.0e-3, 2.5e-3, 2.0e-4),
    "cnn_deep": StepCosts(8.0e-4, 2.0e-3, 3.8e-3, 4.0e-4),
}
# Seconds per training step and per generation step for each weight beyond the default
# shape's, measured with bench-like runs of the widest MLP and CNN on a busy 2-core machine.
TRAIN_PER_EXTRA_WEIGHT = 1.0e-8
GENERATE_PER_EXTRA_WEIGHT = 6.0e-9
# A model registered later without measured costs is priced like the dearest one known.
FALLBACK = max(COSTS.values(), key=lambda costs: costs.train_per_image)
# Building the model, tracing the compiled loops, writing results.
OVERHEAD_S = 1.0


def training_images(config: RunConfig) -> int:
    """Images the optimizer sees each epoch: the copies less the validation share. A dataset
    run trains on the dataset's training images of its classes instead (twice as many with
    counterfactual augmentation, as when every class has a red region: a budget rather
    counts too many)."""
    dataset = {datasets.dataset_of(key) for key in config.classes}
    if dataset == {"shapes"} or len(dataset) != 1:
        total = config.copies * len(config.classes)
    else:
        total = datasets.TRAIN_PER_CLASS * len(config.classes)
        if config.highlight == "augment":
            total *= 2
    return max(1, total - int(total * config.validation_split))


_SIDE = 28
_KERNEL = 3


@dataclass(frozen=True)
class ShapeWork:
    """What a model of some shape computes per image and holds."""

    multiply_adds: int  # one image's forward pass
    layers: int  # weighted layers
    weights: int  # trainable numbers


def shape_work(model: str, sizes: architectures.Sizes, n_classes: int) -> ShapeWork | None:
    """The work of ``model`` with the shape in ``sizes``; None for an architecture whose
    shape is fixed (its measured costs apply as they are)."""
    shape = architectures.sizes_of(model, sizes)
    if "mlp_layers" in shape:
        widths = [_SIDE * _SIDE, *shape["mlp_layers"], n_classes]
        pairs = list(itertools.pairwise(widths))
        return ShapeWork(
            multiply_adds=sum(a * b for a, b in pairs),
            layers=len(pairs),
            weights=sum(a * b + b for a, b in pairs),
        )
    if "cnn_filters" in shape:
        work, weights, side, channels = 0, 0, _SIDE, 1
        for filters in shape["cnn_filters"]:
            side -= _KERNEL - 1
            work += side * side * _KERNEL * _KERNEL * channels * filters
            weights += _KERNEL * _KERNEL * channels * filters + filters
            channels = filters
        flat = (side // 2) ** 2 * channels
        dense = shape["cnn_dense"]
        work += flat * dense + dense * n_classes
        weights += flat * dense + dense + dense * n_classes + n_classes
        return ShapeWork(work, len(shape["cnn_filters"]) + 2, weights)
    return None


@dataclass(frozen=True)
class ShapeFactors:
    """How much dearer a run's model is than its architecture's default shape."""

    per_image: float  # multiply-adds against the default's
    fixed: float  # weighted layers against the default's
    extra_weights: int  # weights beyond the default's (never fewer than none)


def shape_factors(config: RunConfig) -> ShapeFactors:
    classes = len(config.classes)
    work = shape_work(config.model, config, classes)
    default = shape_work(config.model, None, classes)
    if work is None or default is None:
        return ShapeFactors(1.0, 1.0, 0)
    return ShapeFactors(
        per_image=work.multiply_adds / default.multiply_adds,
        fixed=work.layers / default.layers,
        extra_weights=max(0, work.weights - default.weights),
    )


def estimate_seconds(config: RunConfig) -> float:
    """The estimated worker time of a run: training plus image generation plus overhead."""
    measured = COSTS.get(config.model, FALLBACK)
    shape = shape_factors(config)
    costs = StepCosts(
        measured.train_fixed * shape.fixed + TRAIN_PER_EXTRA_WEIGHT * shape.extra_weights,
        measured.train_per_image * shape.per_image,
        measured.generate_fixed * shape.fixed + GENERATE_PER_EXTRA_WEIGHT * shape.extra_weights,
        measured.generate_per_class * shape.per_image,
    )
    images = training_images(config)
    batch = min(config.batch_size, images)
    steps = config.epochs * math.ceil(images / batch)
    # The right-for-the-right-reasons penalty takes a second gradient per step.
    penalty = 2.0 if config.highlight == "rrr" else 1.0
    train = steps * (costs.train_fixed + costs.train_per_image * batch) * penalty
    images_generated = len(config.classes) * config.diversity
    generate = config.max_steps * (
        costs.generate_fixed + costs.generate_per_class * images_generated
    )
    return OVERHEAD_S + train + generate
