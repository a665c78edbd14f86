"""The statistics of a sweep: mean and spread over seeds, and paired claims between settings.

Pure numpy, no Django: the site's sweep page and the command line read the same numbers.
An undefined value (``None``, or NaN: an |r| of a constant image) is left out of a mean, and
never supports a claim.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Spread:
    """Mean and sample standard deviation (ddof=1) over the defined values.

    ``mean`` is None when no value is defined, ``sd`` when fewer than two are."""

    mean: float | None
    sd: float | None
    n: int


def defined(values: Iterable[float | None]) -> list[float]:
    """The values that are numbers and finite, in order."""
    return [float(v) for v in values if v is not None and math.isfinite(float(v))]


def spread(values: Iterable[float | None]) -> Spread:
    numbers = np.asarray(defined(values), dtype=np.float64)
    n = int(numbers.size)
    if n == 0:
        return Spread(None, None, 0)
    mean = float(numbers.mean())
    sd = float(numbers.std(ddof=1)) if n >= 2 else None
    return Spread(mean, sd, n)


@dataclass(frozen=True)
class Claim:
    """``better`` has the higher mean than ``worse`` (indices into the compared series);
    of the ``seeds`` where both have a defined value, ``holding`` have it higher too."""

    better: int
    worse: int
    seeds: int
    holding: int

    @property
    def share(self) -> float | None:
        return self.holding / self.seeds if self.seeds else None

    @property
    def holds_on_means(self) -> bool:
        # The order is taken from the means, so on the means it holds by construction.
        return True


def claims(series: Sequence[Mapping[int, float | None]]) -> list[Claim]:
    """For every pair of series (one per setting combination: seed -> value) whose means
    differ, which is higher on the means and in how many seeds it is higher too.

    Seeds are paired: a seed counts only where both series have a defined value. A pair
    with a mean undefined on either side, or with equal means, makes no claim.
    """
    means = [spread(per_seed.values()).mean for per_seed in series]
    found: list[Claim] = []
    for first, second in itertools.combinations(range(len(series)), 2):
        a, b = means[first], means[second]
        if a is None or b is None or a == b:
            continue
        better, worse = (first, second) if a > b else (second, first)
        paired = _paired(series[better], series[worse])
        holding = sum(1 for high, low in paired if high > low)
        found.append(Claim(better, worse, len(paired), holding))
    return found


def _paired(
    high: Mapping[int, float | None], low: Mapping[int, float | None]
) -> list[tuple[float, float]]:
    pairs = []
    for seed in sorted(set(high) & set(low)):
        both = defined([high[seed], low[seed]])
        if len(both) == 2:
            pairs.append((both[0], both[1]))
    return pairs
