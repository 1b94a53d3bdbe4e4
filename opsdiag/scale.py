"""Scale: forecasts the team runs itself, a weekly dashboard, the tool and automation plans, and
the next bottleneck (DESIGN §1 step 4).

Every function takes a loaded :class:`opsdiag.client.Client` (a thin layer over a pure function of
frames where the logic is more than a lookup), returns a DataFrame, a dict or a small dataclass,
and leaves drawing to ``opsdiag.plots.scale``. The Monte Carlo engine and its backtest live in
``opsdiag.forecast``; the hand-back pack that packages these for the client's wiki in
``opsdiag.handback``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import cost as cost_mod
from .errors import UsageError
from .export import write_table
from .forecast import ClientForecast, make_forecast, render_forecast
from .metrics.flow import (completed, included, local_floor, localize, micros, percentile, period_grid, utc)

log = logging.getLogger(__name__)

__all__ = ["DASHBOARD_METRICS", "ClientForecast", "DashboardMetric", "NextBottleneck", "automation_candidates",
           "dashboard_summary", "dashboard_table", "export_dashboard", "forecast", "make_forecast",
           "next_bottleneck", "render_forecast", "tool_consolidation_plan", "weekly_dashboard"]


# --- forecasts (the engine is opsdiag.forecast) ----------------------------------------------

def forecast(client, items: int | None = None, by=None, seed: int | None = None) -> dict:
    """``opsdiag forecast --json``: ``forecast.make_forecast`` as plain JSON values (DESIGN §8).

    ``{"items" | "by", "p50", "p85", "p95", "backtest": {"hit_rate_p85", "forecasts", …}, …}`` —
    dates ISO for ``items`` (p50 ≤ p85 ≤ p95), counts for ``by`` (p95 ≤ p85 ≤ p50).
    """
    return make_forecast(client, items=items, by=by, seed=seed).as_dict()


# --- weekly dashboard ---------------------------------------------------------------------------

@dataclass(frozen=True)
class DashboardMetric:
    """One dashboard column: what it measures, and the target the team holds it to.

    The target is ``factor`` × the reference: the median of the column over the baseline weeks
    (``reference="median"``), the p85 cycle time of items completed in those weeks
    (``"cycle_time_p85"``), or the median of another column (its name). ``better`` is the
    direction that is good (``higher`` / ``lower``), ``None`` for a column tracked without a target.
    """

    column: str
    title: str
    unit: str
    definition: str
    target: str
    better: str | None = None
    factor: float = 1.0
    reference: str = "median"


BASELINE_WEEKS = 12  # dashboard targets start from the median of the last 12 complete weeks

DASHBOARD_METRICS: dict[str, DashboardMetric] = {m.column: m for m in (
    DashboardMetric("throughput", "Throughput", "items/week",
                    "Stories, tasks and bugs completed (moved to a done status) in the week; canceled items "
                    "do not count.", "At least the median of the last 12 weeks.", "higher"),
    DashboardMetric("median_cycle_time_days", "Cycle time (median)", "days",
                    "Median of completed − started (first move into committed work), in days, over the items "
                    "completed in the week.", "20 % below the median of the last 12 weeks.", "lower", 0.8),
    DashboardMetric("wip", "Work in progress", "items",
                    "Items started and neither completed nor canceled at the end of the week (Sunday "
                    "midnight, or the as-of date for the current week).",
                    "No more than the median of the last 12 weeks.", "lower"),
    DashboardMetric("wip_age_p85_days", "Age of work in progress (p85)", "days",
                    "85th percentile of (week end − started) over the work in progress at the week's end, in "
                    "calendar days.", "At most the p85 cycle time of items completed in the last 12 weeks: "
                    "older work is at risk.", "lower", 1.0, "cycle_time_p85"),
    DashboardMetric("queue_share", "Time waiting in queues", "share",
                    "Σ queue days / Σ cycle-time days of the items completed in the week (time in waiting "
                    "statuses such as Ready for QA or In Review).", "20 % below the median of the last 12 weeks.",
                    "lower", 0.8),
    DashboardMetric("feedback_received", "Feedback received", "items/week",
                    "Customer feedback (tickets, notes, posts) created in the week, all sources.",
                    "No target: demand, read next to triage.", None),
    DashboardMetric("feedback_triaged", "Feedback triaged", "items/week",
                    "Feedback whose triage time (first status past new) falls in the week.",
                    "At least the median feedback received per week, so the backlog does not grow.",
                    "higher", 1.0, "feedback_received"),
    DashboardMetric("feedback_linked", "Feedback linked to work", "items/week",
                    "Feedback received in the week that is linked to a work item (exports carry no link time, "
                    "so a link counts in the week the feedback arrived).",
                    "20 % above the median of the last 12 weeks.", "higher", 1.2),
    DashboardMetric("releases_shipped", "Releases shipped", "releases/week",
                    "Releases whose released date falls in the week.",
                    "At least the median of the last 12 weeks.", "higher"),
)}
DASHBOARD_COLUMNS = ["week_start", "partial", *DASHBOARD_METRICS]


def _week_counts(times: pd.Series, weeks: pd.DatetimeIndex, as_of, timezone: str) -> np.ndarray:
    times = times.dropna()
    times = times[times <= as_of]
    counts = local_floor(times, timezone, "W").value_counts()
    return pd.Series(weeks).map(counts).fillna(0).astype("int64").to_numpy()


def dashboard_table(flow: pd.DataFrame, feedback: pd.DataFrame, releases: pd.DataFrame, as_of,
                    timezone: str = "UTC", start=None) -> pd.DataFrame:
    """The weekly dashboard: one row per Monday-started local week, from ``start`` to as_of's week.

    Columns are ``DASHBOARD_METRICS`` (each one's ``definition`` is the formula), plus week_start
    (local midnight, tz-aware in ``timezone``) and partial (the week as_of cuts short). Items are
    the included rows of ``flow``; times after ``as_of`` are ignored; WIP and its age are taken at
    the week's end (the next Monday's local midnight, or ``as_of`` for the partial week); an
    item ending exactly then is still in progress (as ``metrics.flow.daily_wip``). Weeks without a
    completion have NaN cycle time and queue share; feedback and release columns are missing
    (``<NA>``) when the table is empty (not measured, never zero). ``start`` defaults to the
    first start, completion, feedback or release. Nothing at all gives an empty frame.
    """
    as_of = utc(as_of)
    rows = included(flow)
    started = rows["started_at"].where(rows["started_at"] <= as_of)
    done = completed(flow, as_of)
    firsts = [s.dropna().min() for s in (started, done["completed_at"], feedback["created_at"],
                                         releases["released_date"]) if s.notna().any()]
    first = utc(start) if start is not None else (min(firsts) if firsts else None)
    if first is None or first > as_of:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in DASHBOARD_COLUMNS})
    weeks = period_grid(first, as_of, timezone, "W")
    out = pd.DataFrame({"week_start": localize(weeks, timezone)})
    out["partial"] = (weeks + pd.Timedelta(days=7) > local_floor(pd.Series([as_of]), timezone).iloc[0] +
                      pd.Timedelta(days=1))
    out["throughput"] = _week_counts(done["completed_at"], weeks, as_of, timezone)
    per_week = done.assign(week=local_floor(done["completed_at"], timezone, "W"))
    timed = per_week[per_week["cycle_time_days"].notna()]
    grouped = timed.groupby("week")
    out["median_cycle_time_days"] = pd.Series(weeks).map(grouped["cycle_time_days"].median()).to_numpy("float64")
    cycle = grouped["cycle_time_days"].sum()
    queue = grouped["queue_days"].sum() / cycle.where(cycle > 0)
    out["queue_share"] = pd.Series(weeks).map(queue).to_numpy("float64")
    ends = micros(localize(weeks + pd.Timedelta(days=7), timezone).tz_convert("UTC")).clip(max=micros([as_of])[0])
    out["wip"], out["wip_age_p85_days"] = _wip_at(rows, started, as_of, ends)
    fb_empty = feedback.empty
    out["feedback_received"] = _week_counts(feedback["created_at"], weeks, as_of, timezone)
    out["feedback_triaged"] = _week_counts(feedback["triaged_at"], weeks, as_of, timezone)
    linked = feedback[feedback["linked_item_ids"].map(len).fillna(0) > 0] if not fb_empty else feedback
    out["feedback_linked"] = _week_counts(linked["created_at"], weeks, as_of, timezone)
    out["releases_shipped"] = _week_counts(releases["released_date"], weeks, as_of, timezone)
    for column, missing in (("feedback_received", fb_empty), ("feedback_triaged", fb_empty),
                            ("feedback_linked", fb_empty), ("releases_shipped", releases.empty)):
        out[column] = out[column].astype("Int64").mask(pd.Series(missing, index=out.index))
    return out[DASHBOARD_COLUMNS]


def _wip_at(rows: pd.DataFrame, started: pd.Series, as_of, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WIP and the p85 age (days) of WIP at each instant of ``ends`` (int64 µs, UTC)."""
    finish = pd.concat([rows["completed_at"], rows["canceled_at"]], axis=1).min(axis=1)
    finish = finish.where(finish <= as_of)
    keep = started.notna()
    begin = micros(started[keep])
    open_end = finish[keep].isna().to_numpy()  # still open at as_of: never ends
    stop = np.where(open_end, np.iinfo("int64").max, micros(finish[keep].fillna(as_of)))
    wip = np.zeros(len(ends), dtype="int64")
    age = np.full(len(ends), np.nan)
    for i, end in enumerate(ends):  # a loop over weeks; each step is vectorised over items
        open_ = (begin < end) & (stop >= end)
        wip[i] = int(open_.sum())
        if wip[i]:
            age[i] = float(np.percentile((end - begin[open_]) / 86_400e6, 85))
    return wip, age


