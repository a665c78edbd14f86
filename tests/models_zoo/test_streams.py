"""Each run's random jobs draw from streams of their own, independent across seeds."""

from __future__ import annotations

import numpy as np

from models_zoo.classes import ClassSpec
from models_zoo.data import build_dataset
from models_zoo.shapes import CATALOGUE
from models_zoo.streams import JOBS, streams


def first_draws(seed: int) -> list[float]:
    made = streams(seed)
    return [float(getattr(made, job).random()) for job in JOBS]


def test_no_two_jobs_of_neighbouring_seeds_share_a_stream() -> None:
    # With seed, seed + 1, ... per job, seed 4's batch order was seed 5's data stream.
    draws = [value for seed in range(10) for value in first_draws(seed)]
    assert len(set(draws)) == len(draws)


def test_streams_are_fixed_by_the_seed() -> None:
    assert first_draws(7) == first_draws(7)
    assert first_draws(7) != first_draws(8)


def test_the_training_data_comes_from_the_data_stream() -> None:
    classes = [ClassSpec.from_catalogue(key) for key in list(CATALOGUE)[:2]]
    data = build_dataset(classes, copies=3, seed=11)
    rng = streams(11).data
    noise = [rng.uniform(0.0, 0.01, (28, 28)) for _ in range(6)]
    order = rng.permutation(6)
    expected = np.stack(
        [classes[i // 3].sample(np.random.default_rng()) + noise[i] for i in range(6)]
    )[order]
    np.testing.assert_allclose(data.x[..., 0], expected.astype(np.float32), atol=1e-7)
