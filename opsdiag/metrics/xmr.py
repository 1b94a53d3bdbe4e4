"""XmR (individuals and moving range) process-behaviour charts, after Donald Wheeler.

Used on weekly throughput (complete weeks only) and on cycle times in completion order, to tell
routine variation from a signal worth a conversation. The scaling constants are Wheeler's:
2.66 = 3 / d2 (d2 = 1.128 for moving ranges of two points) and 3.268 = D4 for n = 2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

NATURAL_PROCESS_LIMIT = 2.66  # 3 / 1.128
UPPER_RANGE_LIMIT = 3.268  # D4 for moving ranges of two
RUN_LENGTH = 8  # consecutive points on one side of the mean


@dataclass(frozen=True)
class XmR:
    """Limits of an XmR chart, in the unit of the values.

    mean = x̄; mr_bar = mean of the moving ranges |xᵢ − xᵢ₋₁|; unpl / lnpl = upper / lower
    natural process limits x̄ ± 2.66·mR̄; url = upper range limit 3.268·mR̄; n = points used.
    """

    mean: float
    mr_bar: float
    unpl: float
    lnpl: float
    url: float
    n: int = 0


def _values(values) -> pd.Series:
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype="float64"))
    return pd.to_numeric(series, errors="coerce").astype("float64").dropna()


def xmr_limits(values) -> XmR:
    """Natural process limits of ``values`` (in their order): x̄ ± 2.66·mR̄ and URL = 3.268·mR̄.

    mR̄ is the mean of the n − 1 absolute differences between consecutive values. Missing
    values are dropped first. LNPL is not clipped: for counts a negative LNPL means "no lower
    limit". Empty input gives all NaN (n = 0); one value gives its mean and NaN limits.
    """
    series = _values(values)
    n = len(series)
    if n == 0:
        return XmR(np.nan, np.nan, np.nan, np.nan, np.nan, 0)
    mean = float(series.mean())
    if n == 1:
        return XmR(mean, np.nan, np.nan, np.nan, np.nan, 1)
    mr_bar = float(series.diff().abs().iloc[1:].mean())
    return XmR(mean, mr_bar, mean + NATURAL_PROCESS_LIMIT * mr_bar, mean - NATURAL_PROCESS_LIMIT * mr_bar,
               UPPER_RANGE_LIMIT * mr_bar, n)


def xmr_signals(series, limits: XmR | None = None) -> pd.DataFrame:
    """Each point of ``series`` checked against XmR limits; same index as the (non-missing) series.

    Columns: value; moving_range (|xᵢ − xᵢ₋₁|, NaN for the first point); above_unpl (x > UNPL);
    below_lnpl (x < LNPL); large_range (moving range > URL: a sudden jump, reported but not a
    ``signal`` by itself); run_of_8 (the point belongs to ≥ 8 consecutive points strictly on
    the same side of the mean — a point on the mean breaks a run); signal = above_unpl or
    below_lnpl or run_of_8. ``limits`` defaults to :func:`xmr_limits` of the same series; pass
    limits from a baseline period to judge new points against it. Empty input gives an empty frame.
    """
    values = _values(series if isinstance(series, pd.Series) else pd.Series(series))
    limits = limits if limits is not None else xmr_limits(values)
    out = pd.DataFrame({"value": values})
    out["moving_range"] = values.diff().abs()
    out["above_unpl"] = values > limits.unpl
    out["below_lnpl"] = values < limits.lnpl
    out["large_range"] = out["moving_range"] > limits.url
    side = np.sign(values - limits.mean).fillna(0)
    run_id = side.ne(side.shift()).cumsum()
    run_length = side.groupby(run_id).transform("size")
    out["run_of_8"] = side.ne(0) & (run_length >= RUN_LENGTH)
    out["signal"] = out["above_unpl"] | out["below_lnpl"] | out["run_of_8"]
    flags = ["above_unpl", "below_lnpl", "large_range", "run_of_8", "signal"]
    out[flags] = out[flags].astype("bool")
    return out
