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
With ``diversity`` K, generation optimises K images per class.

It is an estimate to bound and to show, not a promise: a busy machine runs slower, and a run
whose generation reaches the threshold early takes less.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from models_zoo import architectures
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
# A model registered later without measured costs is priced like the dearest one known.
FALLBACK = max(COSTS.values(), key=lambda costs: costs.train_per_image)
# Building the model, tracing the compiled loops, writing results.
OVERHEAD_S = 1.0


def training_images(config: RunConfig) -> int:
    """Images the optimizer sees each epoch: the copies less the validation share."""
    total = config.copies * len(config.classes)
    return max(1, total - int(total * config.validation_split))


_SIDE = 28
_KERNEL = 3


def multiply_adds(model: str, sizes: architectures.Sizes, n_classes: int) -> tuple[int, int]:
    """The multiply-adds of one image's forward pass and the number of weighted layers of
    ``model`` with the shape in ``sizes``; (0, 0) for an architecture whose shape is fixed."""
    shape = architectures.sizes_of(model, sizes)
    if "mlp_layers" in shape:
        widths = [_SIDE * _SIDE, *shape["mlp_layers"], n_classes]
        return sum(a * b for a, b in itertools.pairwise(widths)), len(widths) - 1
    if "cnn_filters" in shape:
        total, side, channels = 0, _SIDE, 1
        for filters in shape["cnn_filters"]:
            side -= _KERNEL - 1
            total += side * side * _KERNEL * _KERNEL * channels * filters
            channels = filters
        flat = (side // 2) ** 2 * channels
        total += flat * shape["cnn_dense"] + shape["cnn_dense"] * n_classes
        return total, len(shape["cnn_filters"]) + 2
    return 0, 0


def shape_factors(config: RunConfig) -> tuple[float, float]:
    """How much dearer the run's model is than its architecture's default shape:
    (per-image work, fixed per-step work)."""
    classes = len(config.classes)
    work, layers = multiply_adds(config.model, config, classes)
    default_work, default_layers = multiply_adds(config.model, None, classes)
    if not default_work:
        return 1.0, 1.0
    return work / default_work, layers / default_layers


def estimate_seconds(config: RunConfig) -> float:
    """The estimated worker time of a run: training plus image generation plus overhead."""
    measured = COSTS.get(config.model, FALLBACK)
    per_image, fixed = shape_factors(config)
    costs = StepCosts(
        measured.train_fixed * fixed,
        measured.train_per_image * per_image,
        measured.generate_fixed * fixed,
        measured.generate_per_class * per_image,
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
