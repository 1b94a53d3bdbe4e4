"""The cost model: hours and money per year, every formula named, every assumption in sight.

Two families (DESIGN §7):

* **people hours** — hours a person spends beyond a healthy amount (survey hours, rework,
  work thrown away) × their hourly rate;
* **delay** — weeks of avoidable waiting or slip × ``cost_of_delay_per_week``.

Each formula is a function registered in ``FORMULAS`` under its id; its docstring is the
definition shown in the report. Every assumption is an ``Assumption`` with an id, a default
from config and a low/high range (±``range_pct`` on rates and cost of delay). A figure's
low/base/high are the formula evaluated with all ranged assumptions at low, base and high;
``sensitivity`` moves one assumption at a time for the tornado chart. No quantity is counted
under two levers: each formula belongs to exactly one lever.

The model's inputs and figures are in ``cost_inputs``, the people-hours formulas in
``cost_people``, the delay formulas in ``cost_delay`` and the reuse of results across scenarios
in ``cost_memo``; this module holds the direct-spend (tooling) formulas, the ``FORMULAS``
registry and the evaluation, and every public name of the model is importable from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd

from .cost_delay import feedback_delay, handoff_delay, pipeline_delay, release_queue_days, release_slip
from .cost_inputs import DAYS_PER_YEAR, Assumption, CostFigure, CostInputs, _ids, assumptions
from .cost_memo import figure as _figure
from .cost_people import SURVEY_LEVERS, canceled_work, rework, survey_waste

__all__ = ["FORMULAS", "FORMULA_TEXT", "SURVEY_LEVERS", "DAYS_PER_YEAR", "Assumption", "CostFigure", "CostInputs",
           "CostModel", "assumptions", "evaluate", "sensitivity", "survey_waste", "rework", "canceled_work",
           "handoff_delay", "pipeline_delay", "release_slip", "feedback_delay", "release_queue_days",
           "unused_seat_spend", "duplicate_tool_spend"]


def unused_seat_spend(inp: CostInputs) -> CostFigure:
    """Unused seats = Σ_tools unused seats × (monthly_cost / seats) × 12
    (``metrics.tooling.unused_seat_spend``). A direct spend: it does not move with the rate or
    cost-of-delay ranges."""
    from .metrics.tooling import unused_seat_spend as per_tool

    detail = inp.memo("unused_seat_spend", lambda: per_tool(inp.tools), inp.tools)
    detail = detail[detail["unused_spend"] > 0]
    total = float(detail["unused_spend"].sum())
    return CostFigure("unused_seat_spend", "tooling", 0.0, total, (), _ids(detail["tool"]), detail, total, "money")


def duplicate_tool_spend(inp: CostInputs) -> CostFigure:
    """Duplicate tools = for each category with several tools, the annual cost of every tool but
    the most used one, less its unused seats already counted by ``unused_seat_spend``
    (``metrics.tooling.duplicate_tool_spend``)."""
    from .metrics.tooling import duplicate_tool_spend as per_tool

    detail = inp.memo("duplicate_tool_spend", lambda: per_tool(inp.tools), inp.tools)
    detail = detail[detail["duplicate_spend"] > 0]
    total = float(detail["duplicate_spend"].sum())
    return CostFigure("duplicate_tool_spend", "tooling", 0.0, total, (), _ids(detail["tool"]), detail, total,
                      "money")


FORMULAS: dict[str, Callable[[CostInputs], CostFigure]] = {
    **{f"survey_waste.{c}": (lambda inp, c=c: survey_waste(inp, c)) for c in SURVEY_LEVERS},
    "handoff_delay": handoff_delay,
    "pipeline_delay": pipeline_delay,
    "rework": rework,
    "release_slip": release_slip,
    "feedback_delay": feedback_delay,
    "unused_seat_spend": unused_seat_spend,
    "duplicate_tool_spend": duplicate_tool_spend,
    "canceled_work": canceled_work,
}
FORMULA_TEXT = {
    **{f"survey_waste.{c}": f"Σ people max(0, {c.replace('_', ' ')} h/week − healthy) × rate × weeks/year"
       for c in SURVEY_LEVERS},
    "handoff_delay": "Σ items max(0, queue days − healthy days × handoffs) / 7 × cost of delay/week",
    "pipeline_delay": "Σ items max(0, days waiting for deployment − healthy days) / 7 × cost of delay/week",
    "rework": "bounce-backs × median active days of the bounced step × hours/day × engineering rate",
    "release_slip": "Σ releases slip weeks × items in release × cost of delay/week",
    "feedback_delay": "Σ linked items max(0, triage wait − healthy days) / 7 × cost of delay/week",
    "unused_seat_spend": "Σ tools unused seats × monthly cost / seats × 12",
    "duplicate_tool_spend": "Σ categories with several tools: annual cost of all but the most used, less unused seats",
    "canceled_work": "Σ active days of started-then-canceled items × hours/day × engineering rate",
}


@dataclass
class CostModel:
    """Every formula evaluated at low/base/high, and one-at-a-time sensitivity."""

    figures: dict[str, CostFigure]
    low: dict[str, float]
    high: dict[str, float]
    assumptions: dict[str, Assumption]

    def range(self, formula_id: str) -> dict[str, float]:
        base = self.figures[formula_id].cost_per_year
        lo, hi = self.low[formula_id], self.high[formula_id]
        return {"low": round(min(lo, hi, base), 2), "base": round(base, 2), "high": round(max(lo, hi, base), 2)}


def _scenario(table: dict[str, Assumption], which: str, only: str | None = None) -> dict[str, float]:
    values = {a.id: a.value for a in table.values()}
    for a in table.values():
        if only is None or a.id == only:
            values[a.id] = getattr(a, which)
    values["_base.rate.default"] = table["rate.default"].value
    return values


def evaluate(inputs: CostInputs, table: dict[str, Assumption],
             formulas: dict[str, Callable] | None = None) -> CostModel:
    """Evaluate every formula at base, all-low and all-high assumption values."""
    formulas = formulas or FORMULAS
    base, low, high = (_scenario(table, which) for which in ("value", "low", "high"))
    figures = {fid: _figure(inputs, fid, f, base) for fid, f in formulas.items()}
    low = {fid: _figure(inputs, fid, f, low, detailed=False).cost_per_year for fid, f in formulas.items()}
    high = {fid: _figure(inputs, fid, f, high, detailed=False).cost_per_year for fid, f in formulas.items()}
    return CostModel(figures, low, high, table)


def sensitivity(inputs: CostInputs, table: dict[str, Assumption],
                formulas: dict[str, Callable] | None = None) -> pd.DataFrame:
    """Tornado data: total annual cost with each ranged assumption alone at its low and high.

    Columns: assumption, low_value, high_value, total_at_low, total_at_high, swing (|high−low|),
    sorted by swing, largest first. Assumptions without a range are left out.
    """
    formulas = formulas or FORMULAS

    def total(values):
        return sum(_figure(inputs, fid, f, values, detailed=False).cost_per_year for fid, f in formulas.items())

    rows = []
    for a in table.values():
        if a.low == a.high:
            continue
        lo, hi = total(_scenario(table, "value") | {a.id: a.low}), total(_scenario(table, "value") | {a.id: a.high})
        rows.append({"assumption": a.id, "low_value": a.low, "high_value": a.high,
                     "total_at_low": lo, "total_at_high": hi, "swing": abs(hi - lo)})
    frame = pd.DataFrame(rows, columns=["assumption", "low_value", "high_value", "total_at_low",
                                        "total_at_high", "swing"])
    return frame.sort_values("swing", ascending=False, ignore_index=True)
