"""Charts of the cost model: the cost Pareto by lever and the tornado. Draw only."""

from __future__ import annotations

import pandas as pd

from ._base import money_axis
from .flow import BLUE, GREY, ORANGE, _axes, _nothing


def plot_cost_pareto(levers: pd.DataFrame, currency: str = "", ax=None):
    """Horizontal bars of base annual cost per lever with low–high whiskers, biggest on top.

    ``levers`` has columns lever (title), low, base, high (from ``Diagnosis`` via
    ``story.lever_costs``); levers with zero cost are drawn as empty rows.
    """
    ax = _axes(ax, (8, 3.6))
    if levers.empty or levers["base"].sum() <= 0:
        return _nothing(ax, "Annual cost by lever", "No priced findings")
    data = levers.iloc[::-1]
    y = range(len(data))
    ax.barh(list(y), data["base"], color=[ORANGE if i == len(data) - 1 else BLUE for i in y], height=0.6)
    ax.errorbar(data["base"], list(y), xerr=[data["base"] - data["low"], data["high"] - data["base"]],
                fmt="none", ecolor=GREY, capsize=3, linewidth=1)
    ax.set_yticks(list(y), data["lever"])
    ax.set_xlabel(f"cost per year {currency}".strip())
    money_axis(ax)
    ax.set_title("Where the money goes: annual cost by lever (bar = base, whisker = low–high)")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def plot_tornado(sensitivity: pd.DataFrame, base_total: float, currency: str = "", top: int = 8, ax=None):
    """Tornado: total annual cost with each assumption alone at its low and high value.

    ``sensitivity`` is :func:`opsdiag.cost.sensitivity` (sorted by swing); ``base_total`` the
    total at base values (the vertical line).
    """
    ax = _axes(ax, (8, 3.6))
    data = sensitivity.head(top)
    data = data[data["swing"] > 0]
    if data.empty:
        return _nothing(ax, "What the total depends on", "No assumption moves the total")
    data = data.iloc[::-1]
    y = list(range(len(data)))
    lo = data[["total_at_low", "total_at_high"]].min(axis=1)
    hi = data[["total_at_low", "total_at_high"]].max(axis=1)
    ax.barh(y, hi - base_total, left=base_total, color=ORANGE, height=0.6, label="assumption raised / lowered")
    ax.barh(y, lo - base_total, left=base_total, color=BLUE, height=0.6)
    ax.axvline(base_total, color="black", linewidth=1)
    ax.set_yticks(y, [a.replace("_", " ") for a in data["assumption"]])
    ax.set_xlabel(f"total cost per year {currency}".strip())
    money_axis(ax)
    ax.set_title("What the total depends on (each assumption alone at low / high)")
    ax.spines[["top", "right"]].set_visible(False)
    return ax
