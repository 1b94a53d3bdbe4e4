"""Charts for the scale phase: forecast distributions, the forecast backtest, the weekly dashboard.

Draw only: every number (percentiles, hit rates, weekly values) comes from ``opsdiag.forecast``
or ``opsdiag.scale``. Each ``plot_x(result, ax=None)`` returns the Axes it drew on (a new figure
when ``ax`` is None); an empty result gives a titled Axes saying there is nothing to show.
matplotlib is imported on first use.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._base import axes as _axes, nothing as _nothing

BLUE, GREY, ORANGE, RED, GREEN = "#0B5FFF", "#9AA5B1", "#F28C28", "#D64545", "#2E9E5B"
PERCENTILE_STYLES = {50: "-", 85: "--", 95: ":"}


def _result(forecast):
    """A ``ClientForecast``'s simulation result, or the ``ItemsForecast`` / ``CountForecast`` itself."""
    return getattr(forecast, "result", forecast)


def plot_forecast(forecast, ax=None):
    """Share of simulations per outcome, with the 50/85/95 % lines.

    ``forecast`` is ``opsdiag.forecast.make_forecast``'s ``ClientForecast`` or a bare
    ``ItemsForecast`` (bars: weeks needed; lines labelled with their finish dates) or
    ``CountForecast`` (bars: items completed by the date; lines labelled with their counts).
    """
    ax = _axes(ax)
    result = _result(forecast)
    items = hasattr(result, "weeks_needed")
    title = (f"When will {result.n_items} items be done?" if items
             else f"How many items by {result.end.isoformat()}?")
    values = np.asarray(result.weeks_needed if items else result.counts, dtype="float64")
    values = values[np.isfinite(values)]
    if values.size == 0:
        return _nothing(ax, title, "Not enough throughput history to simulate")
    share = pd.Series(values).value_counts(normalize=True).sort_index()
    ax.bar(share.index.to_numpy(), share.to_numpy() * 100, width=0.8, color=BLUE, alpha=0.75,
           label="share of simulations")
    marks = result.weeks if items else result.percentiles
    for p, value in sorted(marks.items()):
        if value is None or not np.isfinite(value):
            continue
        label = (f"{p}%: by {result.dates[p].isoformat()} ({int(value)} weeks)" if items
                 else f"{p}%: at least {int(value)} items")
        ax.axvline(value, color=ORANGE, linestyle=PERCENTILE_STYLES.get(p, "--"), linewidth=1.5, label=label)
    ax.set_title(title)
    ax.set_xlabel("Weeks from today" if items else "Items completed")
    ax.set_ylabel("Simulations (%)")
    ax.legend(loc="upper right", fontsize="small", frameon=False)
    return ax


def plot_backtest(backtest, ax=None):
    """Past forecasts against what happened: the 50–95 % range, the 85 % line and the actual count.

    ``backtest`` is an ``opsdiag.forecast.Backtest`` (or a ``ClientForecast``, whose backtest is
    drawn). A green dot reached the 85 % forecast, a red one fell short; the title carries the
    hit rate.
    """
    ax = _axes(ax)
    backtest = getattr(backtest, "backtest", backtest)
    frame = backtest.forecasts
    title = "Backtest: forecast vs what happened"
    if frame.empty:
        return _nothing(ax, title, "Not enough history to backtest")
    made = pd.to_datetime(frame["made_on"]).to_numpy()
    ax.fill_between(made, frame["p95"], frame["p50"], color=BLUE, alpha=0.15, step="mid",
                    label="forecast range (95 % to 50 %)")
    ax.step(made, frame["p85"], where="mid", color=BLUE, linewidth=1.5, label="85 % forecast")
    hit = frame["hit"].astype(bool).to_numpy()
    ax.scatter(made[hit], frame["actual"][hit], color=GREEN, s=22, zorder=3, label="actual: reached")
    ax.scatter(made[~hit], frame["actual"][~hit], color=RED, s=22, zorder=3, label="actual: fell short")
    rate = backtest.hit_rate_p85
    ax.set_title(f"{title} ({rate:.0%} of 85 % forecasts reached)" if rate is not None else title)
    ax.set_xlabel("Forecast made on")
    ax.set_ylabel(f"Items completed in the next {backtest.horizon_weeks} weeks")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", fontsize="small", frameon=False)
    ax.tick_params(axis="x", labelrotation=30)
    return ax


def plot_dashboard(dashboard: pd.DataFrame, metrics=None, ax=None):
    """Small multiples, one sparkline per dashboard column, with its target as a dashed line.

    ``dashboard`` is ``opsdiag.scale.weekly_dashboard``; ``metrics`` is
    ``opsdiag.scale.dashboard_summary`` (titles and targets; default: the column names, no
    targets). ``ax`` is a sequence of Axes, one per column (default: a new grid). Returns the
    flat array of Axes. The partial last week is drawn as a hollow dot.
    """
    summary = metrics if metrics is not None else pd.DataFrame(
        {"column": [c for c in dashboard.columns if c not in ("week_start", "partial")]})
    columns = [c for c in summary["column"] if c in dashboard.columns]
    if ax is None:
        import matplotlib.pyplot as plt

        rows = max(1, -(-len(columns) // 3))
        _, grid = plt.subplots(rows, 3, figsize=(11, 2.3 * rows), sharex=True, squeeze=False)
        axes = grid.ravel()
    else:
        axes = np.atleast_1d(np.asarray(ax, dtype=object)).ravel()
    info = summary.set_index("column")
    weeks = pd.Series(dashboard["week_start"]).dt.tz_localize(None).to_numpy() if len(dashboard) else []
    partial = dashboard["partial"].astype(bool).to_numpy() if len(dashboard) else np.array([], dtype=bool)
    for axis, column in zip(axes, columns):
        title = str(info["title"].get(column, column)) if "title" in info.columns else column
        values = pd.to_numeric(dashboard[column], errors="coerce").astype("float64").to_numpy() \
            if len(dashboard) else np.array([])
        if not np.isfinite(values).any():
            _nothing(axis, title, "not measured")
            continue
        axis.plot(weeks, values, color=BLUE, linewidth=1.2)
        axis.scatter(np.asarray(weeks)[partial], values[partial], facecolors="none", edgecolors=BLUE, s=18)
        target = info["target"].get(column) if "target" in info.columns else None
        if target is not None and np.isfinite(target):
            axis.axhline(target, color=ORANGE, linestyle="--", linewidth=1)
        axis.set_title(title, fontsize="small")
        axis.tick_params(labelsize="x-small", axis="both")
        axis.tick_params(axis="x", labelrotation=30)
    for axis in axes[len(columns):]:
        axis.set_visible(False)
    return axes
