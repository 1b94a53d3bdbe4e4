"""Charts for flow, handoff and delivery results: draw only, compute nothing.

Each ``plot_x(result, ..., ax=None) -> Axes`` takes the result of the matching metric in
``opsdiag.metrics`` (percentiles and XmR limits are passed in, never worked out here). Without
``ax`` a new figure is made with ``pyplot.subplots`` (the notebook shows it; ``display.figure``
closes it). An empty result gives a titled Axes saying there is nothing to show.
matplotlib is imported on first use so importing opsdiag stays fast.
"""

from __future__ import annotations

import math

import pandas as pd

from ._base import axes as _axes, nothing as _nothing

BLUE, GREY, ORANGE, RED, GREEN = "#0B5FFF", "#9AA5B1", "#F28C28", "#D64545", "#2E9E5B"
LINE_STYLES = ("--", "-.", ":", (0, (5, 1)), (0, (1, 1)))


def _naive(times: pd.Series | pd.Index):
    """Tz-aware times as naive wall-clock times (matplotlib draws them as given)."""
    times = pd.Series(times)
    if isinstance(times.dtype, pd.DatetimeTZDtype):
        times = times.dt.tz_localize(None)
    return times.to_numpy()


def _finite(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _percentile_lines(ax, percentiles: dict | None, unit: str = "d") -> None:
    for style, (p, value) in zip(LINE_STYLES * 2, sorted((percentiles or {}).items())):
        if _finite(value):
            ax.axhline(value, color=GREY, linestyle=style, linewidth=1, label=f"{p}% finish within {value:.1f} {unit}")


def plot_cycle_times(cycle_times: pd.DataFrame, percentiles: dict | None = None, ax=None):
    """Scatter of cycle time (days) by completion date, one dot per item, with percentile lines.

    ``cycle_times`` is :func:`opsdiag.metrics.cycle_times`; ``percentiles`` is
    :func:`opsdiag.metrics.cycle_time_percentiles` (one dashed line each).
    """
    ax = _axes(ax)
    title = "How long work takes from start to finish"
    if cycle_times.empty:
        return _nothing(ax, title, "No items finished in this period")
    ax.scatter(_naive(cycle_times["completed_at"]), cycle_times["cycle_time_days"], s=18, color=BLUE, alpha=0.7,
               label="finished item")
    _percentile_lines(ax, percentiles)
    ax.set_title(title)
    ax.set_xlabel("Finished on")
    ax.set_ylabel("Cycle time (days)")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", fontsize="small", frameon=False)
    ax.tick_params(axis="x", labelrotation=30)
    return ax


def plot_weekly_throughput(throughput: pd.DataFrame, limits=None, ax=None):
    """Bars of items finished per week; the partial current week is pale; XmR limits as lines.

    ``throughput`` is :func:`opsdiag.metrics.weekly_throughput` without ``by``; ``limits`` an
    :class:`opsdiag.metrics.XmR` (mean and natural process limits; a negative lower limit is
    not drawn).
    """
    ax = _axes(ax)
    title = "Items finished per week"
    if throughput.empty:
        return _nothing(ax, title, "No weeks to show")
    colours = [GREY if partial else BLUE for partial in throughput["partial"]]
    ax.bar(_naive(throughput["week_start"]), throughput["throughput"], width=pd.Timedelta(days=6).to_timedelta64(),
           align="edge", color=colours,
           label="finished that week (pale: week not over)")
    if limits is not None:
        lines = (("mean", limits.mean, "-"), ("upper limit", limits.unpl, "--"), ("lower limit", limits.lnpl, "--"))
        for name, value, style in lines:
            if _finite(value) and value >= 0:
                ax.axhline(value, color=ORANGE, linestyle=style, linewidth=1, label=f"{name} {value:.1f}")
    ax.set_title(title)
    ax.set_xlabel("Week starting")
    ax.set_ylabel("Items finished")
    ax.legend(loc="upper left", fontsize="small", frameon=False)
    ax.tick_params(axis="x", labelrotation=30)
    return ax


def plot_cumulative_flow(cfd: pd.DataFrame, ax=None):
    """Stacked areas of items per status over time, finished work at the bottom.

    ``cfd`` is :func:`opsdiag.metrics.cumulative_flow` (columns in workflow order); widening
    bands are queues growing.
    """
    ax = _axes(ax)
    title = "Where work sits each day"
    if cfd.empty or cfd.shape[1] == 0:
        return _nothing(ax, title, "No status history to show")
    columns = list(cfd.columns)[::-1]
    ax.stackplot(_naive(cfd.index), *[cfd[c].to_numpy() for c in columns], labels=[str(c) for c in columns],
                 alpha=0.85)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], loc="upper left", fontsize="small", frameon=False,
              bbox_to_anchor=(1.0, 1.0))
    ax.set_title(title)
    ax.set_xlabel(str(cfd.index.name or "date").replace("_", " ").capitalize())
    ax.set_ylabel("Items")
    ax.tick_params(axis="x", labelrotation=30)
    return ax


