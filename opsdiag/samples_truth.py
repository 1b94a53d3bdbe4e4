"""Ground truth of the sample clients: the DESIGN §7 cost model written out independently.

These functions re-derive every lever's base cost per year from canonical tables (the frames the
generator made, or a folder read back by ``opsdiag.ingest``) with their own small flow rules, so
the diagnosis can be checked against figures that do not come from its own code. The window is
the year before ``as_of``: ``(as_of − 365 days, as_of]``, with ``as_of`` the end of that day in the
engagement timezone. Rates, healthy thresholds and cost of delay come from ``config.Costs``
defaults (product 95, engineering 110, design 90, qa 80, default 100 per hour; 600 per item-week
of delay; 1.0 healthy queue day per handoff; 46 weeks a year; 8 hours a day; 7 healthy triage
days).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import Costs

YEAR = pd.Timedelta(days=365)
SURVEY_LEVER = {"status_chasing": "delivery", "coordination_meetings": "handoffs", "data_pulls": "analytics",
                "feedback_triage": "feedback", "tool_admin": "tooling"}
LEVERS = ("prioritization", "delivery", "feedback", "analytics", "tooling", "handoffs")


def person_rate(people: pd.DataFrame, costs: Costs) -> pd.Series:
    """Hourly rate per person: ``hourly_cost``, else the rate of the role, else ``default_rate``."""
    by_role = people["role"].map(costs.rates).astype("float64").fillna(costs.default_rate)
    return people["hourly_cost"].fillna(by_role)


def survey_waste(people: pd.DataFrame, costs: Costs) -> dict[str, float]:
    """Per survey column: Σ_person max(0, hours − healthy hours) × rate × weeks_per_year."""
    rate = person_rate(people, costs)
    out = {}
    for column, healthy in costs.healthy_survey_hours.items():
        excess = (people[f"hours_{column}"].fillna(0.0) - healthy).clip(lower=0.0)
        out[column] = float((excess * rate).sum() * costs.weeks_per_year)
    return out


def item_flow(items: pd.DataFrame, transitions: pd.DataFrame, workflow: dict, as_of: pd.Timestamp) -> pd.DataFrame:
    """Per item: start, finish, queue and active days, handoffs inside the committed span.

    started_at = first entry into a committed status; completed_at = last entry into a done
    status while the item is done at ``as_of`` (canceled_at likewise for canceled). The span runs
    from started_at to completed_at, else canceled_at, else ``as_of``. A stay lasts from its
    transition to the item's next one (or ``as_of``); queue/active days = Σ of the parts of
    queue-/active-kind stays inside the span. A handoff is a transition between two committed
    statuses inside the span whose owners differ.
    """
    phase = {s: v[0] for s, v in workflow.items()}
    t = transitions[transitions["at"] <= as_of].sort_values(["item_id", "at"], kind="stable").copy()
    t["end"] = t.groupby("item_id")["at"].shift(-1).fillna(as_of)
    to_phase = t["to_status"].map(phase)
    last = t.groupby("item_id")["to_status"].last().map(phase)
    started = t[to_phase.eq("committed")].groupby("item_id")["at"].min()
    done_at = t[to_phase.eq("done")].groupby("item_id")["at"].max()
    cancel_at = t[to_phase.eq("canceled")].groupby("item_id")["at"].max()
    flow = pd.DataFrame({"started_at": started,
                         "completed_at": done_at.where(last.reindex(done_at.index).eq("done")),
                         "canceled_at": cancel_at.where(last.reindex(cancel_at.index).eq("canceled"))})
    flow["span_end"] = flow["completed_at"].fillna(flow["canceled_at"]).fillna(as_of)
    t = t.join(flow, on="item_id")
    lo = t[["at", "started_at"]].max(axis=1)
    hi = t[["end", "span_end"]].min(axis=1)
    inside = ((hi - lo) / pd.Timedelta(days=1)).clip(lower=0.0).fillna(0.0)
    kind = t["to_status"].map(lambda s: workflow[s][1])
    t["queue_days"] = np.where(kind.eq("queue"), inside, 0.0)
    t["active_days"] = np.where(kind.eq("active"), inside, 0.0)
    owner = {s: v[2] for s, v in workflow.items()}
    both_committed = t["from_status"].map(phase).eq("committed") & to_phase.eq("committed")
    in_span = (t["at"] >= t["started_at"]) & (t["at"] <= t["span_end"])
    t["handoff"] = both_committed & in_span & t["from_status"].map(owner).ne(t["to_status"].map(owner))
    per_item = t.groupby("item_id").agg(queue_days=("queue_days", "sum"), active_days=("active_days", "sum"),
                                        handoffs=("handoff", "sum"))
    out = items[["item_id", "item_type", "team"]].set_index("item_id").join(flow).join(per_item)
    return out.fillna({"queue_days": 0.0, "active_days": 0.0, "handoffs": 0})


def bounce_stays(transitions: pd.DataFrame, workflow: dict, as_of: pd.Timestamp) -> pd.DataFrame:
    """One row per bounce-back (a move between committed statuses to a lower order): the item,
    when, the status left and the days of the stay it bounced back from."""
    t = transitions[transitions["at"] <= as_of].sort_values(["item_id", "at"], kind="stable").copy()
    t["entered"] = t.groupby("item_id")["at"].shift(1)
    phase = {s: v[0] for s, v in workflow.items()}
    order = {s: v[3] for s, v in workflow.items()}
    bounce = (t["from_status"].map(phase).eq("committed") & t["to_status"].map(phase).eq("committed")
              & (t["to_status"].map(order) < t["from_status"].map(order)))
    b = t[bounce]
    return pd.DataFrame({"item_id": b["item_id"], "at": b["at"], "from_status": b["from_status"],
                         "days_in_bounced_step": (b["at"] - b["entered"]) / pd.Timedelta(days=1)})


def handoff_costs(items, transitions, workflow, as_of, costs: Costs, flow_types) -> dict:
    """Handoff delay of the stories, tasks and bugs finished in the year, and rework.

    delay = Σ_items max(0, queue_days − healthy_queue_days_per_handoff × handoffs) / 7 ×
    cost_of_delay_per_week. rework = bounce-backs in the year (of stories, tasks and bugs) ×
    median days of the (active) stay bounced back from × hours_per_day × the engineering rate
    (the build work is redone).
    """
    flow = item_flow(items, transitions, workflow, as_of)
    done = flow[flow["item_type"].isin(flow_types) & flow["completed_at"].gt(as_of - YEAR)
                & flow["completed_at"].le(as_of)]
    excess = (done["queue_days"] - costs.healthy_queue_days_per_handoff * done["handoffs"]).clip(lower=0.0)
    delay = float(excess.sum() / 7.0 * costs.cost_of_delay_per_week)
    kinds = flow.index[flow["item_type"].isin(flow_types)]
    bounces = bounce_stays(transitions[transitions["item_id"].isin(kinds)], workflow, as_of)
    bounces = bounces[bounces["at"].gt(as_of - YEAR)]
    rework = 0.0
    if len(bounces):
        rate = costs.rates.get("engineering", costs.default_rate)
        rework = len(bounces) * float(bounces["days_in_bounced_step"].median()) * costs.hours_per_day * rate
    return {"handoff_delay": delay, "rework": float(rework), "items_finished": int(len(done)),
            "queue_days": float(done["queue_days"].sum()), "handoffs": int(done["handoffs"].sum()),
            "bounce_backs": int(len(bounces)), "excess_queue_days": float(excess.sum()),
            "median_cycle_days": float(((done["completed_at"] - done["started_at"]) / pd.Timedelta(days=1)).median())
            if len(done) else float("nan")}


def canceled_work_cost(items, transitions, workflow, as_of, costs: Costs, flow_types) -> float:
    """Work thrown away: Σ active days of stories, tasks and bugs started and then canceled in the
    year × hours_per_day × the engineering rate (the prioritization lever's people hours)."""
    flow = item_flow(items, transitions, workflow, as_of)
    gone = flow[flow["item_type"].isin(flow_types) & flow["started_at"].notna()
                & flow["canceled_at"].gt(as_of - YEAR) & flow["canceled_at"].le(as_of)]
    rate = costs.rates.get("engineering", costs.default_rate)
    return float(gone["active_days"].sum() * costs.hours_per_day * rate)


def release_slip_cost(releases: pd.DataFrame, items: pd.DataFrame, as_of: pd.Timestamp, costs: Costs) -> dict:
    """Σ over releases planned in the year (overdue unreleased ones slip until ``as_of``) of
    max(0, slip days)/7 × items carrying that fix version × cost_of_delay_per_week."""
    rel = releases[releases["planned_date"].gt(as_of - YEAR) & releases["planned_date"].le(as_of)]
    slip = ((rel["released_date"].fillna(as_of) - rel["planned_date"]) / pd.Timedelta(days=1)).clip(lower=0.0)
    counts = items["releases"].explode().value_counts()
    n_items = rel["release"].map(counts).fillna(0.0)
    cost = float((slip / 7.0 * n_items).sum() * costs.cost_of_delay_per_week)
    return {"release_slip": cost, "releases": int(len(rel)), "late_releases": int(slip.gt(0).sum()),
            "overdue_unreleased": int(rel["released_date"].isna().sum()), "slip_days_total": float(slip.sum())}


def feedback_delay_cost(feedback: pd.DataFrame, as_of: pd.Timestamp, costs: Costs) -> dict:
    """Σ over linked feedback created in the year of max(0, days to triage (or to ``as_of``) −
    healthy_triage_days)/7 × cost_of_delay_per_week; ARR of accounts with feedback untriaged longer
    than the healthy days is revenue at risk (reported, not added)."""
    fb = feedback[feedback["created_at"].gt(as_of - YEAR) & feedback["created_at"].le(as_of)]
    wait = (fb["triaged_at"].fillna(as_of) - fb["created_at"]) / pd.Timedelta(days=1)
    late = (wait - costs.healthy_triage_days).clip(lower=0.0)
    linked = fb["linked_item_ids"].map(len).gt(0)
    cost = float(late[linked].sum() / 7.0 * costs.cost_of_delay_per_week)
    waiting = fb[fb["triaged_at"].isna() & wait.gt(costs.healthy_triage_days)]
    at_risk = float(waiting.groupby("customer")["account_arr"].max().sum())
    return {"triage_delay": cost, "feedback": int(len(fb)), "linked": int(linked.sum()),
            "linked_triaged_late": int((late[linked] > 0).sum()), "untriaged": int(fb["triaged_at"].isna().sum()),
            "arr_at_risk": at_risk}


def tool_costs(tools: pd.DataFrame) -> dict:
    """Unused seats × (monthly_cost / seats) × 12, plus for each category with several tools the
    full annual cost of all but the most used (most active seats) — whose unused seats are then
    not counted again."""
    per_seat = tools["monthly_cost"] / tools["seats"]
    unused = (tools["seats"] - tools["active_seats"]).clip(lower=0.0) * per_seat * 12.0
    most_used = tools.sort_values(["active_seats", "tool"], ascending=[False, True]).drop_duplicates("category")
    redundant = ~tools["tool"].isin(most_used["tool"])
    duplicate = float((tools["monthly_cost"] * 12.0)[redundant].sum())
    return {"unused_seats": float(unused[~redundant].sum()), "duplicate_tools": duplicate,
            "redundant_tools": sorted(tools.loc[redundant, "tool"])}


def lever_costs(tables: dict[str, pd.DataFrame], workflow: dict, as_of: pd.Timestamp,
                costs: Costs | None = None, flow_types=("Story", "Task", "Bug")) -> dict:
    """Base cost per year per lever with its components (each lever's figures add up)."""
    costs = costs or Costs()
    survey = survey_waste(tables["people"], costs)
    hand = handoff_costs(tables["work_items"], tables["transitions"], workflow, as_of, costs, flow_types)
    slip = release_slip_cost(tables["releases"], tables["work_items"], as_of, costs)
    fb = feedback_delay_cost(tables["feedback"], as_of, costs)
    tool = tool_costs(tables["tools"])
    # component names are the diagnosis' finding metrics (``<lever>.<metric>``)
    components = {
        "prioritization": {"canceled_work": canceled_work_cost(tables["work_items"], tables["transitions"],
                                                               workflow, as_of, costs, flow_types)},
        "delivery": {"release_slip": slip["release_slip"], "status_chasing_hours": survey["status_chasing"]},
        "feedback": {"triage_delay": fb["triage_delay"], "triage_hours": survey["feedback_triage"]},
        "analytics": {"data_pull_hours": survey["data_pulls"]},
        "tooling": {"unused_seats": tool["unused_seats"], "duplicate_tools": tool["duplicate_tools"],
                    "admin_hours": survey["tool_admin"]},
        "handoffs": {"queue_delay": hand["handoff_delay"], "rework": hand["rework"],
                     "coordination_hours": survey["coordination_meetings"]},
    }
    return {lever: {"cost_per_year": round(sum(parts.values()), 2),
                    "components": {k: round(v, 2) for k, v in parts.items()}}
            for lever, parts in components.items()} | {
        "_detail": {"handoffs": hand, "delivery": slip, "feedback": fb,
                    "tooling": {"redundant_tools": tool["redundant_tools"]}}}
