"""The six warning signs that a product team needs product operations, scored from data.

Each sign has a measured figure, a threshold with its source, a status (red | amber | green |
not_measured) and the evidence ids; where its data is missing it says which export would
measure it. Ids are fixed (DESIGN §8): ``pm_chasing_updates``, ``releases_late``,
``feedback_scattered``, ``eng_gtm_disagree``, ``no_source_of_truth``,
``political_prioritization``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

SIGN_TITLES = {
    "pm_chasing_updates": "Product managers spend more time chasing updates than talking to customers",
    "releases_late": "Releases are late or scope-creeped",
    "feedback_scattered": "Customer feedback lives in many tools and never reaches the roadmap",
    "eng_gtm_disagree": "Engineering and go-to-market disagree on what is shipping",
    "no_source_of_truth": "No single source of truth for roadmap, metrics or experiments",
    "political_prioritization": "Prioritization is political, not evidence-based",
}

# tool categories where two tools mean two competing sources of truth
TRUTH_CATEGORIES = {"tracker", "issue tracking", "project management", "roadmap", "analytics",
                    "product analytics", "experimentation", "bi", "dashboards", "documentation", "wiki"}


@dataclass
class Sign:
    sign: str
    status: str
    value: float | None
    unit: str
    threshold: str
    evidence: list[str] = field(default_factory=list)
    detail: str = ""
    needs: str | None = None

    @property
    def title(self) -> str:
        return SIGN_TITLES[self.sign]

    def as_dict(self) -> dict:
        value = None if self.value is None or (isinstance(self.value, float) and math.isnan(self.value)) \
            else round(float(self.value), 3)
        return {"sign": self.sign, "title": self.title, "status": self.status, "value": value,
                "unit": self.unit, "threshold": self.threshold, "evidence": list(self.evidence[:50]),
                "detail": self.detail, "needs": self.needs}


def _not_measured(sign: str, needs: str) -> Sign:
    return Sign(sign, "not_measured", None, "", "", [], f"not measured — needs {needs}", needs)


def _rag(value: float, red: float, amber: float, higher_is_worse: bool = True) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "not_measured"
    if not higher_is_worse:
        value, red, amber = -value, -red, -amber
    return "red" if value >= red else "amber" if value >= amber else "green"


def pm_chasing_updates(people: pd.DataFrame) -> Sign:
    """Share of product managers whose weekly status-chasing + coordination hours exceed their
    customer hours. red ≥ 50 %, amber > 0 %. Needs the time survey for people with role product."""
    pms = people[people["role"].fillna("").str.lower().isin({"product", "product manager", "pm"})]
    answered = pms[pms[["hours_status_chasing", "hours_coordination_meetings", "hours_customer"]].notna().any(axis=1)]
    if answered.empty:
        return _not_measured("pm_chasing_updates", "the time survey (people.csv) for product managers")
    chasing = answered["hours_status_chasing"].fillna(0) + answered["hours_coordination_meetings"].fillna(0)
    over = answered[chasing > answered["hours_customer"].fillna(0)]
    share = len(over) / len(answered)
    return Sign("pm_chasing_updates", "red" if share >= 0.5 else "amber" if share > 0 else "green", share,
                "share of PMs", "chasing + coordination hours > customer hours; red ≥ 50 % of PMs, amber > 0",
                over["person"].tolist(),
                f"{len(over)} of {len(answered)} PMs: {chasing.mean():.1f} h/week chasing and coordinating vs "
                f"{answered['hours_customer'].fillna(0).mean():.1f} h/week with customers on average")


def releases_late(releases: pd.DataFrame, sprints: pd.DataFrame, field_changes: pd.DataFrame, as_of,
                  slippage: pd.DataFrame | None = None) -> Sign:
    """Share of due releases (planned by as_of) that shipped or are still open more than 7 days
    after plan: red ≥ 50 %, amber ≥ 20 %. Scope creep raises green to amber when at least 20 %
    of the items that were in a sprint were added after it started. ``slippage`` is
    ``metrics.delivery.release_slippage(releases, as_of)`` (with or without items) when already
    computed."""
    from .metrics.delivery import release_slippage, scope_added_after_start

    slip = release_slippage(releases, as_of) if slippage is None else slippage
    due = slip[slip["planned_date"].notna() & (slip["planned_date"] <= as_of)]
    if due.empty:
        return _not_measured("releases_late", "releases with planned and released dates")
    late = due[due["slip_days"] > 7]
    share = len(late) / len(due)
    status = _rag(share, 0.5, 0.2)
    detail = f"{len(late)} of {len(due)} releases more than a week late ({int(due['overdue'].sum())} overdue)"
    if not sprints.empty and not field_changes.empty:
        added = scope_added_after_start(sprints, field_changes, as_of=as_of)
        in_sprints = field_changes.loc[field_changes["field"].str.lower().eq("sprint"), "item_id"].nunique()
        n_added = len({i for ids in added["item_ids"] for i in ids})
        if n_added:
            detail += f"; {n_added} of {in_sprints} sprint items were added after their sprint started"
            if in_sprints and n_added / in_sprints >= 0.2 and status == "green":
                status = "amber"
    return Sign("releases_late", status, share, "share of releases", "> 7 days late; red ≥ 50 %, amber ≥ 20 %",
                late["release"].tolist(), detail)


def feedback_scattered(feedback: pd.DataFrame, tools: pd.DataFrame, flow: pd.DataFrame, as_of) -> Sign:
    """Feedback intake tools (sources in the feedback exports plus tools of category feedback)
    and the share of feedback linked to a work item. red: ≥ 3 tools or < 25 % linked; amber:
    ≥ 2 tools or < 50 % linked."""
    from .metrics.feedback import funnel_linked_share

    if feedback.empty:
        return _not_measured("feedback_scattered", "a feedback export (Zendesk, Intercom, Productboard, Canny)")
    sources = set(feedback["source"].dropna().str.lower().tolist())
    if not tools.empty:
        sources |= set(tools.loc[tools["category"].fillna("").str.lower().str.contains("feedback"), "tool"].str.lower())
    linked = funnel_linked_share(feedback, flow, as_of)  # (the linked step of ``feedback_funnel``)
    n = len(sources)
    status = "red" if n >= 3 or linked < 0.25 else "amber" if n >= 2 or linked < 0.5 else "green"
    unlinked = feedback.loc[feedback["linked_item_ids"].map(len) == 0, "feedback_id"]
    return Sign("feedback_scattered", status, linked, "share linked to work",
                "red: ≥ 3 intake tools or < 25 % linked; amber: ≥ 2 tools or < 50 % linked",
                unlinked.tolist(), f"{n} intake tools ({', '.join(sorted(sources))}); {linked:.0%} of feedback "
                "reaches a work item")


def eng_gtm_disagree(releases: pd.DataFrame, flow: pd.DataFrame, work_items: pd.DataFrame, as_of,
                     slippage: pd.DataFrame | None = None) -> Sign:
    """Share of items announced in a shipped release (fix version) that were not done by the
    release date — what go-to-market announced vs what engineering finished. red ≥ 20 %, amber ≥ 5 %.
    ``slippage`` is ``metrics.delivery.release_slippage(releases, as_of, work_items)`` when
    already computed."""
    from .metrics.delivery import release_slippage
    from .metrics.flow import exploded
    from .text import unique_positions

    slip = release_slippage(releases, as_of, work_items) if slippage is None else slippage
    shipped = slip[slip["released"] & (slip["items"] > 0)]
    if shipped.empty:
        return _not_measured("eng_gtm_disagree", "releases with dates and the items in each (fix versions)")
    # one row per (shipped release, item), as ``explode`` gives them: each release's items in turn
    release_of, item_id = exploded(shipped["item_ids"])
    members = pd.DataFrame({"item_id": item_id, "released_date": shipped["released_date"].array.take(release_of)})
    found = unique_positions(flow["item_id"], members["item_id"])
    if found is not None:  # one row per item (the flow): look the completions up, as a left merge would
        members["completed_at"] = flow["completed_at"].array.take(found, allow_fill=True)
    else:
        members = members.merge(flow[["item_id", "completed_at"]], on="item_id", how="left")
    missing = members[members["completed_at"].isna() | (members["completed_at"] > members["released_date"]
                                                       + pd.Timedelta(days=1))]
    share = len(missing) / len(members)
    return Sign("eng_gtm_disagree", _rag(share, 0.2, 0.05), share, "share of announced items",
                "items in a shipped release but not done by its date; red ≥ 20 %, amber ≥ 5 %",
                missing["item_id"].drop_duplicates().tolist(),
                f"{len(missing)} of {len(members)} items announced in {len(shipped)} releases were not done on release day")


def no_source_of_truth(tools: pd.DataFrame) -> Sign:
    """Categories of record (tracker, roadmap, analytics, experimentation, docs) with more than one
    tool. red ≥ 2 such categories, amber 1."""
    from .metrics.tooling import tool_overlap

    if tools.empty:
        return _not_measured("no_source_of_truth", "the tool inventory (tools.csv)")
    overlap = tool_overlap(tools)
    record = overlap[overlap["category"].str.lower().isin(TRUTH_CATEGORIES)]
    n = len(record)
    tools_named = [t for ts in record["tools"] for t in ts]
    return Sign("no_source_of_truth", "red" if n >= 2 else "amber" if n == 1 else "green", float(n),
                "categories", "categories of record with several tools; red ≥ 2, amber 1", tools_named,
                "; ".join(f"{r.category}: {', '.join(r.tools)}" for r in record.itertuples()) or "one tool per category")


def political_prioritization(field_changes: pd.DataFrame, flow: pd.DataFrame, feedback: pd.DataFrame, as_of) -> Sign:
    """Two tests: items re-prioritised ≥ 2 times after start (share > 20 % fails) and completed
    work with customer evidence (share < 30 % fails, only when feedback exists). red: both
    fail; amber: one fails."""
    from .metrics.prioritization import _completed_with_evidence, priority_churn

    has_priority = not field_changes.empty and field_changes["field"].str.lower().eq("priority").any()
    if not has_priority and feedback.empty:
        return _not_measured("political_prioritization", "priority change history or feedback linked to work")
    fails, parts, evidence, value = 0, [], [], None
    if has_priority:
        churn = priority_churn(field_changes, flow, as_of)
        if not math.isnan(churn.share_churned):
            value = churn.share_churned
            fails += churn.share_churned > 0.2
            parts.append(f"{churn.share_churned:.0%} of work re-prioritised twice or more after it started")
            evidence += list(churn.churned_ids)
    if not feedback.empty:
        share = _completed_with_evidence(flow, feedback)[2]  # ``evidence_share(...).share``, without its id tuples
        if not math.isnan(share):
            fails += share < 0.3
            parts.append(f"{share:.0%} of completed work traces to customer evidence")
            value = share if value is None else value
    if not parts:
        return _not_measured("political_prioritization", "priority change history or feedback linked to work")
    return Sign("political_prioritization", "red" if fails >= 2 else "amber" if fails == 1 else "green", value,
                "share", "re-prioritised ≥ 2× after start > 20 %; evidence-backed work < 30 %", evidence,
                "; ".join(parts))


def warning_signs(client, diagnosis=None, slippage: pd.DataFrame | None = None) -> list[Sign]:
    """All six signs for a client, in the fixed order of ``SIGN_TITLES``.

    ``slippage`` is ``metrics.delivery.release_slippage(releases, as_of, work_items)`` when
    already computed (the cost model's, ``CostInputs.release_slippage``).
    """
    from .metrics.delivery import release_slippage

    d = client.dataset
    if slippage is None:
        slippage = release_slippage(d.releases, client.as_of, d.work_items)
    return [
        pm_chasing_updates(d.people),
        releases_late(d.releases, d.sprints, d.field_changes, client.as_of, slippage),
        feedback_scattered(d.feedback, d.tools, client.flow, client.as_of),
        eng_gtm_disagree(d.releases, client.flow, d.work_items, client.as_of, slippage),
        no_source_of_truth(d.tools),
        political_prioritization(d.field_changes, client.flow, d.feedback, client.as_of),
    ]
