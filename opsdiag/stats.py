"""Statistics for honest before/after comparisons: bootstrap intervals, rank and rate tests, power.

Everything here is generic (arrays in, numbers out) and used by ``opsdiag.deploy``. Random
draws come from a ``numpy.random.Generator`` passed in, so the same seed gives the same
interval. Bootstraps are vectorised: one ``(resamples × n)`` index matrix per sample, no Python
loop over resamples. scipy is imported inside the functions that need it (fast ``import opsdiag``).

Verdict rules (:func:`verdict`), in order:

1. ``not_enough_data`` — fewer than ``MIN_N`` (8) observations in either window, or no
   interval could be computed;
2. ``no_change`` — the confidence interval of the change includes zero, or the test's p-value
   is ≥ ``ALPHA`` (both must agree before a change is claimed: this keeps the false-positive
   rate at or below the nominal 5 % even where the percentile bootstrap is a little narrow);
3. ``improved`` / ``worse`` — by the sign of the change and the metric's direction (lower
   cycle time is better, higher throughput is better).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

ALPHA = 0.05  # two-sided significance level; intervals are 1 − ALPHA = 95 %
POWER = 0.80  # power used for the sample size a result would need
MIN_N = 8  # fewer observations than this in either window: not enough data
N_RESAMPLES = 2000
VERDICTS = ("improved", "no_change", "worse", "not_enough_data")


def _z(p: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(p))


def _array(values) -> np.ndarray:
    array = np.asarray(values, dtype="float64").ravel()
    return array[~np.isnan(array)]


def summarise(values, statistic: str = "median") -> float:
    """The ``statistic`` ("median" or "mean") of the non-missing ``values``; NaN when there are none."""
    array = _array(values)
    if not array.size:
        return float("nan")
    return float(np.median(array) if statistic == "median" else np.mean(array))


def bootstrap_statistic(values, n_resamples: int, rng: np.random.Generator,
                        statistic: str = "median") -> np.ndarray:
    """``n_resamples`` bootstrap replicates of the median or mean of ``values`` (resampled with replacement).

    Empty input gives an array of NaN.
    """
    array = _array(values)
    if not array.size:
        return np.full(n_resamples, np.nan)
    draws = array[rng.integers(0, array.size, size=(n_resamples, array.size))]
    return np.median(draws, axis=1) if statistic == "median" else draws.mean(axis=1)


def _interval(replicates: np.ndarray, confidence: float) -> tuple[float, float]:
    replicates = replicates[~np.isnan(replicates)]
    if not replicates.size:
        return float("nan"), float("nan")
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(replicates, [tail, 100.0 - tail])
    return float(low), float(high)


def bootstrap_difference(baseline, pilot, rng: np.random.Generator, *, statistic: str = "median",
                         n_resamples: int = N_RESAMPLES, confidence: float = 1 - ALPHA) -> tuple[float, float]:
    """Percentile bootstrap interval of statistic(pilot) − statistic(baseline).

    Each window is resampled with replacement on its own (``n_resamples`` times); the interval
    is the (1 − confidence)/2 and (1 + confidence)/2 percentiles of the replicate differences.
    Units are those of the values. (NaN, NaN) when either sample is empty.
    """
    return _interval(bootstrap_statistic(pilot, n_resamples, rng, statistic)
                     - bootstrap_statistic(baseline, n_resamples, rng, statistic), confidence)


def bootstrap_did(treated_before, treated_after, control_before, control_after, rng: np.random.Generator, *,
                  statistic: str = "median", n_resamples: int = N_RESAMPLES,
                  confidence: float = 1 - ALPHA) -> tuple[float, float, float]:
    """Difference-in-differences with a bootstrap interval.

    did = (stat(treated_after) − stat(treated_before)) − (stat(control_after) − stat(control_before)):
    the change in the pilot teams beyond the change the other teams saw over the same windows.
    Each of the four samples is resampled on its own. Returns (did, low, high); NaN where any
    sample is empty.
    """
    samples = (treated_before, treated_after, control_before, control_after)
    point = [summarise(s, statistic) for s in samples]
    did = (point[1] - point[0]) - (point[3] - point[2])
    reps = [bootstrap_statistic(s, n_resamples, rng, statistic) for s in samples]
    low, high = _interval((reps[1] - reps[0]) - (reps[3] - reps[2]), confidence)
    return float(did), low, high


@dataclass(frozen=True)
class RankTest:
    """Mann–Whitney U test of pilot against baseline.

    ``u`` is the statistic of the pilot sample; ``superiority`` = U / (n_pilot × n_baseline) =
    P(pilot value > baseline value) + ½ P(tie), the common-language effect size (0.5 = no shift).
    """

    u: float
    p_value: float
    superiority: float


def mann_whitney(baseline, pilot) -> RankTest:
    """Two-sided Mann–Whitney U test (scipy, normal approximation with tie correction when needed).

    NaN fields when either sample is empty or every value in both samples is equal.
    """
    from scipy.stats import mannwhitneyu

    base, test = _array(baseline), _array(pilot)
    if not base.size or not test.size or np.ptp(np.concatenate([base, test])) == 0:
        return RankTest(float("nan"), float("nan"), float("nan"))
    result = mannwhitneyu(test, base, alternative="two-sided")
    return RankTest(float(result.statistic), float(result.pvalue), float(result.statistic) / (base.size * test.size))


def needed_n_rank_test(superiority: float, alpha: float = ALPHA, power: float = POWER) -> int | None:
    """Observations per window a Mann–Whitney test needs to detect the observed shift.

    Noether's (1987) formula with equal windows: N_total = (z₁₋α/₂ + z_power)² / (12 · ½ · ½ ·
    (p − ½)²), where p is the observed ``superiority``; per window = ⌈N_total / 2⌉. None when
    no shift was observed (p = ½ or unknown).
    """
    if superiority is None or not math.isfinite(superiority) or superiority == 0.5:
        return None
    z = _z(1 - alpha / 2) + _z(power)
    return int(math.ceil(z ** 2 / (3.0 * (superiority - 0.5) ** 2) / 2.0))


@dataclass(frozen=True)
class RateComparison:
    """Poisson rates of two windows: rate = count / exposure (e.g. items per week).

    ratio = pilot rate / baseline rate with its exact conditional interval; p_value of the exact
    test of equal rates.
    """

    baseline_rate: float
    pilot_rate: float
    ratio: float
    ratio_low: float
    ratio_high: float
    p_value: float


def compare_rates(count_baseline: int, exposure_baseline: float, count_pilot: int, exposure_pilot: float,
                  confidence: float = 1 - ALPHA) -> RateComparison:
    """Exact comparison of two Poisson rates (counts over exposures, e.g. completions over weeks).

    Conditional on the total n = x_b + x_p, x_p is Binomial(n, π) with π = E_p·λ_p / (E_p·λ_p +
    E_b·λ_b). The Clopper–Pearson interval of π maps to the rate ratio by RR = π/(1 − π) · E_b/E_p,
    and the p-value is the exact two-sided binomial test of π = E_p / (E_p + E_b) (equal rates).
    NaN ratio and interval when both counts are 0 or an exposure is not positive; an upper bound
    of ``inf`` when the baseline count is 0.
    """
    from scipy.stats import beta, binomtest

    nan = float("nan")
    base_rate = count_baseline / exposure_baseline if exposure_baseline > 0 else nan
    pilot_rate = count_pilot / exposure_pilot if exposure_pilot > 0 else nan
    total = int(count_baseline + count_pilot)
    if total == 0 or exposure_baseline <= 0 or exposure_pilot <= 0:
        return RateComparison(base_rate, pilot_rate, nan, nan, nan, nan)
    tail = (1 - confidence) / 2
    low_pi = float(beta.ppf(tail, count_pilot, total - count_pilot + 1)) if count_pilot > 0 else 0.0
    high_pi = float(beta.ppf(1 - tail, count_pilot + 1, total - count_pilot)) if count_pilot < total else 1.0
    scale = exposure_baseline / exposure_pilot

    def to_ratio(pi: float) -> float:
        return math.inf if pi >= 1.0 else pi / (1.0 - pi) * scale

    ratio = pilot_rate / base_rate if base_rate > 0 else math.inf
    p_value = binomtest(int(count_pilot), total, exposure_pilot / (exposure_pilot + exposure_baseline)).pvalue
    return RateComparison(base_rate, pilot_rate, ratio, to_ratio(low_pi), to_ratio(high_pi), float(p_value))


def needed_exposure_rates(baseline_rate: float, pilot_rate: float, alpha: float = ALPHA,
                          power: float = POWER) -> int | None:
    """Exposure per window (e.g. weeks) a rate comparison needs to detect the observed ratio.

    From the normal approximation of log(RR) with equal exposures T: var = (1/λ_b + 1/λ_p) / T, so
    T = (z₁₋α/₂ + z_power)² · (1/λ_b + 1/λ_p) / ln(λ_p/λ_b)², rounded up. None when the rates are
    equal, zero or unknown.
    """
    rates = (baseline_rate, pilot_rate)
    if any(r is None or not math.isfinite(r) or r <= 0 for r in rates) or baseline_rate == pilot_rate:
        return None
    z = _z(1 - alpha / 2) + _z(power)
    return int(math.ceil(z ** 2 * (1 / baseline_rate + 1 / pilot_rate) / math.log(pilot_rate / baseline_rate) ** 2))


def verdict(change: float, ci_low: float, ci_high: float, p_value: float, n_baseline: int, n_pilot: int,
            better: str, *, min_n: int = MIN_N, alpha: float = ALPHA) -> str:
    """``improved`` / ``no_change`` / ``worse`` / ``not_enough_data`` by the rules in the module docstring.

    ``better`` is "lower" (cycle time, queue days) or "higher" (throughput).
    """
    if min(n_baseline, n_pilot) < min_n or not all(_finite(v) for v in (change, ci_low, ci_high)):
        return "not_enough_data"
    if ci_low <= 0.0 <= ci_high or not _finite(p_value) or p_value >= alpha:
        return "no_change"
    lower = change < 0
    return "improved" if lower == (better == "lower") else "worse"


def _finite(value) -> bool:
    return value is not None and isinstance(value, (int, float, np.floating)) and math.isfinite(value)


@dataclass(frozen=True)
class Comparison:
    """Baseline against pilot for one metric: point values, change, interval, test, verdict, power.

    change = pilot − baseline; ratio = pilot / baseline (NaN when the baseline is 0); ci_low /
    ci_high bound the change; needed_n is what each window would need (see ``needed_unit``) to
    detect the observed effect with 80 % power at α = 0.05.
    """

    baseline: float
    pilot: float
    change: float
    ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    n_baseline: int
    n_pilot: int
    verdict: str
    needed_n: int | None
    needed_unit: str
    ratio_low: float = float("nan")
    ratio_high: float = float("nan")


def compare_samples(baseline, pilot, rng: np.random.Generator, *, better: str, statistic: str = "median",
                    n_resamples: int = N_RESAMPLES, min_n: int = MIN_N) -> Comparison:
    """Compare per-item values of two windows (e.g. cycle times in days).

    baseline / pilot = ``statistic`` (median or mean) of each window; the interval of the change is
    :func:`bootstrap_difference`; the p-value is :func:`mann_whitney`; needed_n is
    :func:`needed_n_rank_test` (items per window). No interval is computed below two items in a
    window. The verdict follows :func:`verdict`.
    """
    base, test = _array(baseline), _array(pilot)
    b, p = summarise(base, statistic), summarise(test, statistic)
    change = p - b
    ratio = p / b if _finite(b) and b != 0 else float("nan")
    low = high = float("nan")
    if min(base.size, test.size) >= 2:
        low, high = bootstrap_difference(base, test, rng, statistic=statistic, n_resamples=n_resamples)
    rank = mann_whitney(base, test)
    decided = verdict(change, low, high, rank.p_value, base.size, test.size, better, min_n=min_n)
    return Comparison(b, p, change, ratio, low, high, rank.p_value, int(base.size), int(test.size), decided,
                      needed_n_rank_test(rank.superiority), "items per window")


def compare_counts(count_baseline: int, exposure_baseline: float, count_pilot: int, exposure_pilot: float, *,
                   better: str = "higher", min_n: int = MIN_N) -> Comparison:
    """Compare event rates of two windows (e.g. items completed per week).

    baseline / pilot are the rates; the interval of the change is the exact rate-ratio interval of
    :func:`compare_rates` mapped to a change at the observed baseline rate,
    baseline × (RR_low − 1) … baseline × (RR_high − 1), so it excludes zero exactly when the
    ratio's interval excludes 1. n_baseline / n_pilot are the event counts; needed_n is
    :func:`needed_exposure_rates` (in the exposure's unit per window).
    """
    rates = compare_rates(count_baseline, exposure_baseline, count_pilot, exposure_pilot)
    b, p = rates.baseline_rate, rates.pilot_rate
    low = b * (rates.ratio_low - 1) if _finite(rates.ratio_low) else float("nan")
    high = b * (rates.ratio_high - 1) if _finite(rates.ratio_high) else float("nan")
    change = p - b
    ratio = rates.ratio if _finite(rates.ratio) else float("nan")
    decided = verdict(change, low, high, rates.p_value, int(count_baseline), int(count_pilot), better, min_n=min_n)
    return Comparison(b, p, change, ratio, low, high, rates.p_value, int(count_baseline), int(count_pilot), decided,
                      needed_exposure_rates(b, p), "weeks per window", rates.ratio_low, rates.ratio_high)
