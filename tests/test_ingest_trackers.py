"""Golden tests for the Linear, Asana, Trello, GitHub and Shortcut importers (tiny literal exports)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from opsdiag.errors import InputFormatError
from opsdiag.ingest import FORMATS, detect, read_file, read_folder
from opsdiag.ingest.base import Probe
from opsdiag.ingest.linear import write_linear_csv
from opsdiag.ingest.shortcut import write_shortcut_csv
from opsdiag.schema import conform, validate


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_convert("UTC") if pd.Timestamp(text).tzinfo else pd.Timestamp(text, tz="UTC")


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def read(path, timezone: str = "UTC"):
    fmt, tables, findings = read_file(path, timezone)
    for name, frame in tables.items():
        validate(name, frame)
    return fmt.name, tables, {f.check: f for f in findings}


def row(frame: pd.DataFrame, item_id: str) -> pd.Series:
    return frame.set_index("item_id").loc[item_id]


# --- registry ---------------------------------------------------------------------------------

def test_tracker_formats_are_registered_before_the_templates():
    names = [f.name for f in FORMATS]
    first_template = min(i for i, n in enumerate(names) if n.startswith("opsdiag_"))
    for name in ("linear_csv", "asana_csv", "trello_json", "github_json", "shortcut_csv"):
        assert names.index(name) < first_template


# --- Linear -----------------------------------------------------------------------------------

LINEAR_2023 = (
    '"ID","Team","Title","Description","Status","Estimate","Priority","Project","Creator","Assignee",'
    '"Labels","Cycle Number","Cycle Name","Cycle Start","Cycle End","Created","Updated","Started",'
    '"Completed","Canceled","Archived","Due Date","Milestone","Parent issue","Roadmaps"\n'
    '"ENG-1","Core","Ship login",,"In Progress",5,"High","Auth","ann@x.io","bob.smith@x.io",'
    '"Bug, Backend",3,"Cycle 3","Mon Feb 06 2023 05:00:00 GMT+0000 (GMT)","Mon Feb 20 2023 05:00:00 GMT+0000 (GMT)",'
    '"Tue Jan 03 2023 09:30:00 GMT-0500 (Eastern Standard Time)","Sat Feb 11 2023 01:51:47 GMT+0000 (GMT)",'
    '"Mon Feb 06 2023 10:00:00 GMT+0100 (CET)",,,,,,"ENG-9",""\n'
    '"ENG-2","Core","Drop old API",,"Canceled",,"No priority",,"ann@x.io",,"",,,,,'
    '"2023-01-04T08:00:00.000Z","2023-01-05T08:00:00.000Z",,,"2023-01-05T08:00:00.000Z",,,,,""\n'
    '"ENG-3","Core","Custom state",,"Ready to ship",2,"Low",,"ann@x.io",,"",,,,,'
    '"Wed Jan 04 2023 08:00:00 GMT+0000 (GMT)",,,"Thu Jan 12 2023 18:00:00 GMT+0000 (GMT)",,,,,,""\n'
)


def test_linear_2023_export_gives_items_cycles_and_no_emails(tmp_path):
    name, tables, _ = read(write(tmp_path, "issues.csv", LINEAR_2023))
    assert name == "linear_csv"
    items = tables["work_items"]
    one = row(items, "ENG-1")
    assert one["created_at"] == ts("2023-01-03 14:30:00Z")  # 09:30 at GMT-0500
    assert one["started_at"] == ts("2023-02-06 09:00:00Z")  # 10:00 at GMT+0100
    assert one["status_category"] == "in_progress"
    assert one["labels"] == ("Bug", "Backend") and one["item_type"] == "Bug"
    assert one["assignee"] == "bob.smith" and one["team"] == "Core" and one["project"] == "Auth"
    assert one["sprints"] == ("Cycle 3",) and one["estimate"] == 5.0 and one["parent_id"] == "ENG-9"
    two = row(items, "ENG-2")
    assert two["status_category"] == "done" and two["resolution"] == "Canceled"
    assert two["canceled_at"] == ts("2023-01-05 08:00Z") and pd.isna(two["completed_at"])
    assert pd.isna(two["priority"]) and two["item_type"] == "Issue"
    # an unknown state name falls back to the lifecycle columns
    three = row(items, "ENG-3")
    assert three["status_category"] == "done" and three["completed_at"] == ts("2023-01-12 18:00Z")
    assert not items.astype(str).apply(lambda c: c.str.contains("@")).any().any()
    sprints = tables["sprints"]
    assert sprints["sprint"].tolist() == ["Cycle 3"]
    assert sprints["start"].iloc[0] == ts("2023-02-06 05:00Z") and sprints["team"].iloc[0] == "Core"


def test_linear_unparseable_date_names_row_and_column(tmp_path):
    bad = LINEAR_2023.replace('"Wed Jan 04 2023 08:00:00 GMT+0000 (GMT)"', '"sometime in January"')
    with pytest.raises(InputFormatError) as err:
        read_file(write(tmp_path, "issues.csv", bad))
    assert err.value.row == 4 and err.value.column == "Created" and err.value.item == "ENG-3"
    assert "row 4" in str(err.value) and "'Created'" in str(err.value)


@pytest.mark.parametrize("shape, columns", [("2023", 25), ("2025", 34)])
def test_linear_writer_round_trips(tmp_path, shape, columns):
    items = conform("work_items", pd.DataFrame({
        "item_id": ["CORE-1", "CORE-2"], "title": ['Say "hi", twice', "Plain"], "team": ["Core", "Core"],
        "project": ["Web", None], "status": ["Done", "Todo"], "status_category": ["done", "todo"],
        "created_at": [ts("2026-01-05 09:00Z"), ts("2026-01-06 10:00Z")],
        "started_at": [ts("2026-01-07 11:00Z"), None], "completed_at": [ts("2026-01-09 12:30Z"), None],
        "priority": ["High", None], "estimate": [3.0, None], "labels": [("Bug", "UI"), ()],
        "sprints": [("Cycle 1", "Cycle 2"), ()], "assignee": ["dana", None], "parent_id": [None, "CORE-1"],
    }))
    sprints = conform("sprints", pd.DataFrame({"sprint": ["Cycle 2"], "start": [ts("2026-01-05 00:00Z")],
                                               "end": [ts("2026-01-19 00:00Z")]}))
    path = write_linear_csv(items, tmp_path / "linear.csv", shape=shape, sprints=sprints)
    assert len(Probe(path).header) == columns
    _, tables, _ = read(path)
    back = tables["work_items"].set_index("item_id")
    assert back.loc["CORE-1", "title"] == 'Say "hi", twice'
    assert back.loc["CORE-1", "completed_at"] == ts("2026-01-09 12:30Z")
    assert back.loc["CORE-1", "labels"] == ("Bug", "UI") and back.loc["CORE-1", "sprints"] == ("Cycle 2",)
    assert back.loc["CORE-1", "assignee"] == "dana" and back.loc["CORE-1", "estimate"] == 3.0
    assert back.loc["CORE-2", "parent_id"] == "CORE-1" and pd.isna(back.loc["CORE-2", "priority"])
    assert back.loc["CORE-2", "status_category"] == "todo"
    assert tables["sprints"].loc[0, "end"] == ts("2026-01-19 00:00Z")


# --- Asana ------------------------------------------------------------------------------------

ASANA_HEADER = ("Task ID,Created At,Completed At,Last Modified,Name,Section/Column,Assignee,Assignee Email,"
                "Start Date,Due Date,Tags,Notes,Projects,Parent task,Blocked By (Dependencies),"
                "Blocking (Dependencies)\n")
ASANA_ROWS = (
    "1204000000000001,2024-03-01,2024-03-20,2024-03-20,Launch page,Doing,Eve Ng,eve@x.io,,,"
    '"web, q1","Notes, with a comma\nand a newline","Site, Marketing",,,\n'
    "1204000000000002,2024-03-02,,2024-03-02,Write copy,(no section),,max@x.io,,,,,Site,Launch page,,\n"
    "1204000000000003,2024-04-01,,2024-04-01,Ideas,In progress,,,,,,,Site,Nope,,\n"
)


def test_asana_native_export_in_berlin_time(tmp_path):
    name, tables, findings = read(write(tmp_path, "asana.csv", ASANA_HEADER + ASANA_ROWS), "Europe/Berlin")
    assert name == "asana_csv"
    items = tables["work_items"]
    assert items["item_id"].tolist() == ["1204000000000001", "1204000000000002", "1204000000000003"]
    done = row(items, "1204000000000001")
    assert done["created_at"] == ts("2024-02-29 23:00Z")  # 00:00 CET
    assert done["completed_at"] == ts("2024-03-19 23:00Z")
    assert (done["status"], done["status_category"]) == ("Done", "done")
    assert done["labels"] == ("web", "q1") and done["project"] == "Site" and done["assignee"] == "Eve Ng"
    sub = row(items, "1204000000000002")
    assert (sub["status"], sub["status_category"], sub["item_type"]) == ("Open", "todo", "Sub-task")
    assert sub["parent_id"] == "1204000000000001" and sub["assignee"] == "max"
    odd = row(items, "1204000000000003")
    assert odd["created_at"] == ts("2024-03-31 22:00Z")  # 00:00 CEST, after the DST change
    assert odd["status_category"] == "in_progress" and pd.isna(odd["parent_id"])
    assert findings["asana_parent_unresolved"].examples == ["1204000000000003"]


def test_asana_google_sheets_flavour_finds_the_header_and_keeps_row_numbers(tmp_path):
    preamble = ",,\n,,https://app.asana.com/-/googleSheetsProjectCsv?domain=480944584143449\n,,\n"
    path = write(tmp_path, "sheet.csv", preamble + ASANA_HEADER + ASANA_ROWS)
    assert detect(Probe(path)).name == "asana_csv"
    _, tables, findings = read(path)
    assert len(tables["work_items"]) == 3 and "asana_sheet_preamble" in findings
    bad = preamble + ASANA_HEADER + ASANA_ROWS.replace("2024-04-01,,2024", "next week,,2024")
    with pytest.raises(InputFormatError) as err:
        read_file(write(tmp_path, "bad.csv", bad))
    # 3 preamble rows, the header, 2 records (spreadsheet rows count records, not lines) → row 7
    assert err.value.row == 7 and err.value.column == "Created At"


def test_asana_api_script_export_with_completed_flag(tmp_path):
    text = ("Task,Projects,DueDate,CreatedAt,ModifiedAt,Completed,CompletedAt,Assignee,Parent,Notes,TaskId,Tags\n"
            "Alpha,P1,,2019-10-04 14:41,2019-10-04 15:23,False,,,,,1143214738736907,\n"
            "Beta,P1,,2019-10-01 09:00,2019-10-03 10:00,True,2019-10-03 10:00,Kim,Alpha,,1143214738736908,x\n")
    _, tables, _ = read(write(tmp_path, "api.csv", text))
    items = tables["work_items"]
    beta = row(items, "1143214738736908")
    assert beta["completed_at"] == ts("2019-10-03 10:00Z") and beta["status"] == "Done"
    assert beta["parent_id"] == "1143214738736907" and beta["labels"] == ("x",)
    assert row(items, "1143214738736907")["status_category"] == "todo"


# --- Trello -----------------------------------------------------------------------------------

def oid(seconds: int, suffix: str = "0000000000000001") -> str:
    return f"{seconds:08x}{suffix}"


T0 = 1_700_000_000  # 2023-11-14 22:13:20 UTC


def board(actions: list, cards: list | None = None) -> dict:
    lists = [{"id": "l1", "name": "To Do", "closed": False}, {"id": "l2", "name": "Doing", "closed": False},
             {"id": "l3", "name": "Shipped", "closed": True}]
    cards = cards if cards is not None else [
        {"id": oid(T0, "000000000000000a"), "name": "A", "idList": "l3", "closed": True,
         "labels": [{"name": "ux", "color": "green"}, {"name": "", "color": "red"}], "idMembers": ["m1"]},
        {"id": oid(T0 + 60, "000000000000000b"), "name": "B", "idList": "l1", "closed": False,
         "labels": [], "idMembers": []},
    ]
    return {"id": "b1", "name": "Roadmap", "prefs": {}, "labelNames": {}, "lists": lists, "cards": cards,
            "members": [{"id": "m1", "fullName": "Ada L", "username": "ada"}], "actions": actions}


def move(card: str, at: str, before: tuple, after: tuple) -> dict:
    return {"type": "updateCard", "date": at, "data": {
        "card": {"id": card}, "listBefore": {"id": before[0], "name": before[1]},
        "listAfter": {"id": after[0], "name": after[1]}, "old": {"idList": before[0]}}}


def test_trello_board_moves_creation_and_archive(tmp_path):
    a, b = oid(T0, "000000000000000a"), oid(T0 + 60, "000000000000000b")
    actions = [  # newest first, as Trello writes them; l3 was called "Done" back then
        {"type": "updateCard", "date": "2023-11-20T10:00:00.000Z",
         "data": {"card": {"id": a, "closed": True}, "old": {"closed": False}}},
        move(a, "2023-11-16T09:00:00.000Z", ("l2", "Doing"), ("l3", "Done")),
        move(a, "2023-11-15T09:00:00.000Z", ("l1", "To Do"), ("l2", "Doing")),
        {"type": "createCard", "date": "2023-11-14T22:13:20.500Z",
         "data": {"card": {"id": a}, "list": {"id": "l1", "name": "To Do"}}},
    ]
    path = write(tmp_path, "board.json", json.dumps(board(actions)))
    name, tables, findings = read(path)
    assert name == "trello_json" and "trello_actions_truncated" not in findings
    items = tables["work_items"]
    card_a, card_b = row(items, a), row(items, b)
    assert card_a["status"] == "Shipped" and card_a["status_category"] == "done"
    assert card_a["resolution"] == "Archived" and card_a["labels"] == ("ux", "red")
    assert card_a["assignee"] == "Ada L" and card_a["project"] == "Roadmap"
    assert card_a["created_at"] == ts("2023-11-14 22:13:20.500Z")
    assert card_b["created_at"] == ts("2023-11-14 22:14:20Z")  # from the ObjectId
    assert card_b["status_category"] == "todo"
    trans = tables["transitions"]
    got = trans[trans["item_id"] == a][["from_status", "to_status"]].fillna("-").values.tolist()
    assert got == [["-", "To Do"], ["To Do", "Doing"], ["Doing", "Shipped"]]  # renamed list by id
    assert trans[trans["item_id"] == b][["at", "to_status"]].values.tolist() == [[ts("2023-11-14 22:14:20Z"), "To Do"]]
    changes = tables["field_changes"]
    assert changes[["item_id", "field", "from_value", "to_value"]].values.tolist() == [[a, "archived", "false", "true"]]


def test_trello_exactly_1000_actions_is_flagged_as_truncated(tmp_path):
    early, late = oid(T0 - 86_400, "000000000000000c"), oid(T0 + 3_600, "000000000000000d")
    cards = [{"id": early, "name": "old", "idList": "l2", "labels": []},
             {"id": late, "name": "new", "idList": "l1", "labels": []}]
    actions = [{"type": "commentCard", "date": f"2023-11-{15 + i // 100:02d}T00:00:{i % 60:02d}.000Z",
                "data": {"card": {"id": late}}} for i in range(998)]
    actions.append(move(early, "2023-11-14T23:00:00.000Z", ("l1", "To Do"), ("l2", "Doing")))
    actions.append({"type": "createCard", "date": "2023-11-14T23:13:20.000Z",
                    "data": {"card": {"id": late}, "list": {"id": "l1", "name": "To Do"}}})
    _, tables, findings = read(write(tmp_path, "board.json", json.dumps(board(actions, cards))))
    finding = findings["trello_actions_truncated"]
    assert finding.severity == "warning" and finding.count == 1 and finding.examples == [early]
    trans = tables["transitions"]
    assert trans.loc[trans["item_id"] == early, "from_status"].tolist() == ["To Do"]  # no invented creation row


def test_trello_truncated_json_is_a_clear_error(tmp_path):
    text = json.dumps(board([move("x" * 24, "2023-11-16T09:00:00.000Z", ("l1", "a"), ("l2", "b"))]))
    path = write(tmp_path, "board.json", text[: len(text) // 2])
    with pytest.raises(InputFormatError) as err:
        read_file(path)
    assert "board.json" in str(err.value) and "cut off" in str(err.value)
    dataset = read_folder(tmp_path)
    assert dataset.errors and dataset.errors[0].path == "board.json"


# --- GitHub -----------------------------------------------------------------------------------

def issue(number: int, **fields) -> dict:
    base = {"url": f"https://api.github.com/repos/acme/app/issues/{number}",
            "repository_url": "https://api.github.com/repos/acme/app",
            "labels_url": "https://api.github.com/repos/acme/app/issues/1/labels{/name}",
            "html_url": f"https://github.com/acme/app/issues/{number}", "number": number,
            "title": f"Issue {number}", "labels": [], "state": "open", "assignee": None, "assignees": [],
            "milestone": None, "comments": 0, "created_at": "2024-05-01T10:00:00Z", "closed_at": None,
            "body": "ignored"}
    return {**base, **fields}


def test_github_issue_list(tmp_path):
    milestone = {"title": "v1.0", "due_on": "2024-06-01T07:00:00Z", "closed_at": "2024-06-03T12:00:00Z",
                 "state": "closed"}
    issues = [
        issue(1, labels=[{"name": "bug"}, {"name": "priority: high"}], state="closed",
              closed_at="2024-05-03T10:00:00Z", state_reason="completed", milestone=milestone,
              assignee={"login": "octo"}, comments_content=json.dumps([{"body": "x\n\"y\""}])),
        issue(2, state="closed", closed_at="2024-05-02T10:00:00Z", state_reason="not_planned"),
        issue(3, pull_request={"url": "https://api.github.com/repos/acme/app/pulls/3"}),
    ]
    name, tables, _ = read(write(tmp_path, "issues.json", json.dumps(issues)))
    assert name == "github_json"
    items = tables["work_items"]
    assert items["item_id"].tolist() == ["acme/app#1", "acme/app#2", "acme/app#3"]
    one = row(items, "acme/app#1")
    assert (one["status"], one["status_category"], one["item_type"]) == ("Done", "done", "Bug")
    assert one["completed_at"] == ts("2024-05-03 10:00Z") and one["priority"] == "high"
    assert one["releases"] == ("v1.0",) and one["assignee"] == "octo" and one["project"] == "acme/app"
    two = row(items, "acme/app#2")
    assert (two["status"], two["resolution"]) == ("Canceled", "not_planned")
    assert two["canceled_at"] == ts("2024-05-02 10:00Z") and pd.isna(two["completed_at"])
    assert row(items, "acme/app#3")["item_type"] == "Pull Request"
    releases = tables["releases"]
    assert releases[["release", "status"]].values.tolist() == [["v1.0", "closed"]]
    assert releases["planned_date"].iloc[0] == ts("2024-06-01 07:00Z")
    assert releases["released_date"].iloc[0] == ts("2024-06-03 12:00Z")


def test_github_rest_timeline_tied_by_issue_url(tmp_path):
    events = [
        {"event": "added_to_project", "created_at": "2024-05-01T11:00:00Z", "project_card": {"column_name": "Todo"}},
        {"event": "labeled", "created_at": "2024-05-01T11:30:00Z", "label": {"name": "bug"}},
        {"event": "moved_columns_in_project", "created_at": "2024-05-02T09:00:00Z",
         "project_card": {"column_name": "In progress", "previous_column_name": "Todo"}},
        {"event": "commented", "created_at": "2024-05-02T10:00:00Z",
         "issue_url": "https://api.github.com/repos/acme/app/issues/7", "body": "not kept"},
        {"event": "closed", "created_at": "2024-05-03T10:00:00Z"},
        {"event": "reopened", "created_at": "2024-05-04T10:00:00Z"},
    ]
    _, tables, findings = read(write(tmp_path, "timeline.json", json.dumps(events)))
    assert "github_timeline_untied" not in findings
    trans = tables["transitions"]
    assert set(trans["item_id"]) == {"acme/app#7"}
    assert trans[["from_status", "to_status"]].fillna("-").values.tolist() == [
        ["-", "Todo"], ["Todo", "In progress"], ["In progress", "Done"], ["Done", "Open"]]
    assert trans["at"].tolist()[2] == ts("2024-05-03 10:00Z")
    assert tables["field_changes"][["item_id", "field", "to_value"]].values.tolist() == [["acme/app#7", "label", "bug"]]


def test_github_graphql_page_without_issue_is_noted_not_guessed(tmp_path):
    page = {"data": {"repository": {"issue": {"timelineItems": {"nodes": [
        {"eventType": "ClosedEvent", "createdAt": "2024-05-03T10:00:00Z"}]}}}}}
    _, tables, findings = read(write(tmp_path, "page.json", json.dumps(page)))
    assert len(tables["transitions"]) == 0 and findings["github_timeline_untied"].count == 1
    page["data"]["repository"]["nameWithOwner"] = "acme/app"
    page["data"]["repository"]["issue"]["number"] = 9
    _, tables, _ = read(write(tmp_path, "page.json", json.dumps(page)))
    assert tables["transitions"][["item_id", "to_status"]].values.tolist() == [["acme/app#9", "Done"]]


# --- Shortcut ---------------------------------------------------------------------------------

SHORTCUT = (
    "id,name,type,requester,owners,description,is_completed,created_at,started_at,updated_at,moved_at,"
    "completed_at,estimate,labels,state,epic_id,epic,project,iteration,utc_offset,team,priority\n"
    "101,Checkout,feature,ann@x.io,bo@x.io;cy@x.io,long text,TRUE,2024-01-02T09:00:00Z,2024-01-03T09:00:00Z,,,"
    "2024-01-05T17:00:00Z,3,web;payments,Done,7,Payments,,Sprint 4,+00:00,Core,High\n"
    "102,Fix crash,bug,,,,FALSE,2024-01-04 08:00:00,,,,,,,In Development,,,Mobile,,-05:00,Core,\n"
    "103,Upgrade deps,chore,,,,FALSE,2024-01-06T08:00:00Z,,,,,1,\"deps, infra\",Ready,,,,,,Core,\n"
)


def test_shortcut_export(tmp_path):
    name, tables, _ = read(write(tmp_path, "stories.csv", SHORTCUT))
    assert name == "shortcut_csv"
    items = tables["work_items"]
    first = row(items, "sc-101")
    assert (first["item_type"], first["status_category"]) == ("Story", "done")
    assert first["completed_at"] == ts("2024-01-05 17:00Z") and first["started_at"] == ts("2024-01-03 09:00Z")
    assert first["labels"] == ("web", "payments") and first["assignee"] == "bo"
    assert first["sprints"] == ("Sprint 4",) and first["project"] == "Payments" and first["parent_id"] == "epic-7"
    second = row(items, "sc-102")
    assert second["created_at"] == ts("2024-01-04 13:00Z")  # naive + utc_offset -05:00
    assert (second["item_type"], second["status_category"], second["project"]) == ("Bug", "todo", "Mobile")
    third = row(items, "sc-103")
    assert third["item_type"] == "Task" and third["labels"] == ("deps", "infra") and third["estimate"] == 1.0


def test_shortcut_writer_round_trips(tmp_path):
    items = conform("work_items", pd.DataFrame({
        "item_id": ["sc-5", "sc-6"], "title": ["One, two", "Three"], "item_type": ["Bug", "Story"],
        "status": ["Done", "In Development"], "status_category": ["done", "in_progress"],
        "created_at": [ts("2025-02-01 08:00Z"), ts("2025-02-02 08:00Z")],
        "started_at": [ts("2025-02-02 08:00Z"), ts("2025-02-03 08:00Z")],
        "completed_at": [ts("2025-02-04 08:00Z"), None], "estimate": [2.0, None],
        "labels": [("a", "b"), ()], "sprints": [("S1",), ()], "assignee": ["eve", None], "team": ["Core", "Core"],
    }))
    path = write_shortcut_csv(items, tmp_path / "shortcut.csv")
    _, tables, _ = read(path)
    back = tables["work_items"].set_index("item_id")
    cols = ["title", "item_type", "status", "status_category", "created_at", "started_at", "completed_at",
            "estimate", "labels", "sprints", "assignee", "team"]
    expected = items.set_index("item_id")[cols]
    pd.testing.assert_frame_equal(back[cols], expected, check_dtype=False)


# --- detection stays specific ------------------------------------------------------------------

def test_each_tracker_file_is_claimed_by_its_own_format_only(tmp_path):
    files = {
        "linear_csv": write(tmp_path, "a.csv", LINEAR_2023),
        "asana_csv": write(tmp_path, "b.csv", ASANA_HEADER + ASANA_ROWS),
        "shortcut_csv": write(tmp_path, "c.csv", SHORTCUT),
        "github_json": write(tmp_path, "d.json", json.dumps([issue(1)])),
        "trello_json": write(tmp_path, "e.json", json.dumps(board([]))),
    }
    by_name = {f.name: f for f in FORMATS}
    for expected, path in files.items():
        probe = Probe(path)
        claimed = [name for name in files if by_name[name].sniff(probe)]
        assert claimed == [expected]
