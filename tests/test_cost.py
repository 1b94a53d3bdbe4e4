"""The cost model on literal frames with hand-worked figures (DESIGN §7)."""

import pandas as pd
import pytest

from opsdiag import cost
from opsdiag.config import Costs
from opsdiag.schema import conform, empty_frame

AS_OF = pd.Timestamp("2026-06-30T23:59:59Z")
T = pd.Timestamp


def inputs(**tables):
    flow = tables.pop("flow", None)
    segments = tables.pop("segments", None)
    frames = {name: conform(name, tables[name]) if name in tables else empty_frame(name)
              for name in ("work_items", "people", "tools", "releases", "feedback")}
    table = cost.assumptions(Costs())
    values = {a.id: a.value for a in table.values()} | {"_base.rate.default": 100.0}
    if flow is None:
        flow = pd.DataFrame(columns=["item_id", "included", "created_at", "started_at", "completed_at",
                                     "canceled_at", "queue_days", "active_days", "handoffs"])
    if segments is None:
        segments = pd.DataFrame(columns=["item_id", "status", "kind", "owner", "order", "start", "end", "days"])
    return cost.CostInputs(flow, segments, frames["work_items"], frames["people"], frames["tools"],
                           frames["releases"], frames["feedback"], AS_OF, values), table


def test_assumptions_have_ids_sources_and_ranges():
    table = cost.assumptions(Costs())
    assert table["cost_of_delay_per_week"].low == pytest.approx(420) and table["cost_of_delay_per_week"].high == pytest.approx(780)
    assert table["rate.qa"].value == 80 and table["weeks_per_year"].low == table["weeks_per_year"].high == 46
    assert all(a.source.startswith("costs.") for a in table.values())


def test_survey_waste_rates_by_hourly_cost_then_role_then_default():
    people = pd.DataFrame({"person": ["ana", "bo", "cy", "di"], "role": ["product", "qa", "sales", "product"],
                           "hourly_cost": [None, 50, None, None],
                           "hours_status_chasing": [6, 3, 2.5, 1]})
    inp, _ = inputs(people=people)
    fig = cost.survey_waste(inp, "status_chasing")
    # healthy 2 h/week: ana 4 h × 95 × 46 = 17480; bo 1 h × 50 (own cost) × 46 = 2300;
    # cy 0.5 h × 100 (default) × 46 = 2300; di below healthy → 0
    assert fig.cost_per_year == pytest.approx(17480 + 2300 + 2300)
    assert fig.hours_per_year == pytest.approx((4 + 1 + 0.5) * 46)
    assert fig.lever == "delivery" and fig.evidence[0] == "ana" and "di" not in fig.evidence


def test_handoff_delay_excess_queue_over_healthy_per_handoff():
    flow = pd.DataFrame({
        "item_id": ["A", "B", "C", "D"], "included": [True, True, True, False],
        "created_at": [T("2025-07-01", tz="UTC")] * 4, "started_at": [T("2026-01-01", tz="UTC")] * 4,
        "completed_at": [T("2026-03-01", tz="UTC"), T("2026-03-01", tz="UTC"), None, T("2026-03-01", tz="UTC")],
        "canceled_at": [None] * 4, "queue_days": [10.0, 1.0, 30.0, 50.0], "active_days": [5.0] * 4,
        "handoffs": [3, 2, 1, 1]})
    inp, _ = inputs(flow=flow)
    fig = cost.handoff_delay(inp)
    # A: 10 − 1×3 = 7 days; B: 1 − 2 < 0 → 0; C unfinished, D excluded. 7/7 weeks × 600 = 600
    # data spans 2025-07-01 → as_of = 365 days, so no annualisation
    assert fig.quantity == pytest.approx(1.0)
    assert fig.cost_per_year == pytest.approx(600.0)
    assert fig.evidence == ("A",)


def test_release_slip_counts_overdue_unreleased_and_items():
    releases = pd.DataFrame({"release": ["1.0", "1.1", "1.2", "2.0"],
                             "planned_date": ["2026-01-01", "2026-02-01", "2026-06-16", "2026-08-01"],
                             "released_date": ["2026-01-15", "2026-01-30", None, None]})
    items = pd.DataFrame({"item_id": ["a", "b", "c"], "releases": [("1.0",), ("1.0",), ("1.2",)]})
    inp, _ = inputs(releases=releases, work_items=items)
    fig = cost.release_slip(inp)
    # 1.0: 14 days late × 2 items = 4 item-weeks; 1.1 early → 0; 1.2 overdue: as_of − 06-16 ≈ 14.99 days × 1 item;
    # 2.0 planned after as_of → not counted. Releases span 2026-01-01..as_of (181 days) → × 365/181
    slip_12 = (AS_OF - T("2026-06-16", tz="UTC")) / pd.Timedelta(days=1)
    weeks = (14 * 2 + slip_12) / 7
    scale = 365 / ((AS_OF - T("2026-01-01", tz="UTC")) / pd.Timedelta(days=1))
    assert fig.cost_per_year == pytest.approx(weeks * scale * 600)
    assert set(fig.evidence) == {"1.0", "1.2"}


