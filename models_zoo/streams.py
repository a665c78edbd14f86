"""Independent random streams of one run, all derived from its seed.

A run draws random numbers for four jobs: its training data, the order of the batches, the
starting images of image generation, and the noise classes' templates. Each job gets its own
child of ``numpy.random.SeedSequence(seed)``, so no two jobs (and no two runs of a sweep with
neighbouring seeds) share a stream, as they would if the jobs used ``seed``, ``seed + 1``, ...
The model's initial weights and dropout come from TensorFlow, seeded with the seed itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The order of the jobs is part of every stored run's numbers: append, never reorder.
JOBS = ("data", "order", "start", "template")


@dataclass(frozen=True)
class Streams:
    data: np.random.Generator
    order: np.random.Generator
    start: np.random.Generator
    template: np.random.Generator


def streams(seed: int) -> Streams:
    """Fresh generators for every job of a run with ``seed``."""
    children = np.random.SeedSequence(int(seed)).spawn(len(JOBS))
    generators = [np.random.default_rng(child) for child in children]
    return Streams(**dict(zip(JOBS, generators, strict=True)))
