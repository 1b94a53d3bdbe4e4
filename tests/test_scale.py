"""Scale tables: weekly dashboard, tool plan, automation candidates, next bottleneck, client forecast."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from opsdiag import scale
from opsdiag.config import Engagement
from opsdiag.diagnose import Finding, LeverResult
from opsdiag.errors import UsageError
from opsdiag.metrics.tooling import duplicate_tool_spend, unused_seat_spend
from opsdiag.schema import conform

UTC = "UTC"
AS_OF = pd.Timestamp("2026-01-21 23:59:59.999999", tz=UTC)


def ts(text):
    return pd.Timestamp(text, tz=UTC) if text else pd.NaT


# --- weekly dashboard -------------------------------------------------------------------------------

def literal_flow() -> pd.DataFrame:
    rows = [  # item, phase, started, completed, canceled, cycle days, queue days, included
        ("A", "done", "2026-01-05 10:00", "2026-01-07 10:00", None, 2.0, 1.0, True),
        ("B", "done", "2026-01-06", "2026-01-09", None, 3.0, 0.0, True),
        ("C", "done", "2026-01-08", "2026-01-14", None, 6.0, 3.0, True),
        ("D", "committed", "2026-01-09", None, None, np.nan, np.nan, True),
        ("E", "canceled", "2026-01-10", None, "2026-01-13", np.nan, np.nan, True),
        ("F", "committed", "2026-01-12", None, None, np.nan, np.nan, True),
        ("X", "done", "2026-01-05", "2026-01-06", None, 1.0, 0.0, False),  # an epic: never counted
    ]
    frame = pd.DataFrame(rows, columns=["item_id", "phase", "started_at", "completed_at", "canceled_at",
                                        "cycle_time_days", "queue_days", "included"])
    for column in ("started_at", "completed_at", "canceled_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601").astype("datetime64[us, UTC]")
    frame["created_at"] = frame["started_at"] - pd.Timedelta(days=1)
    return frame.assign(item_type="Story", team="Core", status="x")


def literal_feedback() -> pd.DataFrame:
    return conform("feedback", pd.DataFrame({
        "feedback_id": ["F1", "F2", "F3"],
        "created_at": [ts("2026-01-06"), ts("2026-01-07"), ts("2026-01-20")],
        "triaged_at": [ts("2026-01-08"), ts("2026-01-13"), pd.NaT],
        "linked_item_ids": [("A",), (), ()]}))


def literal_releases() -> pd.DataFrame:
    return conform("releases", pd.DataFrame({
        "release": ["R1", "R2"], "planned_date": [ts("2026-01-08"), ts("2026-01-30")],
        "released_date": [ts("2026-01-09"), pd.NaT]}))


def test_dashboard_columns_and_a_hand_worked_week():
    table = scale.dashboard_table(literal_flow(), literal_feedback(), literal_releases(), AS_OF, UTC)
    assert list(table.columns) == ["week_start", "partial", *scale.DASHBOARD_METRICS]
    assert table["week_start"].tolist() == [ts("2026-01-05"), ts("2026-01-12"), ts("2026-01-19")]
    assert table["partial"].tolist() == [False, False, True]
    first = table.iloc[0]
    assert first["throughput"] == 2  # A and B; the excluded epic X does not count
    assert first["median_cycle_time_days"] == pytest.approx(2.5)
    assert first["queue_share"] == pytest.approx(1.0 / 5.0)
    # at Monday 12 Jan 00:00: C (done on the 14th), D (open) and E (canceled on the 13th) are in
    # progress, F starts exactly then and is not; ages 4, 3, 2 days → p85 = 3 + 0.7 × 1
    assert first["wip"] == 3
    assert first["wip_age_p85_days"] == pytest.approx(3.7)
    assert (first["feedback_received"], first["feedback_triaged"], first["feedback_linked"]) == (2, 1, 1)
    assert first["releases_shipped"] == 1
    second = table.iloc[1]
    assert (second["throughput"], second["median_cycle_time_days"], second["queue_share"]) == (1, 6.0, 0.5)
    assert second["wip"] == 2 and second["wip_age_p85_days"] == pytest.approx(7 + 0.85 * 3)
    assert (second["feedback_received"], second["feedback_triaged"], second["releases_shipped"]) == (0, 1, 0)
    last = table.iloc[2]  # the partial week: state at as_of
    assert last["throughput"] == 0 and np.isnan(last["median_cycle_time_days"])
    assert last["wip"] == 2 and last["feedback_received"] == 1


def test_dashboard_marks_missing_sources_as_not_measured():
    empty_fb, empty_rel = conform("feedback", pd.DataFrame()), conform("releases", pd.DataFrame())
    table = scale.dashboard_table(literal_flow(), empty_fb, empty_rel, AS_OF, UTC)
    assert table["feedback_received"].isna().all() and table["releases_shipped"].isna().all()
    assert table["throughput"].tolist() == [2, 1, 0]
    nothing = scale.dashboard_table(literal_flow().iloc[0:0], empty_fb, empty_rel, AS_OF, UTC)
    assert nothing.empty and list(nothing.columns) == scale.DASHBOARD_COLUMNS


def test_dashboard_weeks_follow_the_engagement_timezone():
    flow = literal_flow()
    table = scale.dashboard_table(flow, literal_feedback(), literal_releases(), AS_OF, "America/New_York")
    assert str(table["week_start"].dt.tz) == "America/New_York"
    assert table["week_start"].iloc[0] == pd.Timestamp("2026-01-05", tz="America/New_York")


def test_every_dashboard_metric_has_a_definition_and_a_target():
    for column, metric in scale.DASHBOARD_METRICS.items():
        assert metric.column == column and metric.definition and metric.target
        assert metric.better in ("higher", "lower", None)


# --- tool consolidation -----------------------------------------------------------------------------

def literal_tools() -> pd.DataFrame:
    return conform("tools", pd.DataFrame({
        "tool": ["Jira", "Linear", "Trello", "Notion", "Figma"],
        "category": ["Tracker", "tracker", "tracker", "docs", "design"],
        "seats": [10, 5, 4, 10, 6], "active_seats": [8, 3, 1, 10, 4],
        "monthly_cost": [100.0, 50.0, 20.0, 80.0, 60.0],
        "renewal_date": [ts("2026-09-01"), ts("2026-07-01"), ts("2026-08-01"), ts("2026-05-01"),
                         ts("2026-10-01")]}))


def test_tool_plan_savings_on_a_literal_inventory():
    tools = literal_tools()
    plan = scale.tool_consolidation_plan(SimpleNamespace(dataset=SimpleNamespace(tools=tools)))
    assert plan["category"].tolist() == ["tracker", "design"]  # docs has nothing to save
    tracker = plan.iloc[0]
    assert (tracker["action"], tracker["keep"], tracker["retire"]) == ("consolidate", "Jira", ("Linear", "Trello"))
    # unused seats: Jira 2 × 10 × 12 + Linear 2 × 10 × 12 + Trello 3 × 5 × 12 = 660
    # duplicates: Linear 600 − 240 + Trello 240 − 180 = 420
    assert tracker["unused_spend"] == pytest.approx(660.0)
    assert tracker["duplicate_spend"] == pytest.approx(420.0)
    assert tracker["annual_savings"] == pytest.approx(1080.0)
    assert tracker["seats_to_move"] == 4  # Linear's 3 and Trello's 1 active users
    assert tracker["net_annual_savings"] == pytest.approx(1080.0 - 4 * 10 * 12)
    assert tracker["act_by"] == dt.date(2026, 7, 1)
    design = plan.iloc[1]
    assert (design["action"], design["keep"], design["annual_savings"]) == ("cut unused seats", "Figma", 240.0)
    # the plan adds up to the cost model's tooling.unused_seats + tooling.duplicate_tools
    expected = unused_seat_spend(tools)["unused_spend"].sum() + duplicate_tool_spend(tools)["duplicate_spend"].sum()
    assert plan["annual_savings"].sum() == pytest.approx(expected) == pytest.approx(1320.0)


def test_tool_plan_without_tools_is_empty():
    empty = SimpleNamespace(dataset=SimpleNamespace(tools=conform("tools", pd.DataFrame())))
    plan = scale.tool_consolidation_plan(empty)
    assert plan.empty and list(plan.columns) == scale.PLAN_COLUMNS


# --- automation ---------------------------------------------------------------------------------------

def test_automation_candidates_on_a_literal_survey():
    people = conform("people", pd.DataFrame({
        "person": ["Ann", "Bob", "Cy"], "role": ["product", "engineering", "design"],
        "hourly_cost": [np.nan, 120.0, np.nan],
        "hours_status_chasing": [5.0, 1.0, 4.0], "hours_data_pulls": [1.0, np.nan, np.nan],
        "hours_tool_admin": [3.0, 2.0, np.nan], "hours_feedback_triage": [np.nan, np.nan, 2.0]}))
    client = SimpleNamespace(dataset=SimpleNamespace(people=people), engagement=Engagement(), as_of=AS_OF)
    table = scale.automation_candidates(client)
    assert table["activity"].tolist() == ["Status reporting", "Tool administration"]
    status, admin = table.iloc[0], table.iloc[1]
    # healthy: 2 h status chasing, 1 h tool admin; 46 weeks; rates product 95, design 90, Bob's own 120
    assert status["hours_per_week_above_healthy"] == 5.0 and status["people"] == 2
    assert status["person_ids"] == ("Ann", "Cy")
    assert status["annual_hours"] == pytest.approx(230.0)
    assert status["annual_cost"] == pytest.approx(3 * 95 * 46 + 2 * 90 * 46)
    assert admin["annual_cost"] == pytest.approx(2 * 95 * 46 + 1 * 120 * 46)
    assert admin["lever"] == "tooling" and admin["suggested_automation"]


# --- next bottleneck --------------------------------------------------------------------------------------

def finding(fid: str, base: float) -> Finding:
    lever, metric = fid.split(".", 1)
    return Finding(fid, lever, metric, metric.replace("_", " ").capitalize(), 1.0, "x", None, "high", 0.0,
                   {"low": base * 0.7, "base": base, "high": base * 1.3}, None, [], "product_ops", [])


def lever(name: str, rank: int, findings: list[Finding]) -> LeverResult:
    base = sum(f.cost_per_year["base"] for f in findings)
    return LeverResult(name, rank, True, {"low": base * 0.7, "base": base, "high": base * 1.3}, 10.0, findings)


def diagnosis():
    levers = [lever("handoffs", 1, [finding("handoffs.queue_delay", 80_000), finding("handoffs.rework", 20_000)]),
              lever("tooling", 2, [finding("tooling.duplicate_tools", 30_000),
                                   finding("tooling.unused_seats", 20_000)]),
              lever("delivery", 3, [finding("delivery.release_slip", 10_000)])]
    return SimpleNamespace(ranked=levers, currency="EUR")


def test_next_bottleneck_is_the_costliest_lever_the_ritual_leaves():
    nxt = scale.next_bottleneck(None, diagnosis(), "handoff_contract")
    assert (nxt.lever, nxt.rank, nxt.cost_per_year["base"]) == ("tooling", 2, 50_000)
    assert nxt.suggested_ritual == "tool_consolidation"
    assert nxt.findings == ["tooling.duplicate_tools", "tooling.unused_seats"]
    assert "rank 2" in nxt.why and "EUR 50.0k" in nxt.why
    assert scale.next_bottleneck(None, diagnosis(), "wip_limits").lever == "tooling"  # handoffs + delivery
    after_tools = scale.next_bottleneck(None, diagnosis(), "tool_consolidation")
    # handoff contract saves 40 % of 100k, WIP limits 25 % of the 80k queue delay
    assert (after_tools.lever, after_tools.suggested_ritual) == ("handoffs", "handoff_contract")


def test_next_bottleneck_none_and_unknown_ritual():
    only = SimpleNamespace(ranked=[diagnosis().ranked[0]], currency="EUR")
    assert scale.next_bottleneck(None, only, "handoff_contract") is None
    with pytest.raises(UsageError, match="unknown ritual"):
        scale.next_bottleneck(None, diagnosis(), "stand_up_dance")


# --- the client forecast ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from conftest import write_client

    from opsdiag.client import load_client

    return load_client(write_client(tmp_path_factory.mktemp("scale") / "tiny", logo=False))


def test_forecast_json_shape(tiny):
    result = scale.forecast(tiny, items=5)
    assert {"items", "p50", "p85", "p95", "backtest"} <= set(result)
    assert {"hit_rate_p85", "forecasts"} <= set(result["backtest"])
    assert result["items"] == 5 and result["seed"] == tiny.engagement.seed
    assert result["p50"] <= result["p85"] <= result["p95"]  # ISO dates sort as text
    json.dumps(result)  # plain JSON values
    by = scale.forecast(tiny, by="2026-04-30", seed=3)
    assert by["by"] == "2026-04-30" and by["p95"] <= by["p85"] <= by["p50"]
    assert scale.forecast(tiny, by="2026-04-30", seed=3) == by
    assert "When will 5 items be done?" in scale.render_forecast(result)
    table = scale.make_forecast(tiny, items=5).table()
    assert table["chance"].tolist() == ["50%", "85%", "95%"] and list(table.columns) == ["chance", "done by", "weeks"]
    assert "How many items by 2026-04-30?" in scale.render_forecast(by)


@pytest.mark.parametrize("kwargs, message", [({}, "exactly one"), ({"items": 3, "by": "2026-05-01"}, "exactly one"),
                                             ({"items": 0}, "at least 1"), ({"by": "2026-03-13"}, "after the as-of"),
                                             ({"by": "next tuesday"}, "expected a date")])
def test_forecast_usage_errors(tiny, kwargs, message):
    with pytest.raises(UsageError, match=message):
        scale.forecast(tiny, **kwargs)


def test_export_dashboard_writes_local_dates(tiny, tmp_path):
    path = scale.export_dashboard(tiny, tmp_path / "dash.csv")
    frame = pd.read_csv(path)
    assert list(frame.columns) == scale.DASHBOARD_COLUMNS
    assert frame["week_start"].tolist() == ["2026-03-02", "2026-03-09"]
    summary = scale.dashboard_summary(tiny)
    assert summary["column"].tolist() == list(scale.DASHBOARD_METRICS)
    throughput = summary.set_index("column").loc["throughput"]
    assert throughput["baseline"] == 1.0 and throughput["target"] == 1.0  # one complete week: 1 item


# --- charts (draw only) ----------------------------------------------------------------------------------

def test_plots_draw_the_results():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from opsdiag import forecast as fc
    from opsdiag.plots.scale import plot_backtest, plot_dashboard, plot_forecast

    result = fc.forecast_items([5] * 12, 20, dt.date(2026, 1, 5), np.random.default_rng(0), sims=100)
    ax = plot_forecast(result)
    assert ax.get_title() == "When will 20 items be done?"
    assert [line.get_xdata()[0] for line in ax.get_lines()] == [4, 4, 4]  # p50, p85, p95 all at week 4
    assert "85%: by 2026-02-02 (4 weeks)" in [t.get_text() for t in ax.get_legend().get_texts()]
    counts = pd.DataFrame({"week_start": pd.date_range("2024-01-01", periods=12, freq="7D", tz=UTC),
                           "throughput": [3] * 12})
    ax = plot_backtest(fc.backtest_weeks(counts, np.random.default_rng(0), min_history_weeks=8, sims=50))
    assert "100% of 85 % forecasts reached" in ax.get_title()
    table = scale.dashboard_table(literal_flow(), conform("feedback", pd.DataFrame()), literal_releases(), AS_OF, UTC)
    axes = plot_dashboard(table)
    visible = [a for a in axes if a.get_visible()]
    assert len(visible) == len(scale.DASHBOARD_METRICS)
    missing = next(a for a in visible if a.get_title() == "feedback_received")
    assert [t.get_text() for t in missing.texts] == ["not measured"]
    plt.close("all")