def test_tool_spend_unused_and_duplicates_not_counted_twice():
    tools = pd.DataFrame({"tool": ["Jira", "Linear", "Asana", "Amplitude"],
                          "category": ["tracker", "tracker", "tracker", "analytics"],
                          "seats": [20, 10, 5, 10], "active_seats": [18, 4, 5, 5],
                          "monthly_cost": [200, 100, 50, 1000]})
    inp, _ = inputs(tools=tools)
    unused, dup = cost.unused_seat_spend(inp), cost.duplicate_tool_spend(inp)
    # unused: Jira 2 × 10/seat × 12 = 240; Linear 6 × 10 × 12 = 720; Amplitude 5 × 100 × 12 = 6000
    assert unused.cost_per_year == pytest.approx(6960)
    # Jira kept (most active); Linear 1200 − 720 unused + Asana 600 − 0 = 1080 (not counted twice)
    assert dup.cost_per_year == pytest.approx(1080) and set(dup.evidence) == {"Linear", "Asana"}
    assert unused.cost_per_year + dup.cost_per_year == pytest.approx(240 + 6000 + 1200 + 600)


def test_feedback_delay_per_linked_item_earliest_feedback():
    fb = pd.DataFrame({"feedback_id": ["f1", "f2", "f3"], "created_at": ["2026-06-01", "2026-06-10", "2026-06-01"],
                       "triaged_at": ["2026-06-22", None, None], "linked_item_ids": [("X",), ("X",), ()]})
    inp, _ = inputs(feedback=fb)
    fig = cost.feedback_delay(inp)
    # item X: earliest feedback f1 waited 21 days − 7 healthy = 14 days = 2 weeks; f3 unlinked: no delay cost
    scale = 365 / ((AS_OF - T("2026-06-01", tz="UTC")) / pd.Timedelta(days=1))
    assert fig.quantity == pytest.approx(2 * scale)
    assert fig.evidence == ("f1",)


def test_evaluate_gives_low_base_high_and_sensitivity_orders_by_swing():
    people = pd.DataFrame({"person": ["ana"], "role": ["product"], "hours_status_chasing": [12.0]})
    flow = pd.DataFrame({"item_id": ["A"], "included": [True], "created_at": [T("2025-07-01", tz="UTC")],
                         "started_at": [T("2026-01-01", tz="UTC")], "completed_at": [T("2026-03-01", tz="UTC")],
                         "canceled_at": [None], "queue_days": [8.0], "active_days": [3.0], "handoffs": [1]})
    inp, table = inputs(people=people, flow=flow)
    formulas = {k: cost.FORMULAS[k] for k in ("survey_waste.status_chasing", "handoff_delay")}
    model = cost.evaluate(inp, table, formulas)
    # survey: 10 h × 95 × 46 = 43700 (±30 %); delay: 7 days = 1 week × 600 (±30 %)
    assert model.range("survey_waste.status_chasing") == {"low": 30590.0, "base": 43700.0, "high": 56810.0}
    assert model.range("handoff_delay") == {"low": 420.0, "base": 600.0, "high": 780.0}
    tornado = cost.sensitivity(inp, table, formulas)
    assert tornado["assumption"].iloc[0] == "rate.product"
    assert tornado["swing"].iloc[0] == pytest.approx(43700 * 0.6)


def test_every_formula_handles_empty_input():
    inp, table = inputs()
    for fid, formula in cost.FORMULAS.items():
        fig = formula(inp)
        assert fig.cost_per_year == 0 and fig.formula_id == fid


def segment_frame(rows):
    frame = pd.DataFrame(rows, columns=["item_id", "status", "phase", "kind", "owner", "order", "start", "end"])
    frame["start"] = pd.to_datetime(frame["start"], utc=True)
    frame["end"] = pd.to_datetime(frame["end"], utc=True)
    frame["days"] = (frame["end"] - frame["start"]) / pd.Timedelta(days=1)
    frame["open"] = False
    return frame


