"""The six warning signs on literal inputs, and routing findings to the function that owns them."""

import pandas as pd
import pytest

from opsdiag import signs
from opsdiag.cost import CostFigure
from opsdiag.routing import route
from opsdiag.schema import conform, empty_frame

AS_OF = pd.Timestamp("2026-06-30T23:59:59Z")


def test_pm_chasing_updates_share_of_pms_and_not_measured():
    people = conform("people", pd.DataFrame({
        "person": ["ana", "bo", "cy", "eng"], "role": ["product", "product", "product", "engineering"],
        "hours_status_chasing": [5, 1, 2, 20], "hours_coordination_meetings": [4, 1, 1, 0],
        "hours_customer": [3, 6, 3, 0]}))
    sign = signs.pm_chasing_updates(people)
    # ana 9 > 3 (over), bo 2 < 6, cy 3 = 3 (not over): 1 of 3 PMs → amber; engineers do not count
    assert sign.value == pytest.approx(1 / 3) and sign.status == "amber" and sign.evidence == ["ana"]
    missing = signs.pm_chasing_updates(empty_frame("people"))
    assert missing.status == "not_measured" and "survey" in missing.needs


def test_releases_late_counts_due_releases_over_a_week():
    releases = conform("releases", pd.DataFrame({
        "release": ["1", "2", "3", "4"], "planned_date": ["2026-01-01", "2026-02-01", "2026-06-01", "2026-09-01"],
        "released_date": ["2026-01-20", "2026-02-03", None, None]}))
    sign = signs.releases_late(releases, empty_frame("sprints"), empty_frame("field_changes"), AS_OF)
    # due: 1 (19 days late), 2 (2 days), 3 (overdue ~30 days); 4 not due → 2 of 3 late → red
    assert sign.value == pytest.approx(2 / 3) and sign.status == "red" and sign.evidence == ["1", "3"]


def test_no_source_of_truth_counts_categories_of_record():
    tools = conform("tools", pd.DataFrame({"tool": ["Jira", "Linear", "Amplitude", "Slack", "Teams"],
                                           "category": ["tracker", "tracker", "analytics", "chat", "chat"]}))
    sign = signs.no_source_of_truth(tools)
    # chat overlaps but is not a category of record; tracker does → 1 → amber
    assert sign.value == 1 and sign.status == "amber" and set(sign.evidence) == {"Jira", "Linear"}
    assert signs.no_source_of_truth(empty_frame("tools")).status == "not_measured"


def flow_frame(rows):
    frame = pd.DataFrame(rows, columns=["item_id", "phase", "completed_at", "started_at", "included"])
    for c in ("completed_at", "started_at"):
        frame[c] = pd.to_datetime(frame[c], utc=True)
    frame["created_at"] = frame["started_at"]
    frame["canceled_at"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us, UTC]")
    return frame


def test_eng_gtm_disagree_items_not_done_by_release_day():
    releases = conform("releases", pd.DataFrame({"release": ["R1"], "planned_date": ["2026-03-01"],
                                                 "released_date": ["2026-03-01"]}))
    items = conform("work_items", pd.DataFrame({"item_id": ["a", "b", "c", "d"],
                                                "releases": [("R1",), ("R1",), ("R1",), ("R1",)]}))
    flow = flow_frame([("a", "done", "2026-02-20", "2026-02-01", True), ("b", "done", "2026-03-10", "2026-02-01", True),
                       ("c", "committed", None, "2026-02-01", True), ("d", "done", "2026-02-28", "2026-02-01", True)])
    sign = signs.eng_gtm_disagree(releases, flow, items, AS_OF)
    # b finished after release day, c never finished: 2 of 4 → red
    assert sign.value == pytest.approx(0.5) and sign.status == "red" and sorted(sign.evidence) == ["b", "c"]


def test_feedback_scattered_by_tools_and_linked_share():
    feedback = conform("feedback", pd.DataFrame({
        "feedback_id": ["1", "2", "3", "4"], "source": ["zendesk", "canny", "intercom", "zendesk"],
        "created_at": ["2026-06-01"] * 4, "triaged_at": ["2026-06-02"] * 4,
        "linked_item_ids": [("a",), (), (), ()]}))
    flow = flow_frame([("a", "done", "2026-06-10", "2026-06-05", True)])
    sign = signs.feedback_scattered(feedback, empty_frame("tools"), flow, AS_OF)
    # three intake tools and 1 of 4 linked (25 %) → red
    assert sign.status == "red" and sign.value == pytest.approx(0.25) and "3 intake tools" in sign.detail
    assert signs.feedback_scattered(empty_frame("feedback"), empty_frame("tools"), flow, AS_OF).status == "not_measured"


def test_political_prioritization_churn_and_evidence():
    changes = conform("field_changes", pd.DataFrame({
        "item_id": ["a", "a", "b"], "at": ["2026-05-02", "2026-05-03", "2026-05-04"], "field": ["priority"] * 3,
        "from_value": ["Low", "High", "Low"], "to_value": ["High", "Low", "High"]}))
    flow = flow_frame([("a", "committed", None, "2026-05-01", True), ("b", "committed", None, "2026-05-01", True)])
    sign = signs.political_prioritization(changes, flow, empty_frame("feedback"), AS_OF)
    # a changed twice after start, b once: 1 of 2 churned (50 % > 20 %) → one test fails → amber
    assert sign.status == "amber" and sign.value == pytest.approx(0.5) and sign.evidence == ["a"]
    none = signs.political_prioritization(empty_frame("field_changes"), flow, empty_frame("feedback"), AS_OF)
    assert none.status == "not_measured"


def test_routing_pipeline_wait_to_eng_ops_and_feedback_to_product_ops():
    assert route("delivery.pipeline_wait") == "eng_ops"
    assert route("feedback.triage_delay") == "product_ops"
    assert route("prioritization.canceled_work") == "product_management"
    ci_tools = pd.DataFrame({"tool": ["Jenkins", "CircleCI"], "category": ["ci", "ci"], "unused_spend": [0, 0],
                             "duplicate_spend": [0, 9000]})
    assert route("tooling.duplicate_tools", None, CostFigure("x", "tooling", 0, 9000, (), (), ci_tools)) == "eng_ops"
    pulls = pd.DataFrame({"person": ["fin"], "role": ["finance"], "cost_per_year": [5000.0]})
    assert route("analytics.data_pull_hours", None, CostFigure("x", "analytics", 0, 5000, (), (), pulls)) == "bizops"
