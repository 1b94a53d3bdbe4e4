"""opsdiag.design and the ritual catalog: registry, recommendation, baselines, tables, backlog scorecard."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from opsdiag import design
from opsdiag.config import Engagement
from opsdiag.diagnose import COST_FINDINGS, LEVERS, Diagnosis, Finding, LeverResult
from opsdiag.ritual_metrics import BASELINES, PILOT_METRICS
from opsdiag.rituals import RITUALS
from opsdiag.schema import Dataset

SAMPLES = Path(__file__).resolve().parents[1] / "data_samples"
TITLES = {finding_id: title for finding_id, title in COST_FINDINGS.values()}
UTC = "datetime64[us, UTC]"

# for each ritual, finding costs (base, per year) whose diagnosis should lead to it
REACHED_BY = {
    "weekly_product_review": {"delivery.status_chasing_hours": 50_000},
    "feedback_triage": {"feedback.triage_delay": 40_000},
    "release_checklist": {"delivery.release_slip": 60_000},
    "prioritization_scorecard": {"prioritization.canceled_work": 30_000},
    "handoff_contract": {"handoffs.queue_delay": 80_000, "handoffs.rework": 10_000},
    "wip_limits": {"handoffs.queue_delay": 100_000, "delivery.pipeline_wait": 50_000},
    "roadmap_review": {"prioritization.canceled_work": 100_000, "delivery.release_slip": 60_000},
    "tool_consolidation": {"tooling.unused_seats": 20_000},
    "metrics_review": {"analytics.data_pull_hours": 20_000},
}


def finding(finding_id: str, base: float, suppressed: str | None = None) -> Finding:
    lever, metric = finding_id.split(".", 1)
    return Finding(id=finding_id, lever=lever, metric=metric, title=TITLES.get(finding_id, finding_id), value=1.0,
                   unit="x", threshold=None, severity="high", hours_per_year=0.0,
                   cost_per_year={"low": base * 0.7, "base": base, "high": base * 1.3}, formula_id=None,
                   assumptions=[], owner_function="product_ops", evidence=[], suppressed=suppressed)


def diagnosis(costs: dict[str, float], suppressed: tuple[str, ...] = ()) -> Diagnosis:
    """A diagnosis with these finding costs, levers ranked by counted base cost (as diagnose() does)."""
    levers = []
    for lever in LEVERS:
        found = [finding(f, c, "consultant" if f in suppressed else None) for f, c in costs.items()
                 if f.startswith(lever + ".")]
        counted = [f for f in found if not f.suppressed]
        cost = {k: sum(f.cost_per_year[k] for f in counted) for k in ("low", "base", "high")}
        levers.append(LeverResult(lever, None, bool(found), cost, 0.0, found, None if found else "data"))
    ranked = sorted((lv for lv in levers if lv.assessed), key=lambda lv: -lv.cost_per_year["base"])
    for rank, lv in enumerate(ranked, start=1):
        lv.rank = rank
    return Diagnosis("Test", "2026-06-30", "EUR", ranked + [lv for lv in levers if not lv.assessed], None,
                     pd.DataFrame())


def flow(queue_days=(1.0, 2.0, 3.0)) -> pd.DataFrame:
    """Three Core items finished in the 12 weeks before 2026-06-30, one handoff each."""
    n = len(queue_days)
    started = pd.to_datetime([f"2026-05-{4 + i:02d}" for i in range(n)], utc=True).astype(UTC)
    return pd.DataFrame({
        "item_id": [f"C-{i}" for i in range(n)], "team": "Core", "item_type": "Story", "phase": "done",
        "started_at": started, "completed_at": started + pd.Timedelta(days=10),
        "canceled_at": pd.Series(pd.NaT, index=range(n), dtype=UTC), "cycle_time_days": 10.0,
        "queue_days": list(queue_days), "blocked_days": 0.0, "bounce_backs": 0, "handoffs": 1,
        "flow_efficiency": 0.5, "included": True})


def client(flow_frame=None, pilot=None, dataset=None):
    engagement = Engagement.model_validate({"pilot": pilot, "currency": "EUR"})
    as_of = pd.Timestamp("2026-06-30 23:59:59.999999", tz="UTC")
    return SimpleNamespace(engagement=engagement, dataset=dataset or Dataset(),
                           flow=flow() if flow_frame is None else flow_frame, as_of=as_of,
                           as_of_date=dt.date(2026, 6, 30), name="Test")


# --- the catalog ---------------------------------------------------------------------------------

def test_catalog_has_the_design_ids():
    assert set(RITUALS) >= {"weekly_product_review", "feedback_triage", "release_checklist",
                            "prioritization_scorecard", "handoff_contract", "wip_limits", "roadmap_review",
                            "tool_consolidation", "metrics_review"}


@pytest.mark.parametrize("ritual", list(RITUALS.values()), ids=list(RITUALS))
def test_every_ritual_is_complete_and_consistent(ritual):
    assert ritual.primary_metric in PILOT_METRICS
    assert set(ritual.secondary_metrics) <= set(PILOT_METRICS)
    assert ritual.success_metrics and all(m.metric in BASELINES for m in ritual.success_metrics)
    assert all(m.kind in ("relative", "at_most", "at_least") for m in ritual.success_metrics)
    assert set(ritual.levers) <= set(LEVERS)
    assert all(f.split(".")[0] in ritual.levers for f in ritual.findings)
    assert 0 < ritual.addressable_fraction <= 1 and ritual.fraction_basis
    assert 2 <= ritual.pilot_sprints <= 4
    weeks = [s.week for s in ritual.pilot_plan]
    assert weeks == sorted(weeks) and len(weeks) >= 3
    assert ritual.agenda and ritual.attendees and ritual.inputs and ritual.outputs and ritual.cadence
    expected = sum(a.count for a in ritual.attendees) * ritual.duration_minutes / 60 * ritual.sessions_per_week
    assert ritual.effort_hours_per_week == pytest.approx(expected + ritual.prep_hours_per_week, abs=0.01)


def test_effort_of_the_handoff_contract_by_hand():
    ritual = RITUALS["handoff_contract"]
    assert ritual.duration_minutes == 30  # 5 + 15 + 10
    assert ritual.effort_hours_per_week == 2.5  # 4 people × 0.5 h × 1 a week + 0.5 h preparation


def test_every_priced_finding_is_addressed_by_some_ritual():
    addressed = {f for r in RITUALS.values() for f in r.findings}
    assert {finding_id for finding_id, _ in COST_FINDINGS.values()} <= addressed


def test_every_ritual_is_reachable_by_some_diagnosis():
    assert set(REACHED_BY) == set(RITUALS)
    for ritual_id, costs in REACHED_BY.items():
        assert design.recommend(client(), diagnosis(costs)).ritual.id == ritual_id, ritual_id


# --- the recommendation --------------------------------------------------------------------------

def test_recommendation_prices_the_choice_and_explains_the_runner_up():
    plan = design.recommend(client(), diagnosis(REACHED_BY["handoff_contract"]))
    chosen = plan.chosen
    assert chosen.addressed_cost["base"] == 90_000
    assert chosen.expected_saving == {"low": 25_200.0, "base": 36_000.0, "high": 46_800.0}  # 40 %
    assert chosen.effort_hours_per_year == 115.0  # 2.5 h × 46 weeks
    assert chosen.saving_per_effort_hour == pytest.approx(36_000 / 115)
    assert chosen.effort_cost_per_year == 11_500.0  # 115 h × default rate 100
    assert plan.runner_up.ritual == "wip_limits"  # 25 % of 80k = 20k for 1.92 h a week
    assert "WIP limits" in plan.why_not and "EUR 20.0k" in plan.why_not and "1.4×" in plan.why_not
    assert "EUR 90.0k" in plan.why and "40%" in plan.why


def test_runner_up_on_another_lever_is_explained_by_rank():
    plan = design.recommend(client(), diagnosis({"feedback.triage_delay": 40_000,
                                                 "prioritization.canceled_work": 30_000}))
    assert plan.ritual.id == "feedback_triage"
    assert plan.runner_up.ritual == "prioritization_scorecard"
    assert "rank 2" in plan.why_not and "costliest lever" in plan.why_not


def test_suppressed_findings_do_not_count():
    costs = {"handoffs.queue_delay": 100_000, "tooling.unused_seats": 40_000}
    assert design.recommend(client(), diagnosis(costs)).ritual.id == "handoff_contract"
    plan = design.recommend(client(), diagnosis(costs, suppressed=("handoffs.queue_delay",)))
    assert plan.ritual.id == "tool_consolidation"


def test_addressable_fractions_can_be_overridden():
    costs = REACHED_BY["handoff_contract"]
    plan = design.recommend(client(), diagnosis(costs), fractions={"wip_limits": 0.9})
    assert plan.ritual.id == "wip_limits"
    assert plan.chosen.expected_saving["base"] == 72_000  # 90 % of 80k


def test_without_any_cost_the_plan_falls_back_and_says_why():
    plan = design.recommend(client(), diagnosis({}))
    assert plan.ritual.id == "weekly_product_review"
    assert "No lever has a measured cost" in plan.why and plan.runner_up is None


def test_a_ritual_costing_more_than_it_saves_is_flagged():
    plan = design.recommend(client(), diagnosis({"delivery.status_chasing_hours": 10_000}))
    # 50 % of 10k = 5k a year against 4.75 h × 46 weeks × 100 = 21.85k of effort
    assert plan.chosen.net_saving == pytest.approx(5_000 - 21_850)
    assert any("exceeds the expected saving" in note for note in plan.notes)


def test_configured_pilot_of_another_ritual_is_noted():
    pilot = {"ritual": "wip_limits", "start": "2026-04-06", "teams": ["Core"]}
    plan = design.recommend(client(pilot=pilot), diagnosis(REACHED_BY["handoff_contract"]))
    assert plan.teams == ["Core"]
    assert any("wip_limits" in note for note in plan.notes)


# --- baselines and targets -----------------------------------------------------------------------

def test_baselines_come_from_the_data():
    costs = REACHED_BY["handoff_contract"]
    success = design.recommend(client(flow((1.0, 2.0, 3.0))), diagnosis(costs)).success.set_index("metric")
    assert success.loc["queue_days", "baseline"] == 2.0  # median of 1, 2, 3
    assert success.loc["queue_days", "n"] == 3
    assert success.loc["queue_days", "target"] == pytest.approx(1.4)  # −30 %
    assert success.loc["queue_days_per_handoff", "target"] == 1.0  # costs.healthy_queue_days_per_handoff
    assert not success.loc["queue_days_per_handoff", "met_now"]  # median 2.0 per handoff > 1.0
    doubled = design.recommend(client(flow((2.0, 4.0, 6.0))), diagnosis(costs)).success.set_index("metric")
    assert doubled.loc["queue_days", "baseline"] == 4.0
    assert doubled.loc["queue_days", "target"] == pytest.approx(2.8)


def test_survey_and_tool_baselines():
    dataset = Dataset().replace(
        people=pd.DataFrame({"person": ["a", "b", "c"], "role": "product", "team": ["Core", "Core", "Edge"],
                             "hours_status_chasing": [4.0, 6.0, None]}),
        tools=pd.DataFrame({"tool": ["Jira", "Asana"], "seats": [10, 10], "active_seats": [8, 2],
                            "monthly_cost": [100.0, 50.0]}))
    plan = design.recommend(client(dataset=dataset), diagnosis(REACHED_BY["weekly_product_review"]))
    chasing = plan.success.set_index("metric").loc["survey_hours.status_chasing"]
    assert (chasing["baseline"], chasing["n"], chasing["target"]) == (5.0, 2, 2.0)
    tools = design.recommend(client(dataset=dataset), diagnosis(REACHED_BY["tool_consolidation"]))
    table = tools.success.set_index("metric")
    assert table.loc["tools.annual_spend", "baseline"] == 1800.0  # (100 + 50) × 12
    assert table.loc["tools.annual_spend", "target"] == 1350.0  # −25 %
    assert table.loc["tools.unused_seat_share", "baseline"] == pytest.approx(0.5)  # 1 − 10 / 20


def test_plan_tables_and_json():
    plan = design.recommend(client(), diagnosis(REACHED_BY["handoff_contract"]))
    agenda = design.agenda_table(plan)
    assert agenda["from_min"].tolist() == [0, 5, 20] and agenda["to_min"].tolist() == [5, 20, 30]
    assert design.attendees_table(plan)["count"].sum() == 4
    assert design.pilot_plan_table(plan)["week"].iloc[0] == 0
    assert "Why not the runner-up" in design.plan_table(plan)["item"].tolist()
    candidates = design.candidates_table(plan)
    assert len(candidates) == len(RITUALS) and candidates["chosen"].sum() == 1
    assert len(design.catalog_table()) == len(RITUALS)
    payload = plan.as_dict()
    json.dumps(payload, allow_nan=False)
    assert {"ritual", "name", "why", "next_steps"} <= set(payload)
    assert payload["next_steps"][0].startswith("Week 0:")


# --- backlog scorecard ---------------------------------------------------------------------------

def test_backlog_scorecard_top_movers():
    created = pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03"], utc=True)
    dataset = Dataset().replace(
        work_items=pd.DataFrame({"item_id": ["A", "B", "C"], "title": ["a", "b", "c"],
                                 "priority": ["High", "Low", "Medium"], "created_at": created,
                                 "estimate": [3.0, 1.0, 2.0]}),
        feedback=pd.DataFrame({"feedback_id": ["F1", "F2"], "linked_item_ids": [("B",), ("B",)]}))
    backlog = pd.DataFrame({"item_id": ["A", "B", "C"], "phase": "backlog", "included": True})
    card = design.backlog_scorecard(client(flow_frame=backlog, dataset=dataset), top=2)
    # current order A (high), C (medium), B (low); RICE: B = 2 × 0.5 × 1.0 / 1 = 1.0, A and C have no reach
    assert card.table.set_index("item_id")["rice_rank"].to_dict() == {"A": 2, "C": 3, "B": 1}
    assert card.movers["item_id"].tolist() == ["B", "A"]
    assert card.summary["open_items"] == 3 and card.summary["items_with_reach"] == 1
    assert card.summary["top_kept_under_rice"] == 1  # only A stays in the top 2
    assert card.summary["spearman_rice"] == pytest.approx(-0.5)  # 1 − 6 × 6 / (3 × 8)


# --- sample clients -------------------------------------------------------------------------------

@pytest.mark.parametrize("name, ritual", [("acme-robotics", "handoff_contract"),
                                          ("beacon-health", "release_checklist")])
def test_samples_recommend_their_planted_ritual(name, ritual):
    folder = SAMPLES / name
    if not (folder / "engagement.yaml").is_file():
        pytest.skip(f"data_samples/{name} has not been generated")
    from opsdiag.client import load_client

    plan = design.recommend(load_client(folder))
    assert plan.ritual.id == ritual
    assert plan.success["baseline"].notna().all()
