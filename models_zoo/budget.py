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

It is an estimate to bound and to show, not a promise: a busy machine runs slower, and a run
whose generation reaches the threshold early takes less.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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


def estimate_seconds(config: RunConfig) -> float:
    """The estimated worker time of a run: training plus image generation plus overhead."""
    costs = COSTS.get(config.model, FALLBACK)
    images = training_images(config)
    batch = min(config.batch_size, images)
    steps = config.epochs * math.ceil(images / batch)
    # The right-for-the-right-reasons penalty takes a second gradient per step.
    penalty = 2.0 if config.highlight == "rrr" else 1.0
    train = steps * (costs.train_fixed + costs.train_per_image * batch) * penalty
    classes = len(config.classes)
    generate = config.max_steps * (costs.generate_fixed + costs.generate_per_class * classes)
    return OVERHEAD_S + train + generate
