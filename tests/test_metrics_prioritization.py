"""Prioritization lever metrics and scoring helpers on tiny literal frames with hand-worked values."""

import math

import pandas as pd
import pytest

from opsdiag.metrics.prioritization import (cd3, evidence_share, ice, priority_churn, priority_impact, rice,
                                            score_backlog, started_then_canceled, unplanned_share, wsjf)
from opsdiag.schema import conform, empty_frame

AS_OF = pd.Timestamp("2026-03-31T00:00:00Z")


def utc(*values):
    return pd.to_datetime(list(values), utc=True).astype("datetime64[us, UTC]")


def changes(rows):
    return conform("field_changes", pd.DataFrame(rows, columns=["item_id", "at", "field", "from_value", "to_value"]))


ITEMS = conform("work_items", pd.DataFrame({
    "item_id": ["A", "B", "C", "D", "E"],
    "started_at": ["2026-02-01", "2026-02-01", None, "2026-03-01", "2025-01-01"],
    "completed_at": ["2026-03-01", None, None, "2026-03-20", "2025-06-01"],
}))
PRIORITY_CHANGES = changes([
    ("A", "2026-01-15", "priority", "Low", "Medium"),    # before A started
    ("A", "2026-02-05", "Priority", "Medium", "High"),   # counts
    ("A", "2026-02-10", "priority", "High", "Highest"),  # counts
    ("A", "2026-02-12", "priority", "High", "High"),     # not a change
    ("A", "2026-02-16", "Sprint", "S1", "S1, S2"),       # another field
    ("B", "2026-02-20", "priority", "Low", "High"),      # counts
    ("C", "2026-03-01", "priority", "Low", "High"),      # C never started
    ("D", "2026-04-05", "priority", "Low", "High"),      # after as_of
    ("E", "2025-03-01", "priority", "Low", "High"),      # E finished before the window
])


def test_priority_churn_hand_worked():
    churn = priority_churn(PRIORITY_CHANGES, ITEMS, AS_OF, window_days=180)
    # in window: A, B, D (C not started, E done 2025-06-01 before 2025-10-02)
    assert churn.items_in_window == 3
    assert churn.per_item[["item_id", "changes"]].values.tolist() == [["A", 2], ["B", 1]]
    assert churn.items_reprioritised == 2 and churn.items_churned == 1
    assert churn.changes_per_item == pytest.approx(3 / 3)
    assert churn.share_churned == pytest.approx(1 / 3)
    assert churn.churned_ids == ("A",)
    # D: 0 changes, B: 1, A: 2
    assert churn.distribution.values.tolist() == [[0, 1], [1, 1], [2, 1]]
    assert churn.window_start == pd.Timestamp("2025-10-02T00:00:00Z")


def test_priority_churn_short_window_and_excluded_items():
    churn = priority_churn(PRIORITY_CHANGES, ITEMS, AS_OF, window_days=50)
    # window starts 2026-02-09: A keeps only its 02-10 change, B its 02-20 change
    assert churn.per_item["changes"].tolist() == [1, 1]
    assert churn.items_churned == 0 and churn.share_churned == 0.0
    flow = ITEMS.assign(included=[False, True, True, True, True])
    assert priority_churn(PRIORITY_CHANGES, flow, AS_OF).items_in_window == 2  # A excluded


def test_priority_churn_empty_and_single():
    churn = priority_churn(empty_frame("field_changes"), empty_frame("work_items"), AS_OF)
    assert churn.items_in_window == 0 and math.isnan(churn.share_churned) and churn.per_item.empty
    one = priority_churn(PRIORITY_CHANGES[PRIORITY_CHANGES["item_id"] == "B"], ITEMS[ITEMS["item_id"] == "B"], AS_OF)
    assert (one.items_in_window, one.items_churned, one.changes_per_item) == (1, 0, 1.0)


SPRINTS = conform("sprints", pd.DataFrame({"sprint": ["S1", "S2"], "start": ["2026-02-01", "2026-02-15"],
                                           "end": ["2026-02-14", "2026-02-28"]}))
SPRINT_ITEMS = conform("work_items", pd.DataFrame({
    "item_id": ["A", "B", "C", "D", "E", "F"],
    "created_at": ["2026-01-01", "2026-01-02", "2026-02-20", "2026-01-04", "2026-01-05", "2026-01-06"],
    "completed_at": ["2026-02-27", "2026-02-25", "2026-02-25", "2026-03-20", "2026-02-10", None],
    "sprints": [("S1", "S2"), ("S2",), ("S2",), (), ("S9",), ("S2",)],
}))
SPRINT_CHANGES = changes([
    ("A", "2026-02-16", "Sprint", "S1", "S1, S2"),  # A joins S2 a day after it started
    ("B", "2026-02-01", "sprint", None, "S2"),      # B planned into S2 before its start
])