def weekly_dashboard(client, weeks: int | None = None) -> pd.DataFrame:
    """The client's weekly dashboard (:func:`dashboard_table` in the engagement timezone).

    Starts at ``engagement.window.start`` when set (else the first activity); ``weeks`` keeps
    only the last N weeks. One row per week, for the client's BI tool.
    """
    window_start = client.engagement.window.start
    start = (pd.Timestamp(window_start).tz_localize(client.engagement.timezone) if window_start else None)
    d = client.dataset
    table = dashboard_table(client.flow, d.feedback, d.releases, client.as_of, client.engagement.timezone, start)
    return table.tail(weeks).reset_index(drop=True) if weeks else table


def dashboard_summary(client, dashboard: pd.DataFrame | None = None,
                      baseline_weeks: int = BASELINE_WEEKS) -> pd.DataFrame:
    """Each dashboard metric with its definition, today's baseline and its target.

    baseline = median of the column over the last ``baseline_weeks`` complete weeks (missing
    weeks skipped); target = ``factor`` × the metric's reference (see :class:`DashboardMetric`),
    NaN without a target or data. Columns: column, title, unit, definition, baseline, target,
    target_rule, better.
    """
    table = weekly_dashboard(client) if dashboard is None else dashboard
    recent = table[~table["partial"].astype(bool)].tail(baseline_weeks) if len(table) else table
    medians = {c: float(pd.to_numeric(recent[c], errors="coerce").astype("float64").median()) if len(recent)
               else float("nan") for c in DASHBOARD_METRICS}
    cycle_p85 = float("nan")
    if len(recent):
        done = completed(client.flow, client.as_of)
        weeks = recent["week_start"]
        end = weeks.iloc[-1] + pd.Timedelta(days=7)
        done = done[(done["completed_at"] >= weeks.iloc[0]) & (done["completed_at"] < end)]
        cycle_p85 = percentile(done["cycle_time_days"], 85)
    rows = []
    for m in DASHBOARD_METRICS.values():
        reference = cycle_p85 if m.reference == "cycle_time_p85" else medians.get(m.reference, medians[m.column])
        rows.append({"column": m.column, "title": m.title, "unit": m.unit, "definition": m.definition,
                     "baseline": medians[m.column], "target": reference * m.factor if m.better else float("nan"),
                     "target_rule": m.target, "better": m.better})
    return pd.DataFrame(rows)


