"""Shared pieces of the sweeps' tests: a tiny base configuration and finishing members
the way a worker does (started, then finished with a made-up outcome), without training."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from experiments import lifecycle, results
from experiments.models import Experiment
from tests.factories import TINY_MLP, made_up_outcome

BASE: dict[str, Any] = {**TINY_MLP, "seed": 11}


def finish(experiment: Experiment, rs: Sequence[float | None]) -> None:
    """Finishes a queued run as its worker would, with these |r| per class."""
    assert lifecycle.experiment_start(experiment_id=experiment.pk)
    outcome = made_up_outcome(
        experiment, rs=rs, snapshot_frames=0, rng=np.random.default_rng(experiment.seed)
    )
    assert results.experiment_finish(experiment_id=experiment.pk, outcome=outcome)