def test_unplanned_share_hand_worked():
    result = unplanned_share(SPRINT_ITEMS, SPRINT_CHANGES, SPRINTS)
    category = result.per_item.set_index("item_id")["category"].to_dict()
    # A added 02-16 > 02-15; B planned; C created 02-20 inside S2; D no sprint; E's S9 unknown; F not done
    assert category == {"A": "added_after_start", "B": "planned", "C": "added_after_start", "D": "no_sprint",
                        "E": "unknown"}
    # unplanned A, C, D of the 4 assessed
    assert (result.completed, result.unplanned) == (4, 3)
    assert result.share == pytest.approx(0.75)
    assert result.unplanned_ids == ("A", "C", "D")
    assert result.uses_sprints


def test_unplanned_share_ignores_teams_without_sprints():
    items = SPRINT_ITEMS.assign(team=["Core", "Core", "Core", "Core", "Ops", "Core"])
    items.loc[items["item_id"] == "E", "sprints"] = pd.Series([()], index=items.index[items["item_id"] == "E"])
    extra = conform("work_items", pd.DataFrame({"item_id": ["G"], "project": ["OPS"], "completed_at": ["2026-03-01"]}))
    result = unplanned_share(pd.concat([items, extra], ignore_index=True), SPRINT_CHANGES, SPRINTS)
    category = result.per_item.set_index("item_id")["category"]
    # E (team Ops) and G (project OPS, no team) have no sprint and their teams never work in sprints
    assert category[["E", "G"]].tolist() == ["team_without_sprints"] * 2
    # A, C, D unplanned of A, B, C, D
    assert (result.completed, result.unplanned, result.share) == (4, 3, 0.75)


def test_unplanned_share_with_unknown_sprint_starts_is_not_assessed():
    # sprints listed on items but no sprint table (a Jira CSV export): nothing can be judged
    result = unplanned_share(SPRINT_ITEMS, SPRINT_CHANGES, empty_frame("sprints"))
    assert not result.uses_sprints and math.isnan(result.share)
    assert set(result.per_item["category"]) == {"unknown", "team_without_sprints"}


def test_unplanned_share_without_sprints_is_not_assessed():
    items = SPRINT_ITEMS.assign(sprints=[()] * len(SPRINT_ITEMS))
    result = unplanned_share(items, empty_frame("field_changes"), empty_frame("sprints"))
    assert not result.uses_sprints and math.isnan(result.share)
    empty = unplanned_share(empty_frame("work_items"), empty_frame("field_changes"), empty_frame("sprints"))
    assert empty.per_item.empty and empty.completed == 0 and math.isnan(empty.share)


FLOW = pd.DataFrame({
    "item_id": ["A", "B", "C", "D", "E", "F"],
    "phase": ["done", "canceled", "canceled", "done", "canceled", "done"],
    "included": [True, True, True, False, True, True],
    "started_at": utc("2026-02-01", "2026-02-01", None, "2026-03-01", "2026-03-01", "2026-03-02"),
    "canceled_at": utc(None, "2026-02-11", "2026-02-11", None, "2026-03-05", None),
    "completed_at": utc("2026-03-01", None, None, "2026-03-20", None, "2026-03-10"),
    "active_days": [5.0, 4.0, None, 2.0, 1.5, 3.0],
})


def test_started_then_canceled_hand_worked():
    result = started_then_canceled(FLOW)
    # started (included): A, B, E, F = 4; canceled after start: B (10 d), E (4 d); C never started
    assert (result.started, result.canceled) == (4, 2)
    assert result.share == pytest.approx(0.5)
    assert result.total_days == pytest.approx(14.0) and result.median_days == pytest.approx(7.0)
    assert result.ids == ("B", "E")
    assert result.per_item["active_days"].tolist() == [4.0, 1.5]


def test_started_then_canceled_empty():
    result = started_then_canceled(FLOW.iloc[:0])
    assert result.started == 0 and math.isnan(result.share) and result.total_days == 0.0 and result.ids == ()


def test_evidence_share():
    fb = conform("feedback", pd.DataFrame({"feedback_id": ["f1", "f2"], "linked_item_ids": [("A", "B"), ("D",)]}))
    result = evidence_share(FLOW, fb)
    # completed included: A, F (D excluded); A is linked → 1/2
    assert (result.completed, result.with_evidence) == (2, 1)
    assert result.share == 0.5 and result.ids_with == ("A",) and result.ids_without == ("F",)
    empty = evidence_share(FLOW.iloc[:0], empty_frame("feedback"))
    assert empty.completed == 0 and math.isnan(empty.share)
    # completed work but no feedback export: not assessed, not 0 %
    no_feedback = evidence_share(FLOW, empty_frame("feedback"))
    assert no_feedback.completed == 2 and math.isnan(no_feedback.share)