def export_dashboard(client, path) -> Path:
    """Write :func:`weekly_dashboard` as CSV for a BI tool (``export.write_table``; weeks as local dates)."""
    table = weekly_dashboard(client)
    table = table.assign(week_start=[t.date().isoformat() for t in table["week_start"]])
    return write_table(table, path)


# --- tool consolidation -------------------------------------------------------------------------

PLAN_COLUMNS = ["category", "action", "keep", "retire", "seats_to_move", "unused_seats", "duplicate_spend",
                "unused_spend", "annual_savings", "net_annual_savings", "act_by"]


def tool_consolidation_plan(client) -> pd.DataFrame:
    """Per tool category: which tool to keep, which to retire, seats to move, and what it saves a year.

    Uses the tooling metrics the cost model prices (``metrics.tooling``), so the plan's
    ``annual_savings`` add up to the diagnosis' ``tooling.duplicate_tools`` +
    ``tooling.unused_seats`` costs:

    * keep = the category's most used tool (``duplicate_tool_spend``'s choice); retire = the others;
    * duplicate_spend = Σ retired tools' annual cost less their unused seats;
    * unused_spend = Σ unused seats × cost per seat × 12 over every tool of the category;
    * annual_savings = duplicate_spend + unused_spend;
    * seats_to_move = Σ active seats of the retired tools (their users move to the kept tool);
    * net_annual_savings = annual_savings − seats_to_move × the kept tool's cost per seat × 12
      (an upper bound on the cost of moving, assuming none of them has a seat there yet; NaN when
      that price is unknown);
    * act_by = the earliest renewal date among the tools to retire or cut (cancel before it).

    action: ``consolidate`` (several tools), ``cut unused seats`` (one tool with unused seats).
    Categories with nothing to save are left out; tools without a category appear as
    "uncategorised" only for their unused seats. Rows by annual savings, largest first.
    """
    from .metrics.tooling import duplicate_tool_spend, unused_seat_spend

    tools = client.dataset.tools
    unused = unused_seat_spend(tools)
    duplicate = duplicate_tool_spend(tools)
    if tools.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64" if "spend" in c or "sav" in c or "seats" in c else "object")
                             for c in PLAN_COLUMNS})
    names = tools["tool"].astype("str")
    renewal = pd.Series(tools["renewal_date"].to_numpy(), index=names)
    unused = unused.assign(category=unused["category"].replace("nan", None).fillna("uncategorised"),
                           renewal=unused["tool"].map(renewal))
    kept = duplicate.drop_duplicates("category").set_index("category")["kept_tool"]
    active = pd.Series(tools["active_seats"].fillna(0.0).to_numpy(), index=names)
    rows = []
    for category, group in unused.groupby("category", sort=True):  # a loop over categories, not items
        keep = kept.get(category)
        retired = duplicate[duplicate["category"] == category]
        cut = group[group["unused_spend"].fillna(0) > 0]
        dup_spend = float(retired["duplicate_spend"].sum())
        unused_spend = float(group["unused_spend"].fillna(0).sum())
        if dup_spend + unused_spend <= 0:
            continue
        # astype: with nobody retired, the empty str Series maps to str and would sum to ''
        moving = float(retired["tool"].map(active).astype("float64").sum())
        per_seat = group.set_index("tool")["cost_per_seat_month"].get(keep, np.nan) if keep else np.nan
        acting = renewal.reindex(list(retired["tool"]) + list(cut["tool"])).dropna()
        rows.append({"category": category, "action": "consolidate" if keep else "cut unused seats",
                     "keep": keep if keep else (group["tool"].iloc[0] if len(group) == 1 else None),
                     "retire": tuple(sorted(retired["tool"])), "seats_to_move": moving,
                     "unused_seats": float(group["unused_seats"].fillna(0).sum()),
                     "duplicate_spend": dup_spend, "unused_spend": unused_spend,
                     "annual_savings": dup_spend + unused_spend,
                     "net_annual_savings": dup_spend + unused_spend - moving * per_seat * 12 if moving else
                     dup_spend + unused_spend,
                     "act_by": acting.min().date() if len(acting) else None})
    out = pd.DataFrame(rows, columns=PLAN_COLUMNS)
    return out.sort_values(["annual_savings", "category"], ascending=[False, True], ignore_index=True)


