"""Tooling lever: seats nobody uses, tools that do the same job, and hours spent administering them.

Inputs are the canonical ``tools`` table (``tool, category, owner, seats, active_seats,
monthly_cost`` for the whole tool, ``renewal_date``) and ``people`` for the admin-hours survey.
Money is per year in the engagement currency (monthly × 12). Categories are compared
case-insensitively (stripped, lower-cased); a tool without a category is never a duplicate and
is shown as "uncategorised" in spend totals. The cost model (DESIGN §7): unused seats are
counted for every tool; the duplicate cost of a redundant tool is its annual cost minus its
unused seats, so no money is counted twice.
"""

from __future__ import annotations

import logging

import pandas as pd

from .analytics import SurveyHours, survey_hours
from .feedback import _ids

log = logging.getLogger(__name__)

UNCATEGORISED = "uncategorised"
MONTHS_PER_YEAR = 12


def _normal_category(tools: pd.DataFrame) -> pd.Series:
    category = tools["category"].astype("str").str.strip().str.lower()
    return category.mask(category.eq(""))


def seat_utilisation(tools: pd.DataFrame) -> pd.DataFrame:
    """Per tool: active seats / paid seats.

    utilisation = ``active_seats`` / ``seats`` (NaN when seats are unknown or 0; can exceed 1
    when the export counts more active users than seats); unused_seats = max(0, seats −
    active_seats) (NaN when either is unknown).

    Returns
    -------
    DataFrame, lowest utilisation first (unknown last): tool, category, seats, active_seats,
    unused_seats, utilisation. Empty input gives an empty frame with these columns.
    """
    seats = tools["seats"].where(tools["seats"] > 0)
    out = pd.DataFrame({"tool": tools["tool"], "category": _normal_category(tools), "seats": tools["seats"],
                        "active_seats": tools["active_seats"],
                        "unused_seats": (tools["seats"] - tools["active_seats"]).clip(lower=0),
                        "utilisation": tools["active_seats"] / seats})
    out = out.astype({"tool": "str", "category": "str", "seats": "float64", "active_seats": "float64",
                      "unused_seats": "float64", "utilisation": "float64"})
    return out.sort_values(["utilisation", "tool"], na_position="last", ignore_index=True)


def unused_seat_spend(tools: pd.DataFrame) -> pd.DataFrame:
    """Per tool: annual spend on seats nobody uses.

    unused_spend = unused seats × (``monthly_cost`` / ``seats``) × 12, with unused seats =
    max(0, seats − active_seats). NaN when seats, active seats or cost are unknown (not
    assessed, not zero).

    Returns
    -------
    DataFrame, largest spend first: tool, category, seats, active_seats, unused_seats,
    cost_per_seat_month, unused_spend. Empty input gives an empty frame with these columns.
    """
    util = seat_utilisation(tools).set_index("tool")
    per_seat = (tools["monthly_cost"] / tools["seats"].where(tools["seats"] > 0)).set_axis(tools["tool"])
    util["cost_per_seat_month"] = per_seat.reindex(util.index).astype("float64")
    util["unused_spend"] = util["unused_seats"] * util["cost_per_seat_month"] * MONTHS_PER_YEAR
    out = util.reset_index()[["tool", "category", "seats", "active_seats", "unused_seats",
                              "cost_per_seat_month", "unused_spend"]]
    return out.sort_values(["unused_spend", "tool"], ascending=[False, True], na_position="last",
                           ignore_index=True)


def tool_overlap(tools: pd.DataFrame) -> pd.DataFrame:
    """Categories served by more than one tool, with the tools and what the category costs.

    monthly_spend = Σ ``monthly_cost`` of the category's tools (unknown costs count 0);
    annual_spend = monthly_spend × 12.

    Returns
    -------
    DataFrame, most expensive first: category, tool_count, tools (tuple, alphabetical),
    monthly_spend, annual_spend. Empty input gives an empty frame with these columns.
    """
    frame = tools.assign(category=_normal_category(tools), monthly_cost=tools["monthly_cost"].fillna(0.0))
    frame = frame[frame["category"].notna()].sort_values("tool")
    out = (frame.groupby("category").agg(tool_count=("tool", "size"), tools=("tool", _ids),
                                         monthly_spend=("monthly_cost", "sum"))
           .reset_index())
    out = out[out["tool_count"] > 1].copy()
    out["annual_spend"] = out["monthly_spend"] * MONTHS_PER_YEAR
    out = out.astype({"category": "str", "tool_count": "int64", "tools": "object",
                      "monthly_spend": "float64", "annual_spend": "float64"})
    return out.sort_values(["annual_spend", "category"], ascending=[False, True], ignore_index=True)