def test_scoring_helpers_hand_worked():
    assert rice(1000, 2, 0.8, 4) == pytest.approx(400.0)  # 1000 × 2 × 0.8 / 4
    assert ice(8, 7, 5) == 280  # 8 × 7 × 5
    assert wsjf(8, 5, 3, 4) == pytest.approx(4.0)  # (8 + 5 + 3) / 4
    assert cd3(1200.0, 3.0) == pytest.approx(400.0)  # 1200 per week / 3 weeks
    scores = rice(pd.Series([10.0, 5.0]), pd.Series([2.0, 1.0]), pd.Series([0.5, 1.0]), pd.Series([4.0, 0.0]))
    assert scores.iloc[0] == pytest.approx(2.5) and math.isnan(scores.iloc[1])  # effort 0 → NaN
    assert math.isnan(wsjf(1, 1, 1, 0)) and math.isnan(cd3(100.0, -1.0))
    assert cd3(pd.Series([600.0, 300.0]), pd.Series([2.0, 0.5])).tolist() == [300.0, 600.0]
    assert ice(pd.Series([1, 2]), pd.Series([3, 4]), pd.Series([5, 6])).tolist() == [15, 48]


def test_priority_impact_scale():
    priorities = pd.Series(["Highest", "1 - Highest", "High", "P2", "minor", "Trivial", None, "weird"], dtype="str")
    assert priority_impact(priorities).tolist() == [3.0, 3.0, 2.0, 1.0, 0.5, 0.25, 1.0, 1.0]


BACKLOG = conform("work_items", pd.DataFrame({
    "item_id": ["P1", "P2", "P3", "P4", "P5"], "title": ["one", "two", "three", "four", "five"],
    "priority": ["High", "1 - Highest", None, "Low", "Highest"], "estimate": [3, None, 2, 5, 1],
    "created_at": ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04", "2026-01-05"],
    "completed_at": [None, None, None, None, "2026-02-01"], "status_category": ["todo"] * 4 + ["done"],
}))
BACKLOG_FEEDBACK = conform("feedback", pd.DataFrame({
    "feedback_id": ["f1", "f2", "f3", "f4", "f5", "f6"],
    "linked_item_ids": [("P2",), ("P2", "P3"), ("P4",), ("P4",), ("P4",), ("P4", "P5")]}))


def test_score_backlog_hand_worked():
    out = score_backlog(BACKLOG, BACKLOG_FEEDBACK).set_index("item_id")
    # P5 is done. Current order by impact: P2 (3), P1 (2), P3 (1), P4 (0.5)
    assert list(out.index) == ["P2", "P1", "P3", "P4"]
    assert out["reach"].tolist() == [2.0, 0.0, 1.0, 4.0]
    # P2 has no estimate: median of 3, 2, 5 = 3
    assert out["effort"].tolist() == [3.0, 3.0, 2.0, 5.0]
    assert out["confidence"].tolist() == [0.75, 0.75, 1.0, 1.0]
    # RICE: P2 2×3×0.75/3 = 1.5; P1 0; P3 1×1×1/2 = 0.5; P4 4×0.5×1/5 = 0.4
    assert out["rice"].tolist() == pytest.approx([1.5, 0.0, 0.5, 0.4])
    assert out["rice_rank"].to_dict() == {"P2": 1, "P1": 4, "P3": 2, "P4": 3}
    assert out["rice_rank_change"].to_dict() == {"P2": 0, "P1": -2, "P3": 1, "P4": 1}
    # WSJF with time criticality 3 × reach / 4: P2 (3+1.5)/3 = 1.5; P1 2/3; P3 (1+0.75)/2 = 0.875; P4 (0.5+3)/5 = 0.7
    assert out["wsjf"].tolist() == pytest.approx([1.5, 2 / 3, 0.875, 0.7])
    assert out["wsjf_rank"].to_dict() == {"P2": 1, "P1": 4, "P3": 2, "P4": 3}


def test_score_backlog_open_items_from_flow_single_and_empty():
    flow = pd.DataFrame({"item_id": ["P1", "P2", "P3", "P4", "P5"], "included": [True] * 5,
                         "phase": ["canceled", "committed", "done", "done", "done"]})
    out = score_backlog(BACKLOG, BACKLOG_FEEDBACK, flow=flow)
    # only P2 is open: reach 2, impact 3, no estimate and no other open estimate → effort 1
    assert out["item_id"].tolist() == ["P2"]
    assert out["rice"].tolist() == pytest.approx([2 * 3 * 0.75 / 1])
    assert out[["current_rank", "rice_rank", "wsjf_rank", "rice_rank_change"]].values.tolist() == [[1, 1, 1, 0]]
    empty = score_backlog(empty_frame("work_items"), empty_frame("feedback"))
    assert empty.empty and str(empty["rice_rank"].dtype) == "int64"