# --- automation ---------------------------------------------------------------------------------

AUTOMATIONS = {
    "status_chasing": ("Status reporting",
                       "A weekly status digest generated from the tracker (board filter + scheduled post in the "
                       "team channel) instead of asking people for updates."),
    "feedback_triage": ("Feedback triage",
                        "Route every feedback source into one inbox with auto-tagging by product area and "
                        "account ARR; the weekly triage only decides."),
    "data_pulls": ("Release notes and data pulls",
                   "Release notes drafted from the fix-version's items, and a scheduled dashboard export "
                   "(opsdiag's weekly dashboard CSV) instead of hand-made spreadsheets."),
    "tool_admin": ("Tool administration",
                   "Automatic seat provisioning from the HR/SSO directory and one tracker per job, so seats, "
                   "fields and integrations are not kept in sync by hand."),
}
AUTOMATION_COLUMNS = ["activity", "survey_column", "lever", "hours_per_week_above_healthy", "people",
                      "person_ids", "annual_hours", "annual_cost", "suggested_automation"]


def automation_candidates(client) -> pd.DataFrame:
    """Survey activities worth automating: hours above healthy, who spends them, and what it costs a year.

    Per activity of ``AUTOMATIONS`` (status reporting, feedback triage, release notes / data
    pulls, tool admin): hours_per_week_above_healthy = Σ_people max(0, survey hours − healthy
    hours) (``costs.healthy_survey_hours``); people / person_ids = those above healthy;
    annual_hours = that × ``weeks_per_year``; annual_cost = Σ_people excess × rate × weeks_per_year
    with each person's rate (hourly_cost, else role rate, else default) — the cost model's
    ``survey_waste`` figure, so it matches the diagnosis. Only activities with excess hours;
    largest annual cost first. No survey gives an empty frame.
    """
    people = client.dataset.people
    table = cost_mod.assumptions(client.engagement.costs)
    values = {a.id: a.value for a in table.values()} | {"_base.rate.default": table["rate.default"].value}
    empty = pd.DataFrame()
    inputs = cost_mod.CostInputs(flow=empty, segments=empty, work_items=empty, people=people, tools=empty,
                                 releases=empty, feedback=empty, as_of=client.as_of, values=values)
    rows = []
    for column, (activity, suggestion) in AUTOMATIONS.items():
        figure = cost_mod.survey_waste(inputs, column)
        detail = figure.detail
        if figure.hours_per_year <= 0 or detail.empty:
            continue
        rows.append({"activity": activity, "survey_column": f"hours_{column}", "lever": figure.lever,
                     "hours_per_week_above_healthy": float(detail["excess_hours_per_week"].sum()),
                     "people": int(len(detail)), "person_ids": tuple(sorted(detail["person"].astype("str"))),
                     "annual_hours": figure.hours_per_year, "annual_cost": figure.cost_per_year,
                     "suggested_automation": suggestion})
    out = pd.DataFrame(rows, columns=AUTOMATION_COLUMNS)
    return out.sort_values(["annual_cost", "activity"], ascending=[False, True], ignore_index=True)


