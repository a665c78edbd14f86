"""A sweep's statistics: mean and sample sd over defined values, paired claims."""

from __future__ import annotations

import statistics

import pytest

from models_zoo.sweep_stats import Claim, Spread, claims, spread


def test_spread_is_the_mean_and_the_sample_sd_of_the_defined_values() -> None:
    values = [0.5, None, 0.7, float("nan"), 0.9]
    result = spread(values)
    assert result.n == 3
    assert result.mean == pytest.approx(statistics.mean([0.5, 0.7, 0.9]))
    # The sample standard deviation (n - 1), not the population's.
    assert result.sd == pytest.approx(statistics.stdev([0.5, 0.7, 0.9]))
    assert result.sd == pytest.approx(0.2)


def test_spread_of_one_value_has_no_sd_and_of_none_no_mean() -> None:
    assert spread([0.4]) == Spread(0.4, None, 1)
    assert spread([None, float("nan")]) == Spread(None, None, 0)
    assert spread([]) == Spread(None, None, 0)


def test_a_claim_orders_by_the_means_and_counts_the_seeds_where_it_holds() -> None:
    a = {1: 0.9, 2: 0.2, 3: 0.8, 4: 0.7}
    b = {1: 0.5, 2: 0.6, 3: 0.4, 4: None}
    # Means: a 0.65, b 0.5: a > b; paired seeds with both defined: 1, 2, 3; a higher in 1, 3.
    (claim,) = claims([b, a])
    assert claim == Claim(better=1, worse=0, seeds=3, holding=2)
    assert claim.share == pytest.approx(2 / 3)
    assert claim.holds_on_means


def test_every_pair_with_different_means_makes_one_claim() -> None:
    low = {1: 0.1, 2: 0.2}
    mid = {1: 0.3, 2: 0.4}
    high = {1: 0.5, 2: 0.6}
    same_as_low = {1: 0.2, 2: 0.1}
    found = claims([low, mid, high, same_as_low])
    pairs = {(c.better, c.worse) for c in found}
    assert pairs == {(1, 0), (2, 0), (2, 1), (1, 3), (2, 3)}
    assert all(c.seeds == 2 for c in found)
    # low and same_as_low have equal means: no claim between them either way.
    assert (0, 3) not in pairs and (3, 0) not in pairs


def test_no_claim_without_a_defined_mean_and_no_share_without_paired_seeds() -> None:
    assert claims([{1: None}, {1: 0.5}]) == []
    (claim,) = claims([{1: 0.5}, {2: 0.1}])
    assert claim.seeds == 0 and claim.share is None
    assert claim.holding == 0


def test_a_single_series_makes_no_claim() -> None:
    assert claims([{1: 0.5, 2: 0.6}]) == []
