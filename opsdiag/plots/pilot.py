"""Charts of a pilot evaluation: draw only, from an ``opsdiag.deploy.PilotResult``.

Medians, limits and sprint figures are read from the result (computed by ``opsdiag.deploy``),
never worked out here. Without ``ax`` a new figure is made; an empty result gives a titled Axes
saying there is nothing to show. matplotlib is imported on first use.
"""

from __future__ import annotations

import numpy as np

from .flow import BLUE, GREEN, GREY, ORANGE, RED, _axes, _finite, _naive, _nothing

VERDICT_COLOURS = {"improved": GREEN, "worse": RED, "no_change": GREY, "not_enough_data": GREY}


def _metric(result, metric_id: str):
    return next((m for m in result.metrics if m.metric.id == metric_id), None)


def plot_pilot_distributions(result, metric: str = "cycle_time_days", ax=None):
    """Baseline against pilot for one per-item metric of the pilot teams: a dot per item
    (jittered with a fixed seed) and a bar at each window's median (or mean) from the result.
    """
    ax = _axes(ax, (7, 4))
    found = _metric(result, metric)
    title = f"{found.metric.label if found else metric}: before and during the pilot"
    if found is None or found.metric.kind != "items" or found.observations.empty:
        return _nothing(ax, title, "No observations to show")
    obs = found.observations[found.observations["group"] == "pilot_teams"]
    c = found.comparison
    jitter = np.random.default_rng(0)
    for x, (window, colour, centre) in enumerate((("baseline", GREY, c.baseline), ("pilot", BLUE, c.pilot))):
        values = obs.loc[obs["window"] == window, "value"].to_numpy(dtype="float64")
        ax.scatter(x + jitter.uniform(-0.18, 0.18, len(values)), values, s=14, alpha=0.6, color=colour)
        if _finite(centre):
            ax.hlines(centre, x - 0.3, x + 0.3, color=ORANGE, linewidth=2.5,
                      label=f"{found.metric.statistic} {centre:.2f}" if x == 0 else f"{centre:.2f}")
    ax.set_xticks([0, 1])
    ax.set_xticklabels([f"baseline (n={c.n_baseline})", f"pilot (n={c.n_pilot})"])
    ax.set_ylabel(found.metric.unit)
    ax.set_ylim(bottom=0)
    ax.set_title(f"{title} — {c.verdict.replace('_', ' ')}", color=VERDICT_COLOURS.get(c.verdict, GREY))
    if ax.get_legend_handles_labels()[0]:  # no observations, no medians: no legend (and no warning)
        ax.legend(loc="upper right", fontsize="small", frameon=False)
    return ax


def plot_pilot_sprints(result, metric: str = "cycle_time_days", ax=None):
    """Sprint by sprint for the pilot teams: bars of throughput per week, a line of ``metric``
    (the sprint statistic from ``result.sprint_table``) on a second axis, and a divider at the
    pilot start.
    """
    ax = _axes(ax, (8, 4))
    table = result.sprint_table
    title = "Sprint by sprint: baseline, then pilot"
    if table is None or table.empty:
        return _nothing(ax, title, "No sprints to show")
    x = np.arange(len(table))
    colours = [GREY if w == "baseline" else BLUE for w in table["window"]]
    if "throughput_per_week" in table.columns:
        ax.bar(x, table["throughput_per_week"], color=colours, alpha=0.8, label="items finished per week")
    ax.set_ylabel("Items finished per week")
    ax.set_xticks(x)
    ax.set_xticklabels(table["sprint"], rotation=30, ha="right")
    pilot_first = int((table["window"] == "baseline").sum())
    ax.axvline(pilot_first - 0.5, color=GREY, linestyle="--", linewidth=1)
    if metric in table.columns:
        other = ax.twinx()
        other.plot(x, table[metric], color=ORANGE, marker="o", label=metric.replace("_", " "))
        other.set_ylabel(metric.replace("_", " "))
        other.set_ylim(bottom=0)
        other.legend(loc="upper right", fontsize="small", frameon=False)
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize="small", frameon=False)
    return ax


def plot_pilot_xmr(result, ax=None):
    """Weekly throughput of the pilot teams with the baseline's XmR limits; signal weeks in red."""
    ax = _axes(ax, (8, 4))
    weekly = result.weekly
    title = "Weekly throughput against the baseline's natural limits"
    if weekly is None or weekly.empty:
        return _nothing(ax, title, "No complete weeks to show")
    when = _naive(weekly["week_start"])
    ax.plot(when, weekly["throughput"], color=BLUE, marker="o", label="items finished")
    flagged = weekly["signal"].to_numpy(dtype=bool)
    ax.scatter(when[flagged], weekly.loc[flagged, "throughput"], color=RED, zorder=3, label="signal")
    limits = result.xmr
    if limits is not None:
        for name, value, style in (("mean", limits.mean, "-"), ("upper limit", limits.unpl, "--"),
                                   ("lower limit", limits.lnpl, "--")):
            if _finite(value) and value >= 0:
                ax.axhline(value, color=ORANGE, linestyle=style, linewidth=1, label=f"{name} {value:.1f}")
    pilot = weekly.loc[weekly["window"] == "pilot", "week_start"]
    if len(pilot):
        ax.axvline(_naive(pilot.iloc[:1])[0], color=GREY, linestyle=":", linewidth=1)
    ax.set_title(title)
    ax.set_ylabel("Items finished")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", fontsize="small", frameon=False)
    ax.tick_params(axis="x", labelrotation=30)
    return ax
