"""Plots for the feedback, prioritization, analytics and tooling levers.

Draw only: every function takes a metric's result (see ``opsdiag.metrics``), draws it on ``ax``
(a new figure when None) and returns the Axes. Nothing here computes a number; an empty result
draws a "no data" note instead of raising. matplotlib is imported lazily.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._base import axes, nothing as _no_data, tidy as _tidy

PRIMARY = "#0B5FFF"
MUTED = "#9AA5B1"
WARN = "#E8590C"
ALERT = "#C92A2A"


def _axes(ax, size=(7.0, 3.5)):
    return axes(ax, size)


def plot_feedback_funnel(funnel: pd.DataFrame, ax=None):
    """Horizontal bars of ``feedback_funnel``: count per step, labelled with share and median latency."""
    ax = _axes(ax)
    title = "Feedback funnel"
    if funnel.empty or funnel["count"].sum() == 0:
        return _no_data(ax, title, "No feedback received")
    steps = funnel["step"].tolist()[::-1]
    counts = funnel["count"].to_numpy()[::-1]
    ax.barh(steps, counts, color=[MUTED if s == "received" else PRIMARY for s in steps])
    for y, (_, row) in enumerate(funnel.iloc[::-1].iterrows()):
        label = f" {row['count']}"
        if pd.notna(row["share"]):
            label += f" ({row['share']:.0%})"
        if pd.notna(row["median_latency_days"]) and row["step"] != "received":
            label += f", median {row['median_latency_days']:.1f} d"
        ax.text(row["count"], y, label, va="center", fontsize=9)
    ax.set_xlabel("feedback items")
    ax.set_xlim(0, max(counts.max(), 1) * 1.35)
    ax.set_title(title)
    return _tidy(ax)


def plot_feedback_themes(themes: pd.DataFrame, ax=None):
    """Horizontal bars of ``feedback_themes``: feedback count per theme, most frequent on top."""
    ax = _axes(ax)
    title = "Feedback themes"
    if themes.empty:
        return _no_data(ax, title)
    basis = str(themes["basis"].iloc[0])
    ax.barh(themes["theme"].tolist()[::-1], themes["count"].to_numpy()[::-1], color=PRIMARY)
    ax.set_xlabel("feedback items")
    ax.set_title(f"{title} (by {basis})")
    return _tidy(ax)


def plot_retention_cohorts(cohorts: pd.DataFrame, ax=None):
    """Heatmap of ``retention_cohorts``: cohort week (rows) × week offset (columns), share active."""
    ax = _axes(ax, size=(8.0, 4.5))
    title = "Weekly retention by first-seen cohort"
    if cohorts.empty:
        return _no_data(ax, title)
    matrix = cohorts.pivot(index="cohort_week", columns="week_offset", values="share").sort_index()
    image = ax.imshow(matrix.to_numpy(dtype=float), aspect="auto", cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(matrix.shape[1]), [str(c) for c in matrix.columns])
    ax.set_yticks(range(matrix.shape[0]), [pd.Timestamp(c).strftime("%Y-%m-%d") for c in matrix.index])
    if matrix.size <= 200:
        for (r, c), value in np.ndenumerate(matrix.to_numpy(dtype=float)):
            if not np.isnan(value):
                ax.text(c, r, f"{value:.0%}", ha="center", va="center", fontsize=7,
                        color="white" if value > 0.6 else "black")
    ax.set_xlabel("weeks since first seen")
    ax.set_ylabel("cohort (week of first event)")
    ax.figure.colorbar(image, ax=ax, label="share of cohort active")
    ax.set_title(title)
    return ax


def plot_tool_spend(spend: pd.DataFrame, ax=None):
    """Stacked bars of ``tool_spend_by_category``: used, unused-seat and duplicate-tool spend per year."""
    ax = _axes(ax)
    title = "Annual tool spend by category"
    if spend.empty:
        return _no_data(ax, title)
    rows = spend.iloc[::-1]
    left = np.zeros(len(rows))
    for column, label, color in (("used_spend", "used", MUTED), ("unused_spend", "unused seats", WARN),
                                 ("duplicate_spend", "duplicate tools", ALERT)):
        values = rows[column].fillna(0.0).to_numpy(dtype=float)
        ax.barh(rows["category"].tolist(), values, left=left, label=label, color=color)
        left += values
    ax.set_xlabel("spend per year")
    ax.legend(loc="lower right", frameon=False, fontsize=8)
    ax.set_title(title)
    return _tidy(ax)


def plot_priority_churn(churn, ax=None):
    """Bars of ``priority_churn(...).distribution``: items by number of priority changes after start
    (two or more highlighted)."""
    ax = _axes(ax)
    title = "Priority changes after work started"
    distribution = churn.distribution
    if distribution.empty:
        return _no_data(ax, title, "No started items in the window")
    changes = distribution["changes"].to_numpy()
    ax.bar([str(c) for c in changes], distribution["items"].to_numpy(),
           color=[ALERT if c >= 2 else PRIMARY if c == 1 else MUTED for c in changes])
    ax.set_xlabel("priority changes per item")
    ax.set_ylabel("items")
    if pd.notna(churn.share_churned):
        title += f" — {churn.share_churned:.0%} re-prioritised 2+ times"
    ax.set_title(title)
    return _tidy(ax)