def duplicate_tool_spend(tools: pd.DataFrame) -> pd.DataFrame:
    """Per redundant tool: annual spend on a tool whose category another tool already covers.

    In each category with several tools the most used one is kept: most ``active_seats``
    (unknown counts as fewest), then most seats, then highest cost (keeping the dearest is the
    conservative choice), then name. For every other tool, duplicate_spend = annual cost
    (monthly_cost × 12, unknown = 0) − its unused-seat spend, which ``unused_seat_spend``
    already counts (DESIGN §7: not counted twice).

    Returns
    -------
    DataFrame, largest first: category, tool, kept_tool, annual_cost, unused_spend,
    duplicate_spend. Empty input gives an empty frame with these columns.
    """
    unused = unused_seat_spend(tools).set_index("tool")["unused_spend"]
    frame = pd.DataFrame({"tool": tools["tool"].astype("str"), "category": _normal_category(tools),
                          "active": tools["active_seats"].fillna(-1.0), "seats": tools["seats"].fillna(-1.0),
                          "annual_cost": tools["monthly_cost"].fillna(0.0) * MONTHS_PER_YEAR})
    frame = frame[frame["category"].notna()].sort_values(
        ["category", "active", "seats", "annual_cost", "tool"], ascending=[True, False, False, False, True])
    frame["kept_tool"] = frame.groupby("category")["tool"].transform("first")
    out = frame[frame["tool"] != frame["kept_tool"]].copy()
    out["unused_spend"] = out["tool"].map(unused).fillna(0.0).astype("float64")
    out["duplicate_spend"] = (out["annual_cost"] - out["unused_spend"]).astype("float64")
    out = out.astype({"category": "str", "kept_tool": "str", "annual_cost": "float64"})
    return out.sort_values(["duplicate_spend", "tool"], ascending=[False, True], ignore_index=True)[
        ["category", "tool", "kept_tool", "annual_cost", "unused_spend", "duplicate_spend"]]


def tool_spend_by_category(tools: pd.DataFrame) -> pd.DataFrame:
    """Annual tool spend per category split into used, unused-seat and duplicate-tool spend.

    annual_spend = Σ monthly_cost × 12 (unknown = 0); unused_spend = Σ ``unused_seat_spend``
    (unknown = 0); duplicate_spend = Σ ``duplicate_tool_spend``; used_spend = annual_spend −
    unused_spend − duplicate_spend. Tools without a category are one "uncategorised" row.

    Returns
    -------
    DataFrame, most expensive first: category, annual_spend, used_spend, unused_spend,
    duplicate_spend. Empty input gives an empty frame with these columns.
    """
    unused = unused_seat_spend(tools).set_index("tool")["unused_spend"].fillna(0.0)
    duplicate = duplicate_tool_spend(tools).set_index("tool")["duplicate_spend"]
    names = tools["tool"].astype("str")
    frame = pd.DataFrame({"category": _normal_category(tools).fillna(UNCATEGORISED),
                          "annual_spend": tools["monthly_cost"].fillna(0.0) * MONTHS_PER_YEAR,
                          # astype: mapping an empty str Series keeps dtype str (pandas 3 with pyarrow)
                          "unused_spend": names.map(unused).astype("float64").fillna(0.0),
                          "duplicate_spend": names.map(duplicate).astype("float64").fillna(0.0)})
    out = frame.groupby("category")[["annual_spend", "unused_spend", "duplicate_spend"]].sum().reset_index()
    out["used_spend"] = (out["annual_spend"] - out["unused_spend"] - out["duplicate_spend"]).clip(lower=0)
    out = out.astype({"category": "str", "annual_spend": "float64", "used_spend": "float64",
                      "unused_spend": "float64", "duplicate_spend": "float64"})
    return out.sort_values(["annual_spend", "category"], ascending=[False, True], ignore_index=True)[
        ["category", "annual_spend", "used_spend", "unused_spend", "duplicate_spend"]]


def admin_hours(people: pd.DataFrame) -> SurveyHours:
    """Hours per week spent administering tools (``hours_tool_admin``): ``survey_hours`` of it."""
    return survey_hours(people, "tool_admin")