def one_item_flow(**values):
    row = {"item_id": "A", "included": True, "created_at": T("2025-07-01", tz="UTC"),
           "started_at": T("2026-01-01", tz="UTC"), "completed_at": T("2026-01-20", tz="UTC"),
           "canceled_at": pd.NaT, "queue_days": 0.0, "active_days": 0.0, "handoffs": 0} | values
    frame = pd.DataFrame([row])
    for column in ("created_at", "started_at", "completed_at", "canceled_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def test_rework_bounce_times_median_bounced_step_times_hours_times_engineering_rate():
    segments = segment_frame([
        ("A", "In Progress", "committed", "active", "engineering", 2, "2026-01-01", "2026-01-04"),
        ("A", "In QA", "committed", "active", "qa", 4, "2026-01-04", "2026-01-06"),
        ("A", "In Progress", "committed", "active", "engineering", 2, "2026-01-06", "2026-01-08"),
        ("A", "Done", "done", "queue", "unknown", 5, "2026-01-08", "2026-06-30")])
    inp, _ = inputs(flow=one_item_flow(), segments=segments)
    fig = cost.rework(inp)
    # one bounce (QA → In Progress); the bounced step (In QA) was 2 active days: 1 × 2 × 8 h = 16 h × 110
    assert fig.hours_per_year == pytest.approx(16.0) and fig.cost_per_year == pytest.approx(1760.0)
    assert fig.evidence == ("A",) and fig.lever == "handoffs"


def test_pipeline_delay_takes_release_queue_out_of_handoff_delay():
    segments = segment_frame([
        ("A", "In Progress", "committed", "active", "engineering", 2, "2026-01-01", "2026-01-03"),
        ("A", "In Review", "committed", "queue", "engineering", 3, "2026-01-03", "2026-01-05"),
        ("A", "Ready for Release", "committed", "queue", "release", 4, "2026-01-05", "2026-01-09"),
        ("A", "Done", "done", "queue", "unknown", 5, "2026-01-09", "2026-06-30")])
    flow = one_item_flow(completed_at=T("2026-01-09", tz="UTC"), queue_days=6.0, active_days=2.0, handoffs=1)
    inp, _ = inputs(flow=flow, segments=segments)
    # waiting for release 4 days − 1 healthy = 3 days → 3/7 weeks × 600
    assert cost.pipeline_delay(inp).cost_per_year == pytest.approx(3 / 7 * 600)
    assert cost.pipeline_delay(inp).lever == "delivery"
    # handoffs only see the other 2 queue days: 2 − 1 × 1 handoff = 1 day → 1/7 × 600
    assert cost.handoff_delay(inp).cost_per_year == pytest.approx(1 / 7 * 600)


def test_canceled_work_counts_active_days_of_started_then_canceled_items():
    flow = one_item_flow(completed_at=pd.NaT, canceled_at=T("2026-02-01", tz="UTC"), active_days=5.0)
    inp, _ = inputs(flow=flow)
    fig = cost.canceled_work(inp)
    # 5 active days × 8 h = 40 h × 110 (engineering) = 4400; lever prioritization
    assert fig.hours_per_year == pytest.approx(40.0) and fig.cost_per_year == pytest.approx(4400.0)
    assert fig.lever == "prioritization" and fig.evidence == ("A",)


def test_release_queue_days_sums_release_waits_between_start_and_completion():
    segments = segment_frame([
        ("A", "In Progress", "committed", "active", "engineering", 2, "2026-01-01", "2026-01-03"),
        ("A", "Ready for Release", "committed", "queue", "release", 4, "2026-01-03", "2026-01-05"),
        ("A", "Ready for Release", "committed", "queue", "release", 4, "2026-01-06", "2026-01-07"),
        ("B", "Ready for Release", "committed", "queue", "release", 4, "2026-01-04", "2026-01-06"),
        ("A", "Done", "done", "queue", "unknown", 5, "2026-01-09", "2026-06-30")])
    done = pd.DataFrame({"item_id": ["A", "B", "C"], "started_at": [T("2026-01-01", tz="UTC")] * 3,
                         "completed_at": [T("2026-01-09", tz="UTC"), T("2026-01-03", tz="UTC"),
                                          T("2026-01-09", tz="UTC")]}, index=[10, 11, 12])
    # A waited 2 + 1 days; B's wait started after its completion; C never waited
    waits = cost.release_queue_days(segments, done)
    assert waits.tolist() == [3.0, 0.0, 0.0] and waits.index.tolist() == [10, 11, 12]
