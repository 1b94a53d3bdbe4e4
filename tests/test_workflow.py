"""Flow rules of ``opsdiag.workflow`` on tiny literal frames with hand-worked answers."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opsdiag import config, workflow
from opsdiag.ingest import read_folder
from opsdiag.schema import Dataset, conform
from opsdiag.workflow_calendar import history_index, sorted_codes, working_days_between
from opsdiag.workflow_flow import FLOW_COLUMNS
from opsdiag.workflow_rules import infer_status, inference_source


def T(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def make_items(*rows: dict) -> pd.DataFrame:
    rows = [{"item_type": "Story", **r} for r in rows]
    return conform("work_items", pd.DataFrame(rows))


def make_moves(*rows: tuple) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=["item_id", "at", "from_status", "to_status"])
    frame["at"] = pd.to_datetime(frame["at"], utc=True, format="ISO8601")
    return conform("transitions", frame)


def dataset(items: pd.DataFrame, moves: pd.DataFrame | None = None) -> Dataset:
    ds = Dataset()
    ds.tables.update(work_items=items, transitions=moves if moves is not None else conform(
        "transitions", pd.DataFrame(columns=["item_id", "at", "to_status"])))
    return ds


def run(items, moves=None, as_of="2026-01-31", **settings) -> pd.DataFrame:
    """status_mapping → status_segments → flow_intervals, as load_client chains them."""
    wf = config.Workflow(**settings)
    ds = dataset(items, moves)
    mapping = workflow.status_mapping(ds, wf)
    segments = workflow.status_segments(ds.transitions, mapping, T(as_of))
    flow = workflow.flow_intervals(ds.work_items, ds.transitions, mapping, T(as_of), wf, segments=segments)
    assert list(flow.columns) == FLOW_COLUMNS
    return flow.set_index("item_id")


# --- name inference ----------------------------------------------------------------------------

@pytest.mark.parametrize("name, phase, kind, owner", [
    ("Backlog", "backlog", "queue", "product"),
    ("  to do ", "backlog", "queue", "product"),
    ("Triage", "backlog", "queue", "product"),
    ("Icebox", "backlog", "queue", "product"),
    ("Selected for Development", "committed", "queue", "engineering"),
    ("Selected for Tech Check", "committed", "queue", "engineering"),
    ("Code Review", "committed", "queue", "engineering"),
    ("PR Review", "committed", "queue", "engineering"),
    ("Ready for QA", "committed", "queue", "qa"),
    ("Ready to Validate", "committed", "queue", "qa"),
    ("Awaiting…", "committed", "queue", "unknown"),
    ("Waiting for customer", "committed", "queue", "support"),
    ("In Progress", "committed", "active", "engineering"),
    ("In QA", "committed", "active", "qa"),
    ("Design", "committed", "active", "design"),
    ("Blocked", "committed", "blocked", "unknown"),
    ("On Hold", "committed", "blocked", "unknown"),
    ("Ready for Release", "committed", "queue", "release"),
    ("Done", "done", "queue", "unknown"),
    ("Deployed", "done", "queue", "release"),
    ("Won’t Fix", "canceled", "queue", "unknown"),
    ("Cancelled", "canceled", "queue", "unknown"),
    ("Duplicate", "canceled", "queue", "unknown"),
    ("Aborted", "canceled", "queue", "unknown"),
])
def test_infer_status_from_english_names(name, phase, kind, owner):
    assert infer_status(name) == {"phase": phase, "kind": kind, "owner": owner}


def test_canceled_name_wins_over_done_category():
    assert infer_status("Won't Do", "done")["phase"] == "canceled"
    assert infer_status("Rejected", "done")["phase"] == "canceled"


def test_unknown_name_falls_back_to_category_else_unmapped():
    assert infer_status("En curso", "in_progress") == {"phase": "committed", "kind": "active", "owner": "unknown"}
    assert infer_status("Tareas por hacer", "todo")["phase"] == "backlog"
    assert infer_status("Tareas por hacer") == {"phase": None, "kind": None, "owner": "unknown"}


def test_mapping_spanish_statuses_use_category_and_unknown_is_unmapped():
    items = make_items({"item_id": "A", "status": "En curso", "status_category": "in_progress"},
                       {"item_id": "B", "status": "Tareas por hacer", "status_category": "todo"},
                       {"item_id": "C", "status": "Zwischenablage"})
    mapping = workflow.status_mapping(dataset(items), config.Workflow()).set_index("status")
    assert mapping.loc["En curso", ["phase", "kind", "source"]].tolist() == ["committed", "active", "category"]
    assert mapping.loc["Tareas por hacer", ["phase", "source"]].tolist() == ["backlog", "category"]
    assert mapping.loc["Zwischenablage", ["phase", "kind", "owner", "source"]].tolist() == [
        "committed", "active", "unknown", "unmapped"]
    assert mapping["items"].tolist() == [1, 1, 1]


def test_mapping_order_follows_history_and_config_overrides_field_by_field():
    moves = make_moves(("A", "2026-01-02", "To Do", "In Progress"), ("A", "2026-01-03", "In Progress", "Peer Check"),
                       ("A", "2026-01-04", "Peer Check", "Done"),
                       ("B", "2026-01-02", "To Do", "In Progress"), ("B", "2026-01-03", "In Progress", "Won't Do"))
    items = make_items({"item_id": "A", "status": "Done"}, {"item_id": "B", "status": "Won't Do"})
    mapping = workflow.status_mapping(dataset(items, moves), config.Workflow())
    assert mapping["status"].tolist() == ["To Do", "In Progress", "Peer Check", "Done", "Won't Do"]
    assert mapping["order"].tolist() == [1, 2, 3, 4, 5]
    wf = config.Workflow(statuses={"peer check": {"phase": "committed", "kind": "queue", "owner": "qa",
                                                  "order": 9},
                                   "Done": {"owner": "release"}})
    ordered = workflow.status_mapping(dataset(items, moves), wf)
    # configured order 9 puts Peer Check after every inferred status before it; orders are renumbered
    assert ordered["status"].tolist() == ["To Do", "In Progress", "Peer Check", "Done", "Won't Do"]
    assert ordered["order"].tolist() == [1, 2, 3, 4, 5]
    mapping = ordered.set_index("status")
    assert mapping.loc["Peer Check", ["phase", "kind", "owner", "source"]].tolist() == [
        "committed", "queue", "qa", "config"]
    assert mapping.loc["Done", ["phase", "kind", "owner", "source"]].tolist() == ["done", "queue", "release", "config"]
    assert mapping.loc["In Progress", "source"] == "name"


def test_config_override_changes_flow_split():
    items = make_items({"item_id": "A", "status": "Done", "created_at": T("2026-01-01")})
    moves = make_moves(("A", "2026-01-02", "To Do", "In Progress"), ("A", "2026-01-05", "In Progress", "Done"))
    plain = run(items, moves).loc["A"]
    assert (plain["active_days"], plain["queue_days"]) == (3.0, 0.0)
    changed = run(items, moves, statuses={"In Progress": {"kind": "queue"}}).loc["A"]
    assert (changed["active_days"], changed["queue_days"]) == (0.0, 3.0)


# --- flow rules --------------------------------------------------------------------------------

def test_straight_path():
    items = make_items({"item_id": "A", "status": "Done", "created_at": T("2026-01-01")})
    moves = make_moves(("A", "2026-01-02", "To Do", "In Progress"),
                       ("A", "2026-01-04", "In Progress", "Code Review"),
                       ("A", "2026-01-05 12:00", "Code Review", "Done"))
    a = run(items, moves).loc["A"]
    assert a["started_at"] == T("2026-01-02") and a["completed_at"] == T("2026-01-05 12:00")
    assert a["cycle_time_days"] == 3.5 and a["lead_time_days"] == 4.5
    assert (a["active_days"], a["queue_days"], a["blocked_days"]) == (2.0, 1.5, 0.0)
    assert a["flow_efficiency"] == pytest.approx(2 / 3.5)
    assert (a["handoffs"], a["bounce_backs"], a["phase"], a["status"]) == (0, 0, "done", "Done")
    assert bool(a["has_history"]) and bool(a["included"]) and np.isnan(a["age_days"])


def test_skipped_statuses_start_at_first_later_stage():
    items = make_items({"item_id": "A", "status": "Done", "created_at": T("2026-01-01")},
                       {"item_id": "B", "status": "Done", "created_at": T("2026-01-01")})
    moves = make_moves(("A", "2026-01-03", "To Do", "Done"),
                       ("B", "2026-01-02", "To Do", "Code Review"), ("B", "2026-01-04", "Code Review", "Done"))
    flow = run(items, moves)
    assert flow.loc["A", "started_at"] == T("2026-01-03") and flow.loc["A", "cycle_time_days"] == 0.0
    assert flow.loc["B", "started_at"] == T("2026-01-02") and flow.loc["B", "cycle_time_days"] == 2.0
    assert flow.loc["B", "queue_days"] == 2.0


def test_reopen_ends_at_last_done():
    items = make_items({"item_id": "A", "status": "Done", "created_at": T("2026-01-01")})
    moves = make_moves(("A", "2026-01-02", "To Do", "In Progress"), ("A", "2026-01-04", "In Progress", "Done"),
                       ("A", "2026-01-06", "Done", "In Progress"), ("A", "2026-01-09", "In Progress", "Done"))
    a = run(items, moves).loc["A"]
    assert a["completed_at"] == T("2026-01-09") and a["cycle_time_days"] == 7.0
    assert (a["active_days"], a["queue_days"]) == (5.0, 2.0)  # 2 days sat in Done before the reopen
    assert a["bounce_backs"] == 1


def test_resolved_then_closed_keeps_first_done_entry():
    items = make_items({"item_id": "A", "status": "Closed", "created_at": T("2026-01-01")})
    moves = make_moves(("A", "2026-01-02", "Open", "In Progress"), ("A", "2026-01-04", "In Progress", "Resolved"),
                       ("A", "2026-01-08", "Resolved", "Closed"))
    assert run(items, moves).loc["A", "completed_at"] == T("2026-01-04")


@pytest.mark.parametrize("policy, started, cycle, active, queue", [
    ("keep_first_start", "2026-01-02", 10.0, 4.0, 6.0),
    ("restart", "2026-01-10", 2.0, 2.0, 0.0),
])
def test_move_back_to_backlog(policy, started, cycle, active, queue):
    items = make_items({"item_id": "A", "status": "Done", "created_at": T("2026-01-01")})
    moves = make_moves(("A", "2026-01-02", "To Do", "In Progress"), ("A", "2026-01-04", "In Progress", "To Do"),
                       ("A", "2026-01-10", "To Do", "In Progress"), ("A", "2026-01-12", "In Progress", "Done"))
    a = run(items, moves, backward_moves=policy).loc["A"]
    assert a["started_at"] == T(started) and a["cycle_time_days"] == cycle
    assert (a["active_days"], a["queue_days"]) == (active, queue)
    assert a["bounce_backs"] == 0


def test_moved_back_and_still_in_backlog():
    items = make_items({"item_id": "A", "status": "To Do", "created_at": T("2026-01-01")})
    moves = make_moves(("A", "2026-01-02", "To Do", "In Progress"), ("A", "2026-01-04", "In Progress", "To Do"))
    keep = run(items, moves, as_of="2026-01-10").loc["A"]
    assert keep["started_at"] == T("2026-01-02") and keep["phase"] == "backlog"
    assert np.isnan(keep["age_days"]) and (keep["active_days"], keep["queue_days"]) == (2.0, 6.0)
    restart = run(items, moves, as_of="2026-01-10", backward_moves="restart").loc["A"]
    assert pd.isna(restart["started_at"]) and np.isnan(restart["active_days"])


def test_blocked_detour():
    items = make_items({"item_id": "A", "status": "Done", "created_at": T("2026-01-01")})
    moves = make_moves(("A", "2026-01-02", "To Do", "In Progress"), ("A", "2026-01-03", "In Progress", "Blocked"),
                       ("A", "2026-01-06", "Blocked", "In Progress"), ("A", "2026-01-07", "In Progress", "Done"))
    a = run(items, moves).loc["A"]
    assert (a["active_days"], a["queue_days"], a["blocked_days"]) == (2.0, 0.0, 3.0)
    assert a["flow_efficiency"] == pytest.approx(0.4)
    assert (a["handoffs"], a["bounce_backs"]) == (0, 0)  # leaving a blocked detour is neither


def test_never_started_and_work_in_progress_age():
    items = make_items({"item_id": "A", "status": "To Do", "created_at": T("2026-01-01")},
                       {"item_id": "B", "status": "In Progress", "created_at": T("2026-01-01")})
    moves = make_moves(("A", "2026-01-02", "Backlog", "To Do"), ("B", "2026-01-05", "To Do", "In Progress"))
    flow = run(items, moves, as_of="2026-01-10")
    a, b = flow.loc["A"], flow.loc["B"]
    assert pd.isna(a["started_at"]) and np.isnan(a["cycle_time_days"]) and np.isnan(a["age_days"])
    assert np.isnan(a["active_days"]) and a["phase"] == "backlog"
    # as_of is the instant given: 2026-01-10 00:00 UTC here
    assert b["age_days"] == 5.0 and b["active_days"] == 5.0 and np.isnan(b["cycle_time_days"])


def test_canceled_item_has_no_cycle_time():
    items = make_items({"item_id": "A", "status": "Won't Do", "created_at": T("2026-01-01")})
    moves = make_moves(("A", "2026-01-02", "To Do", "In Progress"), ("A", "2026-01-05", "In Progress", "Won't Do"))
    a = run(items, moves).loc["A"]
    assert a["phase"] == "canceled" and a["canceled_at"] == T("2026-01-05") and pd.isna(a["completed_at"])
    assert np.isnan(a["cycle_time_days"]) and np.isnan(a["lead_time_days"]) and a["active_days"] == 3.0


def test_transitions_after_as_of_are_ignored():
    items = make_items({"item_id": "A", "status": "Done", "created_at": T("2026-01-01")})
    moves = make_moves(("A", "2026-01-02", "To Do", "In Progress"), ("A", "2026-01-20", "In Progress", "Done"))
    a = run(items, moves, as_of="2026-01-10").loc["A"]
    assert a["phase"] == "committed" and a["status"] == "In Progress" and pd.isna(a["completed_at"])
    assert a["age_days"] == 8.0


def test_created_in_progress_starts_at_creation():
    items = make_items({"item_id": "A", "status": "Done", "created_at": T("2026-01-01")})
    moves = make_moves(("A", "2026-01-03", "In Progress", "Done"))
    a = run(items, moves).loc["A"]
    assert a["started_at"] == T("2026-01-01") and a["cycle_time_days"] == 2.0 and a["active_days"] == 2.0


def test_done_without_history_uses_own_columns():
    items = make_items({"item_id": "A", "status": "Done", "created_at": T("2026-01-01"),
                        "started_at": T("2026-01-02"), "completed_at": T("2026-01-05")},
                       {"item_id": "B", "status": "Done", "created_at": T("2026-01-01"),
                        "started_at": T("2026-01-02"), "completed_at": T("2026-01-20")},
                       {"item_id": "C", "status": "Won't Do", "created_at": T("2026-01-01"),
                        "completed_at": T("2026-01-03")})
    flow = run(items, as_of="2026-01-10")
    a, b, c = flow.loc["A"], flow.loc["B"], flow.loc["C"]
    assert not a["has_history"] and a["cycle_time_days"] == 3.0 and a["lead_time_days"] == 4.0
    assert np.isnan(a["active_days"]) and a["handoffs"] == 0
    assert b["phase"] == "committed" and pd.isna(b["completed_at"]) and b["age_days"] == 8.0  # done later
    assert c["phase"] == "canceled" and c["canceled_at"] == T("2026-01-03") and np.isnan(c["cycle_time_days"])


def test_handoffs_and_bounce_backs():
    items = make_items({"item_id": "A", "status": "Done", "created_at": T("2026-01-01")},
                       {"item_id": "B", "status": "Done", "created_at": T("2026-01-01")})
    moves = make_moves(
        ("A", "2026-01-02", "To Do", "In Progress"), ("A", "2026-01-03", "In Progress", "Ready for QA"),
        ("A", "2026-01-04", "Ready for QA", "In QA"), ("A", "2026-01-05", "In QA", "In Progress"),
        ("A", "2026-01-06", "In Progress", "Ready for QA"), ("A", "2026-01-07", "Ready for QA", "In QA"),
        ("A", "2026-01-08", "In QA", "Done"),
        ("B", "2026-01-02", "To Do", "In Progress"), ("B", "2026-01-03", "In Progress", "Blocked"),
        ("B", "2026-01-04", "Blocked", "In Progress"), ("B", "2026-01-05", "In Progress", "Ready for QA"),
        ("B", "2026-01-06", "Ready for QA", "Done"))
    flow = run(items, moves)
    # A: eng → qa, qa → eng (the bounce), eng → qa; B: eng → (blocked) → eng → qa
    assert flow.loc["A", "handoffs"] == 3 and flow.loc["A", "bounce_backs"] == 1
    assert flow.loc["B", "handoffs"] == 1 and flow.loc["B", "bounce_backs"] == 0


def test_working_days_calendar():
    # Friday 12:00 → Tuesday 12:00: 0.5 (Fri) + 1 (Mon) + 0.5 (Tue) working days, 4 calendar days
    items = make_items({"item_id": "A", "status": "Done", "created_at": T("2026-01-08 12:00")})
    moves = make_moves(("A", "2026-01-09 12:00", "To Do", "In Progress"),
                       ("A", "2026-01-13 12:00", "In Progress", "Done"))
    assert run(items, moves).loc["A", "cycle_time_days"] == 4.0
    a = run(items, moves, calendar="working_days").loc["A"]
    assert a["cycle_time_days"] == pytest.approx(2.0) and a["lead_time_days"] == pytest.approx(3.0)
    assert a["active_days"] == pytest.approx(2.0)
    holiday = run(items, moves, calendar="working_days", holidays=["2026-01-12"]).loc["A"]
    assert holiday["cycle_time_days"] == pytest.approx(1.0)


def test_working_days_between_edges():
    start = np.array(["2026-01-10T08:00", "2026-01-12T06:00", "2026-01-12T00:00", "NaT"], dtype="datetime64[us]")
    end = np.array(["2026-01-11T20:00", "2026-01-12T18:00", "2026-01-19T00:00", "2026-01-12"], dtype="datetime64[us]")
    days = working_days_between(start, end)
    assert days[0] == 0.0 and days[1] == 0.5 and days[2] == 5.0 and np.isnan(days[3])  # weekend, same day, week


def test_excluded_types_and_include_list():
    items = make_items({"item_id": "A", "status": "Done", "item_type": "Story"},
                       {"item_id": "B", "status": "Done", "item_type": "Epic"},
                       {"item_id": "C", "status": "Done", "item_type": "sub-task"},
                       {"item_id": "D", "status": "Done", "item_type": "Subtarea"},
                       {"item_id": "E", "status": "Done", "item_type": "Pull request"},
                       {"item_id": "F", "status": "Done", "item_type": "Bug"})
    flow = run(items)
    assert flow["included"].to_dict() == {"A": True, "B": False, "C": False, "D": False, "E": False, "F": True}
    assert flow.loc["B", "excluded_reason"] == "type in workflow.exclude_types"
    only_bugs = run(items, include_types=["bug"])
    assert only_bugs.index[only_bugs["included"]].tolist() == ["F"]


def test_items_created_after_as_of_and_transition_only_ids():
    items = make_items({"item_id": "A", "status": "To Do", "created_at": T("2026-02-05")})
    moves = make_moves(("Z", "2026-01-02", "To Do", "In Progress"))
    flow = run(items, moves, as_of="2026-01-31")
    assert not flow.loc["A", "included"] and flow.loc["A", "excluded_reason"] == "created after as_of"
    assert flow.loc["Z", "phase"] == "committed" and flow.loc["Z", "age_days"] == 29.0


# --- naive timestamps read in the engagement timezone -----------------------------------------

def test_naive_timestamps_read_in_engagement_timezone(tmp_path):
    (tmp_path / "work_items.csv").write_text(
        "item_id,item_type,status,created_at\nA,Story,Done,2026-01-05 09:00\nS,Story,Done,2026-07-01 09:00\n")
    (tmp_path / "transitions.csv").write_text(
        "item_id,at,from_status,to_status\n"
        "A,2026-01-05 10:00,To Do,In Progress\nA,2026-01-07 16:00,In Progress,Done\n"
        "S,2026-07-01 10:00,To Do,In Progress\nS,2026-07-02 10:00,In Progress,Done\n")
    ds = read_folder(tmp_path, "Europe/Berlin")
    mapping = workflow.status_mapping(ds, config.Workflow())
    flow = workflow.flow_intervals(ds.work_items, ds.transitions, mapping, T("2026-12-31"),
                                   config.Workflow()).set_index("item_id")
    assert flow.loc["A", "started_at"] == T("2026-01-05 09:00")  # CET = UTC+1
    assert flow.loc["A", "completed_at"] == T("2026-01-07 15:00")
    assert flow.loc["A", "cycle_time_days"] == 2.25 and flow.loc["A", "lead_time_days"] == pytest.approx(2 + 7 / 24)
    assert flow.loc["S", "started_at"] == T("2026-07-01 08:00")  # CEST = UTC+2
    assert str(flow["started_at"].dtype) == "datetime64[us, UTC]"


# --- segments and empty input -----------------------------------------------------------------

def test_status_segments_open_stay_and_initial_stay():
    items = make_items({"item_id": "A", "status": "In Progress", "created_at": T("2026-01-01")})
    moves = make_moves(("A", "2026-01-03", "To Do", "In Progress"), ("A", "2026-01-20", "In Progress", "Done"))
    mapping = workflow.status_mapping(dataset(items, moves), config.Workflow())
    seg = workflow.status_segments(moves, mapping, T("2026-01-10"))
    assert list(seg.columns) == workflow.SEGMENT_COLUMNS
    assert seg[["status", "days", "open", "initial"]].values.tolist() == [["In Progress", 7.0, True, False]]
    assert seg.loc[0, "end"] == T("2026-01-10")
    seg = workflow.status_segments(moves, mapping, T("2026-01-10"), items=items)
    assert seg[["status", "phase", "days", "open", "initial"]].values.tolist() == [
        ["To Do", "backlog", 2.0, False, True], ["In Progress", "committed", 7.0, True, False]]


def test_segments_without_the_columns_the_status_gives_are_restored_exactly():
    items = make_items({"item_id": "A", "status": "Done", "created_at": T("2026-01-01")},
                       {"item_id": "B", "status": "Limbo", "created_at": T("2026-01-02")})
    moves = make_moves(("A", "2026-01-03 06:00", "To Do", "In Progress"), ("A", "2026-01-05", "In Progress", "Done"),
                       ("B", "2026-01-04", "To Do", "Limbo"))
    mapping = workflow.status_mapping(dataset(items, moves), config.Workflow())
    mapping = mapping[mapping["status"] != "Limbo"]  # a status the mapping does not hold: unmapped
    seg = workflow.status_segments(moves, mapping, T("2026-01-10"), items=items)
    core = workflow.without_attributes(seg)
    assert list(core.columns) == ["item_id", "status", "start", "end", "open", "initial"]
    back = workflow.with_attributes(core, mapping)
    pd.testing.assert_frame_equal(back, seg)
    limbo = back[back["status"] == "Limbo"].iloc[0]
    assert (limbo["phase"], limbo["owner"], limbo["order"]) == ("committed", "unknown", mapping["order"].max() + 1)
    assert back.loc[back["status"] == "In Progress", "days"].tolist() == [1.75]
    assert workflow.without_attributes(seg.assign(status=seg["status"].where(seg.index > 0))) is None


def test_empty_inputs_give_empty_frames():
    ds = dataset(conform("work_items", pd.DataFrame(columns=["item_id"])))
    mapping = workflow.status_mapping(ds, config.Workflow())
    assert mapping.empty and list(mapping.columns) == workflow.MAPPING_COLUMNS
    seg = workflow.status_segments(ds.transitions, mapping, T("2026-01-10"))
    assert seg.empty and list(seg.columns) == workflow.SEGMENT_COLUMNS
    flow = workflow.flow_intervals(ds.work_items, ds.transitions, mapping, T("2026-01-10"), config.Workflow())
    assert flow.empty and list(flow.columns) == FLOW_COLUMNS


def test_flow_is_vectorised_on_many_transitions():
    rng = np.random.default_rng(0)
    n_items, per_item = 20_000, 5
    names = np.array(["To Do", "In Progress", "Code Review", "Ready for QA", "In QA", "Blocked", "Done"])
    ids = np.repeat(np.arange(n_items).astype(str), per_item)
    at = T("2025-01-01") + pd.to_timedelta(rng.integers(0, 300 * 86400, n_items * per_item), unit="s")
    moves = conform("transitions", pd.DataFrame({
        "item_id": ids, "at": at, "from_status": names[rng.integers(0, 7, len(ids))],
        "to_status": names[rng.integers(0, 7, len(ids))]}))
    items = make_items(*({"item_id": str(i), "status": "Done", "created_at": T("2024-12-31")} for i in range(n_items)))
    began = time.perf_counter()
    flow = run(items, moves, as_of="2025-12-31")
    assert time.perf_counter() - began < 5.0  # ~0.5 s; a per-row loop would take minutes
    assert len(flow) == n_items and flow["has_history"].all()
    spans = flow[["active_days", "queue_days", "blocked_days"]].sum(axis=1)
    finished = flow["cycle_time_days"].notna()
    assert np.allclose(spans[finished], flow.loc[finished, "cycle_time_days"])  # no double counting


# --- the history index and segment arrays shared by the workflow tables -------------------------

def test_sorted_codes_equal_a_sorted_factorize():
    values = np.array(["B-2", "B-2", "A-10", None, "A-10", "A-9", "é", "B-2", np.nan], dtype=object)
    codes, uniques = sorted_codes(values)
    assert uniques.tolist() == ["A-10", "A-9", "B-2", "é"]
    assert codes.tolist() == [2, 2, 0, -1, 0, 1, 3, 2, -1]
    assert sorted_codes(np.array([3, 1, 3], dtype=object))[0].tolist() == [1, 0, 1]  # not text: pandas
    assert sorted_codes(np.array([], dtype=object))[0].tolist() == []


def test_history_index_is_computed_once_per_frame_and_orders_by_item_then_time():
    moves = make_moves(("B", "2026-01-03", "To Do", "Done"), ("A", "2026-01-02", "Doing", "Done"),
                       ("A", "2026-01-01", "To Do", "Doing"), ("B", "2026-01-03", "Done", "To Do"),
                       ("A", None, "Doing", "Done"))
    index = history_index(moves)
    assert history_index(moves) is index and history_index(moves.copy()) is not index
    assert index.ids.tolist() == ["A", "B"] and index.statuses.tolist() == ["To Do", "Doing", "Done"]
    assert index.rows.tolist() == [2, 1, 0, 3]  # A by time, B's tie in file order, no time: left out
    assert index.statuses[index.row_to].tolist() == ["Doing", "Done", "Done", "To Do"]


def test_history_index_orders_runs_of_items_as_a_sort_by_item_then_time_would():
    in_order = make_moves(("A", "2026-01-01", "To Do", "Doing"), ("A", "2026-01-02", "Doing", "Done"),
                          ("B", "2026-01-01", "To Do", "Done"))
    index = history_index(in_order)  # already by item then time: nothing moves
    assert index.rows.tolist() == [0, 1, 2] and index.starts.tolist() == [0, 2] and index.row_at is index.at
    # one run per item, out of id order; then B in two runs, one with its times out of order
    for moves, rows, codes in (
            (make_moves(("B", "2026-01-01", "To Do", "Done"), ("A", "2026-01-01", "To Do", "Doing"),
                        ("A", "2026-01-02", "Doing", "Done")), [1, 2, 0], [0, 0, 1]),
            (make_moves(("B", "2026-01-01", "To Do", "Done"), ("A", "2026-01-01", "To Do", "Doing"),
                        ("B", "2026-01-02", "Done", "To Do")), [1, 0, 2], [0, 1, 1]),
            (make_moves(("B", "2026-01-03", "To Do", "Done"), ("A", "2026-01-01", "To Do", "Doing"),
                        ("B", "2026-01-02", "Done", "To Do")), [1, 2, 0], [0, 1, 1])):
        index = history_index(moves)
        assert index.rows.tolist() == rows and index.codes.tolist() == codes
        assert index.starts.tolist() == [0, codes.index(1)] and index.row_at.tolist() == index.at[rows].tolist()


@pytest.mark.parametrize("policy", ["keep_first_start", "restart"])
def test_flow_from_segment_arrays_equals_flow_from_a_copy_of_the_segments(policy):
    # flow_intervals reads the arrays a status_segments frame was built from; a copy of the
    # frame goes through its text columns: same flow
    items = make_items({"item_id": "A", "status": "Done", "created_at": T("2026-01-01")},
                       {"item_id": "B", "status": "In Progress", "created_at": T("2026-01-01")})
    moves = make_moves(
        ("A", "2026-01-02", "To Do", "In Progress"), ("A", "2026-01-03", "In Progress", "Ready for QA"),
        ("A", "2026-01-04", "Ready for QA", "In QA"), ("A", "2026-01-05", "In QA", "In Progress"),
        ("A", "2026-01-06", "In Progress", "Backlog"), ("A", "2026-01-07", "Backlog", "In Progress"),
        ("A", "2026-01-08", "In Progress", "Done"), ("C", "2026-01-02", "To Do", "In Progress"),
        ("B", "2026-01-02", "To Do", "In Progress"), ("B", "2026-01-03", "In Progress", "Blocked"))
    wf = config.Workflow(backward_moves=policy)
    mapping = workflow.status_mapping(dataset(items, moves), wf)
    segments = workflow.status_segments(moves, mapping, T("2026-01-31"), items=items)
    flow = workflow.flow_intervals(items, moves, mapping, T("2026-01-31"), wf, segments=segments)
    copied = workflow.flow_intervals(items, moves, mapping, T("2026-01-31"), wf, segments=segments.copy())
    pd.testing.assert_frame_equal(flow, copied)
    a = flow.set_index("item_id").loc["A"]
    if policy == "keep_first_start":  # eng → qa → eng; In QA → In Progress is the bounce
        assert (a["started_at"], a["handoffs"], a["bounce_backs"]) == (T("2026-01-02"), 2, 1)
    else:  # restarted after Backlog: nothing before 01-07 counts
        assert (a["started_at"], a["handoffs"], a["bounce_backs"]) == (T("2026-01-07"), 0, 0)
    assert flow["item_id"].tolist() == ["A", "B", "C"]  # C is only in the transitions



def test_flow_of_a_repeated_item_id_takes_its_first_row():
    # the second "A" row is dropped (its type and creation are not used); B has no history
    items = make_items({"item_id": "A", "status": "Done", "created_at": T("2026-01-01")},
                       {"item_id": "A", "item_type": "Bug", "status": "Done", "created_at": T("2026-01-05")},
                       {"item_id": "B", "status": "To Do", "created_at": T("2026-01-01")})
    moves = make_moves(("A", "2026-01-02", "To Do", "In Progress"), ("A", "2026-01-04", "In Progress", "Done"))
    wf = config.Workflow()
    mapping = workflow.status_mapping(dataset(items, moves), wf)
    segments = workflow.status_segments(moves, mapping, T("2026-01-31"), items=items)
    flow = workflow.flow_intervals(items, moves, mapping, T("2026-01-31"), wf, segments=segments)
    assert flow["item_id"].tolist() == ["A", "B"] and flow["has_history"].tolist() == [True, False]
    a = flow.iloc[0]
    assert (a["item_type"], a["created_at"], a["started_at"], a["completed_at"]) == (
        "Story", T("2026-01-01"), T("2026-01-02"), T("2026-01-04"))
    assert (a["cycle_time_days"], a["lead_time_days"], a["queue_days"], a["active_days"]) == (2.0, 3.0, 0.0, 2.0)

# --- real exports (read-only, skipped when absent) ---------------------------------------------

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"


def _status_column(path: Path, column: str) -> set[str]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    at = rows[0].index(column)
    return {r[at].strip() for r in rows[1:] if len(r) > at and r[at].strip()}


def test_real_jira_and_linear_status_names_map_by_name():
    gazeus = REALDATA / "jira" / "gazeus_gp_jira_cloud_all_fields.csv"
    linear = REALDATA / "linear" / "semperos_claw_linear_export_2023.csv"
    if not gazeus.is_file() or not linear.is_file():
        pytest.skip(f"real exports not found under {REALDATA}")
    names = _status_column(gazeus, "Status") | _status_column(linear, "Status")
    assert {n: inference_source(n) for n in names} == {n: "name" for n in names}
    assert infer_status("Aborted")["phase"] == infer_status("Cancelled")["phase"] == "canceled"
    assert infer_status("Selected for Tech Check")["kind"] == "queue"
    spanish = _status_column(REALDATA / "jira" / "fleetbase_lipu_jira_cloud_spanish_locale.csv", "Estado")
    assert {n: inference_source(n, "todo") for n in spanish} == {n: "category" for n in spanish}


def test_configured_order_never_collides_with_an_inferred_one():
    # regression: an unconfigured status kept its inferred position 2, equal to Review's configured 2,
    # so a move between them counted as a bounce-back
    moves = make_moves(("A", "2026-01-02", "To Do", "Limbo"), ("A", "2026-01-03", "Limbo", "In Progress"),
                       ("A", "2026-01-04", "In Progress", "Review"), ("A", "2026-01-05", "Review", "Done"))
    items = make_items({"item_id": "A", "status": "Done"})
    wf = config.Workflow(statuses={"Review": {"order": 2}, "In Progress": {"order": 1}})
    mapping = workflow.status_mapping(dataset(items, moves), wf)
    assert mapping["order"].is_unique
    order = mapping.set_index("status")["order"]
    assert order["In Progress"] < order["Review"]


def test_first_entry_positions_are_medians_over_items_of_each_first_entry():
    moves = make_moves(("X", "2024-01-01", "Backlog", "A"), ("X", "2024-01-02", "A", "B"),
                       ("X", "2024-01-03", "B", "A"),  # A again: only its first entry counts
                       ("Y", "2024-01-01", "Backlog", "B"), ("Y", "2024-01-02", "B", "A"),
                       ("Z", "2024-01-01", None, "C"))
    medians = workflow.first_entry_positions(moves)
    # X: Backlog 0, A 1, B 2; Y: Backlog 0, B 1, A 2; Z: C 1 (no from_status)
    assert medians.to_dict() == {"Backlog": 0.0, "A": 1.5, "B": 1.5, "C": 1.0}
    assert medians.index.tolist() == ["Backlog", "A", "B", "C"]  # in order of appearance


def test_first_entry_positions_by_sort_equal_those_by_table(monkeypatch):
    # many statuses per item: the (item, status) pairs are sorted instead of tabled; same medians
    moves = make_moves(("X", "2024-01-01", "Backlog", "A"), ("X", "2024-01-02", "A", "B"),
                       ("X", "2024-01-03", "B", "A"), ("Y", "2024-01-01", "Backlog", "B"),
                       ("Y", "2024-01-02", "B", "A"), ("Y", "2024-01-03", "A", None),
                       ("Z", "2024-01-01", None, "C"), ("Z", "2024-01-02", "C", "B"))
    by_table = workflow.first_entry_positions(moves)
    monkeypatch.setattr(workflow, "_DENSE_CELLS", 0)
    by_sort = workflow.first_entry_positions(moves)
    # X: Backlog 0, A 1, B 2; Y: Backlog 0, B 1, A 2 (then no target); Z: C 1, B 2
    assert by_sort.to_dict() == by_table.to_dict() == {"Backlog": 0.0, "A": 1.5, "B": 2.0, "C": 1.0}
    assert by_sort.index.tolist() == by_table.index.tolist() == ["Backlog", "A", "B", "C"]


def test_first_entry_positions_follow_history_order_and_skip_rows_without_a_time(monkeypatch):
    # histories are read by item id (X before Y), so D appears before E; W's only move has no
    # time, so W has no history (Q and F are never entered)
    moves = make_moves(("Y", "2024-01-01", None, "E"), ("X", "2024-01-02", None, "D"),
                       ("W", None, "Q", "F"), ("X", "2024-01-03", "D", "E"))
    by_table = workflow.first_entry_positions(moves)
    monkeypatch.setattr(workflow, "_DENSE_CELLS", 0)
    by_sort = workflow.first_entry_positions(moves)
    # X: D 1, E 2; Y: E 1
    assert by_table.to_dict() == by_sort.to_dict() == {"D": 1.0, "E": 1.5}
    assert by_table.index.tolist() == by_sort.index.tolist() == ["D", "E"]


def test_initial_stay_before_a_first_move_after_as_of_is_open_until_as_of():
    items = make_items({"item_id": "A", "status": "Done", "created_at": T("2026-01-01")},
                       {"item_id": "B", "status": "Done", "created_at": T("2026-01-02")})
    moves = make_moves(("A", "2026-01-20", "To Do", "Done"), ("B", "2026-01-05", "To Do", "In Progress"),
                       ("B", "2026-01-20", "In Progress", "Done"))
    mapping = workflow.status_mapping(dataset(items, moves), config.Workflow())
    seg = workflow.status_segments(moves, mapping, T("2026-01-10"), items=items)
    assert seg[["item_id", "status", "days", "open", "initial"]].values.tolist() == [
        ["A", "To Do", 9.0, True, True], ["B", "To Do", 3.0, False, True],
        ["B", "In Progress", 5.0, True, False]]
    assert seg["end"].tolist() == [T("2026-01-10"), T("2026-01-05"), T("2026-01-10")]


def test_flow_of_an_item_after_a_repeated_id_reads_its_own_history():
    # the second "A" row is dropped, so B is the second row of the flow, with B's history
    items = make_items({"item_id": "A", "status": "Done", "created_at": T("2026-01-01")},
                       {"item_id": "A", "status": "Done", "created_at": T("2026-01-05")},
                       {"item_id": "B", "status": "Done", "created_at": T("2026-01-01")})
    moves = make_moves(("A", "2026-01-02", "To Do", "Done"), ("B", "2026-01-03", "To Do", "In Progress"),
                       ("B", "2026-01-07", "In Progress", "Done"))
    wf = config.Workflow()
    mapping = workflow.status_mapping(dataset(items, moves), wf)
    segments = workflow.status_segments(moves, mapping, T("2026-01-31"), items=items)
    flow = workflow.flow_intervals(items, moves, mapping, T("2026-01-31"), wf, segments=segments)
    assert flow["item_id"].tolist() == ["A", "B"]
    assert flow[["started_at", "completed_at"]].values.tolist() == [
        [T("2026-01-02"), T("2026-01-02")], [T("2026-01-03"), T("2026-01-07")]]
    assert flow["cycle_time_days"].tolist() == [0.0, 4.0]


def test_item_statuses_count_items_and_take_the_most_common_category_first_by_name():
    items = pd.DataFrame({"status": ["X", "X", "Y", "X", "X", None, "Z"],
                          "status_category": ["todo", "done", None, "todo", "done", "todo", "in_progress"]},
                         dtype="str")
    statuses, counts, categories = workflow._item_statuses(items)
    assert statuses.tolist() == ["X", "Y", "Z"] and counts.tolist() == [4, 1, 1]
    # X: todo 2, done 2 (a tie: done comes first by name); Y has no category
    assert categories == {"X": "done", "Z": "in_progress"}
    statuses, counts, categories = workflow._item_statuses(items.iloc[:0])
    assert statuses.tolist() == [] and counts.tolist() == [] and categories == {}
