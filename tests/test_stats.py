"""opsdiag.stats: bootstrap intervals, rank and rate tests, sample sizes and verdict rules."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binomtest

from opsdiag import stats


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_summarise_median_mean_and_empty():
    assert stats.summarise([1, 2, 3, 10]) == 2.5
    assert stats.summarise([1, 2, 3, 10], "mean") == 4.0
    assert stats.summarise([np.nan, 4.0]) == 4.0
    assert math.isnan(stats.summarise([]))


def test_bootstrap_difference_of_constant_samples_is_exact():
    low, high = stats.bootstrap_difference([2, 2, 2], [5, 5, 5, 5], rng(), n_resamples=200)
    assert (low, high) == (3.0, 3.0)


def test_bootstrap_difference_is_seeded_and_empty_gives_nan():
    base, pilot = [1.0, 4.0, 2.0, 8.0, 3.0], [1.0, 2.0, 2.5, 1.5]
    first = stats.bootstrap_difference(base, pilot, rng(3), n_resamples=300)
    assert first == stats.bootstrap_difference(base, pilot, rng(3), n_resamples=300)
    assert first[0] <= first[1]
    assert all(math.isnan(v) for v in stats.bootstrap_difference([], pilot, rng(), n_resamples=10))


def test_bootstrap_did_of_constant_cells():
    did, low, high = stats.bootstrap_did([10] * 3, [6] * 3, [10] * 3, [9] * 3, rng(), n_resamples=100)
    # (6 − 10) − (9 − 10) = −3
    assert (did, low, high) == (-3.0, -3.0, -3.0)


def test_mann_whitney_fully_separated_samples():
    result = stats.mann_whitney([1, 2, 3], [4, 5, 6])
    assert result.u == 9.0  # every pilot value beats every baseline value: U = 3 × 3
    assert result.superiority == 1.0
    assert result.p_value == pytest.approx(0.1)  # exact: 2 × 1 / C(6, 3)


def test_mann_whitney_all_equal_gives_nan():
    assert math.isnan(stats.mann_whitney([2, 2], [2, 2, 2]).p_value)


def test_needed_n_rank_test_noether():
    # z = 1.95996 + 0.84162 = 2.80158; z² / (3 × 0.25²) / 2 = 20.93 → 21 per window
    assert stats.needed_n_rank_test(0.75) == 21
    assert stats.needed_n_rank_test(0.25) == 21
    assert stats.needed_n_rank_test(0.5) is None
    assert stats.needed_n_rank_test(float("nan")) is None


def test_compare_rates_exact_interval_and_test():
    result = stats.compare_rates(10, 2.0, 20, 2.0)
    assert result.baseline_rate == 5.0 and result.pilot_rate == 10.0 and result.ratio == 2.0
    expected = binomtest(20, 30, 0.5)
    assert result.p_value == pytest.approx(expected.pvalue)
    ci = expected.proportion_ci(confidence_level=0.95, method="exact")
    assert result.ratio_low == pytest.approx(ci.low / (1 - ci.low))
    assert result.ratio_high == pytest.approx(ci.high / (1 - ci.high))


def test_compare_rates_unequal_exposure_and_zero_counts():
    result = stats.compare_rates(6, 3.0, 6, 6.0)  # 2 per week vs 1 per week
    assert result.ratio == pytest.approx(0.5)
    assert result.ratio_low < 0.5 < result.ratio_high
    empty = stats.compare_rates(0, 2.0, 0, 2.0)
    assert math.isnan(empty.ratio) and math.isnan(empty.p_value)


def test_needed_exposure_rates():
    # 2.80158² × (1/2 + 1/4) / ln(2)² = 12.25 → 13 weeks
    assert stats.needed_exposure_rates(2.0, 4.0) == 13
    assert stats.needed_exposure_rates(2.0, 2.0) is None
    assert stats.needed_exposure_rates(0.0, 2.0) is None


@pytest.mark.parametrize("change, low, high, p, n, better, expected", [
    (-2.0, -3.0, -1.0, 0.01, (8, 8), "lower", "improved"),
    (2.0, 1.0, 3.0, 0.01, (8, 8), "lower", "worse"),
    (2.0, 1.0, 3.0, 0.01, (8, 8), "higher", "improved"),
    (-2.0, -3.0, -1.0, 0.01, (8, 8), "higher", "worse"),
    (-2.0, -3.0, 0.5, 0.01, (8, 8), "lower", "no_change"),  # interval includes zero
    (-2.0, -3.0, -1.0, 0.20, (8, 8), "lower", "no_change"),  # the test does not agree
    (-2.0, -3.0, -1.0, 0.01, (7, 30), "lower", "not_enough_data"),
    (-2.0, float("nan"), float("nan"), 0.01, (8, 8), "lower", "not_enough_data"),
])
def test_verdict_rules(change, low, high, p, n, better, expected):
    assert stats.verdict(change, low, high, p, *n, better) == expected


def test_compare_counts_interval_excludes_zero_exactly_when_ratio_excludes_one():
    up = stats.compare_counts(30, 6.0, 60, 6.0)
    assert up.baseline == 5.0 and up.pilot == 10.0 and up.change == 5.0 and up.ratio == 2.0
    assert up.ci_low == pytest.approx(5.0 * (up.ratio_low - 1)) and up.ci_low > 0
    assert up.verdict == "improved" and up.needed_unit == "weeks per window"
    flat = stats.compare_counts(30, 6.0, 33, 6.0)
    assert flat.ratio_low < 1 < flat.ratio_high and flat.ci_low < 0 < flat.ci_high
    assert flat.verdict == "no_change"


def test_compare_samples_small_windows_are_not_enough_data():
    result = stats.compare_samples([5, 6, 7], [1, 2, 3], rng(), better="lower", n_resamples=100)
    assert result.verdict == "not_enough_data"
    assert (result.baseline, result.pilot, result.change) == (6.0, 2.0, -4.0)
    assert result.ratio == pytest.approx(1 / 3)
    assert (result.n_baseline, result.n_pilot) == (3, 3)