def plot_aging_wip(aging: pd.DataFrame, percentiles: dict | None = None, statuses=None, ax=None):
    """Dots of open items by current status and age (days), with cycle-time percentile lines.

    ``aging`` is :func:`opsdiag.metrics.aging_wip`; dots above a line are older than that share
    of finished items ever got (red: beyond the highest). ``statuses`` orders the x axis
    (default: order of first appearance).
    """
    ax = _axes(ax)
    title = "Work in progress and how long it has been open"
    if aging.empty:
        return _nothing(ax, title, "Nothing is in progress")
    order = [s for s in (statuses or []) if s in set(aging["status"])]
    order += [s for s in dict.fromkeys(aging["status"]) if s not in order]
    position = {s: i for i, s in enumerate(order)}
    top = max((p for p, v in (percentiles or {}).items() if _finite(v)), default=None)
    colours = [BLUE if pd.isna(e) else RED if e == top else ORANGE for e in aging["exceeds_percentile"]]
    ax.scatter(aging["status"].map(position), aging["age_days"], s=24, color=colours, alpha=0.8, zorder=3,
               label="open item")
    _percentile_lines(ax, percentiles)
    ax.set_xticks(range(len(order)))
    ax.set_xticklabels(order, rotation=30, ha="right")
    ax.set_title(title)
    ax.set_xlabel("Current status")
    ax.set_ylabel("Age since start (days)")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", fontsize="small", frameon=False)
    return ax


def plot_handoff_waits(pairs: pd.DataFrame, ax=None):
    """Horizontal bars of total days waited per handoff (owner → owner), biggest on top.

    ``pairs`` is :func:`opsdiag.metrics.waits_by_owner_pair`; each bar is labelled with the
    number of handoffs and the median wait.
    """
    ax = _axes(ax, (8, max(2.5, 0.5 * len(pairs) + 1.5)))
    title = "Time lost waiting between teams"
    if pairs.empty:
        return _nothing(ax, title, "No handoffs between teams found")
    bars = ax.barh(pairs["pair"].astype(str), pairs["total_wait_days"], color=BLUE)
    labels = [f"{n} handoff{'' if n == 1 else 's'}, median {m:.1f} d"
              for n, m in zip(pairs["handoffs"], pairs["median_wait_days"])]
    ax.bar_label(bars, labels=labels, padding=3, fontsize="small")
    ax.invert_yaxis()
    ax.set_title(title)
    ax.set_xlabel("Total days waiting in queues")
    ax.margins(x=0.35)
    return ax


def plot_release_slippage(slippage: pd.DataFrame, ax=None):
    """Horizontal bars of days each release shipped after (red) or before (green) its planned date.

    ``slippage`` is :func:`opsdiag.metrics.release_slippage`; releases still overdue are orange
    and hatched; releases not yet due (no slip) are left out.
    """
    rows = slippage[slippage["slip_days"].notna()] if len(slippage) else slippage
    ax = _axes(ax, (8, max(2.5, 0.35 * len(rows) + 1.5)))
    title = "How late releases shipped"
    if rows.empty:
        return _nothing(ax, title, "No release with a planned date has come due")
    colours = [ORANGE if overdue else RED if slip > 0 else GREEN
               for overdue, slip in zip(rows["overdue"], rows["slip_days"])]
    bars = ax.barh(rows["release"].astype(str), rows["slip_days"], color=colours)
    for bar, overdue in zip(bars, rows["overdue"]):
        if overdue:
            bar.set_hatch("//")
    ax.axvline(0, color=GREY, linewidth=1)
    ax.invert_yaxis()
    ax.set_title(title)
    ax.set_xlabel("Days late (negative: early; hatched: still not released)")
    return ax