# --- the next bottleneck ------------------------------------------------------------------------

@dataclass
class NextBottleneck:
    """The costliest lever the chosen ritual does not address, and the ritual that would."""

    lever: str
    title: str
    rank: int | None
    cost_per_year: dict
    hours_per_year: float
    ritual_id: str
    suggested_ritual: str | None
    findings: list[str]
    why: str

    def as_dict(self) -> dict:
        return {"lever": self.lever, "title": self.title, "rank": self.rank, "cost_per_year": self.cost_per_year,
                "hours_per_year": round(self.hours_per_year, 1), "after_ritual": self.ritual_id,
                "suggested_ritual": self.suggested_ritual, "findings": self.findings, "why": self.why}


def next_bottleneck(client, diagnosis, ritual_id: str) -> NextBottleneck | None:
    """The highest-cost assessed lever that ``ritual_id`` does not address, with its cost and why.

    A lever is addressed when it is among the ritual's ``levers`` (``opsdiag.rituals``). Among the
    others, the assessed lever with the largest base annual cost > 0 (the diagnosis ranking)
    is next. The suggested ritual is the catalog ritual whose addressed findings of that lever
    would save the most (their base cost × its addressable fraction). None when no other lever
    has a measured cost.
    """
    from .design import RITUALS
    from .diagnose import money

    if ritual_id not in RITUALS:
        raise UsageError(f"unknown ritual {ritual_id!r}; expected one of {', '.join(RITUALS)}")
    addressed = set(RITUALS[ritual_id].levers)
    remaining = [lv for lv in diagnosis.ranked if lv.lever not in addressed and lv.cost_per_year["base"] > 0]
    if not remaining:
        return None
    lever = remaining[0]
    counted = [f for f in lever.findings if f.needs is None and not f.suppressed and f.cost_per_year["base"] > 0]
    savings = {r.id: sum(f.cost_per_year["base"] for f in counted if f.id in r.findings) * r.addressable_fraction
               for r in RITUALS.values() if r.id != ritual_id}
    best = max(sorted(savings), key=lambda rid: savings[rid]) if any(v > 0 for v in savings.values()) else None
    currency = diagnosis.currency
    biggest = counted[0] if counted else None
    why = (f"{lever.title} is rank {lever.rank} in the diagnosis at {money(lever.cost_per_year['base'], currency)} "
           f"a year (range {money(lever.cost_per_year['low'], currency)}–"
           f"{money(lever.cost_per_year['high'], currency)}): the costliest lever that "
           f"{RITUALS[ritual_id].name.lower()} does not address.")
    if biggest is not None:
        why += f" Its largest finding: {biggest.title.lower()} ({money(biggest.cost_per_year['base'], currency)})."
    if best is not None:
        why += f" Next ritual to consider: {RITUALS[best].name.lower()}."
    return NextBottleneck(lever.lever, lever.title, lever.rank, dict(lever.cost_per_year), lever.hours_per_year,
                          ritual_id, best, [f.id for f in counted], why)
