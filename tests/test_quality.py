"""Each workflow quality check fires on a literal example and stays silent on clean data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from opsdiag import config, quality, workflow
from opsdiag.client import Client
from opsdiag.schema import Dataset, conform


def T(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def make_client(items: list[dict], moves: list[tuple] = (), as_of: str = "2026-01-31", **settings) -> Client:
    """A Client built from literal rows the way ``load_client`` builds one (without files)."""
    engagement = config.Engagement(workflow=config.Workflow(**settings))
    frame = pd.DataFrame(list(moves), columns=["item_id", "at", "from_status", "to_status"])
    frame["at"] = pd.to_datetime(frame["at"], utc=True, format="ISO8601")
    ds = Dataset()
    ds.tables.update(work_items=conform("work_items", pd.DataFrame([{"item_type": "Story", **r} for r in items])),
                     transitions=conform("transitions", frame))
    as_of_ts = T(as_of)
    mapping = workflow.status_mapping(ds, engagement.workflow)
    segments = workflow.status_segments(ds.transitions, mapping, as_of_ts)
    flow = workflow.flow_intervals(ds.work_items, ds.transitions, mapping, as_of_ts, engagement.workflow,
                                   segments=segments)
    return Client(data_dir=Path("."), engagement=engagement, dataset=ds, as_of_date=dt.date.fromisoformat(as_of),
                  as_of=as_of_ts, mapping=mapping, segments=segments, flow=flow)


CLEAN_ITEMS = [{"item_id": "A", "status": "Done", "created_at": T("2026-01-01")},
               {"item_id": "B", "status": "In Progress", "created_at": T("2026-01-01")}]
CLEAN_MOVES = [("A", "2026-01-02", "To Do", "In Progress"), ("A", "2026-01-04", "In Progress", "Done"),
               ("B", "2026-01-03", "To Do", "In Progress")]


def findings(client, check) -> dict:
    got = check(client)
    assert len(got) <= 1
    return got[0].as_dict() if got else {}


def test_every_check_is_registered_and_silent_on_clean_data():
    names = {c.__name__ for c in quality.CHECKS}
    assert names == {f"check_{n}" for n in (
        "unmapped_statuses", "done_without_resolved_date", "completed_before_created",
        "completed_before_started", "created_in_progress", "moved_backwards", "no_history",
        "timestamps_after_as_of", "excluded_types")}
    assert quality.run_checks(make_client(CLEAN_ITEMS, CLEAN_MOVES)) == []


def test_unmapped_statuses_names_the_statuses():
    client = make_client(CLEAN_ITEMS + [{"item_id": "C", "status": "Zwischenablage"},
                                        {"item_id": "D", "status": "En curso", "status_category": "in_progress"}],
                         CLEAN_MOVES)
    got = findings(client, quality.check_unmapped_statuses)
    assert (got["check"], got["severity"], got["count"], got["examples"]) == (
        "unmapped_statuses", "warning", 1, ["Zwischenablage"])
    silenced = make_client(CLEAN_ITEMS + [{"item_id": "C", "status": "Zwischenablage"}], CLEAN_MOVES,
                           statuses={"Zwischenablage": {"phase": "backlog"}})
    assert quality.check_unmapped_statuses(silenced) == []


def test_done_without_resolved_date():
    client = make_client(CLEAN_ITEMS + [{"item_id": "C", "status": "Done"},
                                        {"item_id": "D", "status": "Done", "completed_at": T("2026-01-05")}],
                         CLEAN_MOVES)
    got = findings(client, quality.check_done_without_resolved_date)
    assert (got["count"], got["examples"], got["severity"]) == (1, ["C"], "warning")


def test_completed_before_created():
    client = make_client([{"item_id": "C", "status": "Done", "created_at": T("2026-01-10"),
                           "completed_at": T("2026-01-05")}])
    got = findings(client, quality.check_completed_before_created)
    assert (got["count"], got["examples"]) == (1, ["C"])
    assert client.flow.set_index("item_id").loc["C", "lead_time_days"] != client.flow.set_index(
        "item_id").loc["C", "lead_time_days"]  # NaN: no negative lead time


def test_completed_before_started():
    client = make_client([{"item_id": "C", "status": "Done", "created_at": T("2026-01-01"),
                           "started_at": T("2026-01-08"), "completed_at": T("2026-01-05")}])
    got = findings(client, quality.check_completed_before_started)
    assert (got["count"], got["examples"]) == (1, ["C"])
    assert quality.check_completed_before_created(client) == []


def test_created_in_progress():
    client = make_client(CLEAN_ITEMS + [{"item_id": "C", "status": "Done", "created_at": T("2026-01-01")},
                                        {"item_id": "D", "status": "Done", "created_at": T("2026-01-01")}],
                         CLEAN_MOVES + [("C", "2026-01-03", "In Progress", "Done"),
                                        ("D", "2026-01-03", None, "Code Review"), ("D", "2026-01-04", "Code Review", "Done")])
    got = findings(client, quality.check_created_in_progress)
    assert (got["count"], got["examples"], got["severity"]) == (2, ["C", "D"], "info")


def test_moved_backwards():
    client = make_client(CLEAN_ITEMS + [{"item_id": "C", "status": "Done"}, {"item_id": "D", "status": "To Do"}],
                         CLEAN_MOVES + [("C", "2026-01-02", "To Do", "Done"), ("C", "2026-01-03", "Done", "In Progress"),
                                        ("C", "2026-01-04", "In Progress", "Done"),
                                        ("D", "2026-01-02", "To Do", "In Progress"), ("D", "2026-01-03", "In Progress", "To Do")])
    got = findings(client, quality.check_moved_backwards)
    assert (got["count"], got["examples"]) == (2, ["C", "D"])
    assert "keep_first_start" in got["message"]


def test_moved_backwards_names_items_by_their_first_move_back_in_the_file_with_or_without_untimed_moves():
    items = CLEAN_ITEMS + [{"item_id": i, "status": "To Do"} for i in ("C", "D", "E")]
    moves = CLEAN_MOVES + [("D", "2026-01-02", "To Do", "Done"), ("C", "2026-01-02", "To Do", "In Progress"),
                           ("E", "2026-01-02", "To Do", "Done"),
                           ("D", "2026-01-05", "Done", "To Do"),  # the first move back in the file: D first
                           ("C", "2026-01-04", "In Progress", "To Do"),
                           ("D", "2026-01-03", "Done", "In Progress"),  # (D's first move back in time)
                           ("E", "2026-02-05", "Done", "To Do")]  # after as_of: not counted
    for extra in ([], [("A", None, "Done", "To Do")]):  # a move without a time: looked up in file order
        got = findings(make_client(items, moves + extra), quality.check_moved_backwards)
        assert (got["count"], got["examples"]) == (2, ["D", "C"])


def test_no_history_only_when_others_have_history():
    client = make_client(CLEAN_ITEMS + [{"item_id": "C", "status": "To Do"}], CLEAN_MOVES)
    got = findings(client, quality.check_no_history)
    assert (got["count"], got["examples"]) == (1, ["C"])
    assert quality.check_no_history(make_client([{"item_id": "C", "status": "To Do"}])) == []


def test_timestamps_after_as_of():
    client = make_client(CLEAN_ITEMS + [{"item_id": "C", "status": "Done", "created_at": T("2026-01-01"),
                                         "completed_at": T("2026-02-03")}],
                         CLEAN_MOVES + [("B", "2026-02-10", "In Progress", "Done")])
    got = findings(client, quality.check_timestamps_after_as_of)
    assert (got["count"], sorted(got["examples"])) == (2, ["B", "C"])


def test_excluded_types_counts_by_type():
    client = make_client(CLEAN_ITEMS + [{"item_id": "E", "item_type": "Epic", "status": "To Do"},
                                        {"item_id": "S1", "item_type": "Sub-task", "status": "Done"},
                                        {"item_id": "S2", "item_type": "Sub-task", "status": "Done"}],
                         CLEAN_MOVES + [("E", "2026-01-02", "To Do", "To Do"), ("S1", "2026-01-02", "To Do", "Done"),
                                        ("S2", "2026-01-02", "To Do", "Done")])
    got = findings(client, quality.check_excluded_types)
    assert (got["count"], got["severity"], got["examples"]) == (3, "info", ["E", "S1", "S2"])
    assert "Sub-task: 2" in got["message"] and "Epic: 1" in got["message"]


def test_findings_cap_examples_at_ten_but_count_all():
    items = [{"item_id": f"X{i:02d}", "item_type": "Epic", "status": f"Odd {i:02d}"} for i in range(12)]
    client = make_client(items)
    unmapped = findings(client, quality.check_unmapped_statuses)
    excluded = findings(client, quality.check_excluded_types)
    assert (unmapped["count"], len(unmapped["examples"]), unmapped["examples"][0]) == (12, 10, "Odd 00")
    assert (excluded["count"], excluded["examples"]) == (12, [f"X{i:02d}" for i in range(10)])
