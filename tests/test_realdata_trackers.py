"""Conformance: the real Linear, Asana, Trello and GitHub exports in ../shared/realdata.

Every expected number below was counted independently of the importers — with the ``csv`` and
``json`` modules (records, cards, actions, list moves, pull-request keys, min/max of the date
fields) and from realdata/FORMATS.md — never by running opsdiag.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from opsdiag.ingest import read_file
from opsdiag.schema import validate

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"

pytestmark = pytest.mark.skipif(not REALDATA.is_dir(), reason=f"real export files not found at {REALDATA}")


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def load(relative: str, expected_format: str):
    path = REALDATA / relative
    if not path.is_file():
        pytest.skip(f"{relative} is absent from {REALDATA}")
    fmt, tables, findings = read_file(path)
    assert fmt is not None and fmt.name == expected_format, f"{relative} detected as {fmt and fmt.name}"
    for name, frame in tables.items():
        validate(name, frame)
    return tables, {f.check: f for f in findings}


def span(items: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp]:
    return items["created_at"].min(), items["created_at"].max()


# (file, cards, list moves (updateCard with listBefore/listAfter), first/last card creation;
#  creation = createCard action date, else the card id's ObjectId time, both second-rounded here)
TRELLO = [
    ("trello/gocd_test_drive_board.json", 122, 177, "2019-04-02 21:58:08", "2019-06-10 22:31:22"),
    ("trello/clipkit_board.json", 67, 71, "2015-01-10 10:28:10", "2015-03-04 12:16:15"),
]


@pytest.mark.parametrize("relative, cards, moves, first, last", TRELLO)
def test_trello_boards(relative, cards, moves, first, last):
    tables, findings = load(relative, "trello_json")
    items = tables["work_items"]
    assert len(items) == cards and items["item_id"].is_unique
    transitions = tables["transitions"]
    assert int(transitions["from_status"].notna().sum()) == moves  # creation rows have no from_status
    low, high = span(items)
    assert abs(low - utc(first)) < pd.Timedelta(seconds=1)
    assert abs(high - utc(last)) < pd.Timedelta(seconds=1)
    assert items["project"].nunique() == 1


def test_gocd_board_is_flagged_as_truncated():
    tables, findings = load("trello/gocd_test_drive_board.json", "trello_json")
    finding = findings["trello_actions_truncated"]
    assert finding.severity == "warning"
    # cards whose ObjectId time is before the oldest action (2019-04-17T21:17:11Z) and that
    # have no createCard/convertToCardFromCheckItem action: 49 (json module count)
    assert finding.count == 49
    # 78 archived cards (FORMATS.md); 12 archived lists still referenced resolve to names
    items = tables["work_items"]
    assert int(items["resolution"].eq("Archived").sum()) == 78
    assert items["status"].notna().all()


def test_clipkit_board_is_complete():
    _, findings = load("trello/clipkit_board.json", "trello_json")
    assert "trello_actions_truncated" not in findings  # 264 actions


def test_linear_export():
    tables, _ = load("linear/semperos_claw_linear_export_2023.csv", "linear_csv")
    items = tables["work_items"]
    assert len(items) == 10
    assert span(items) == (utc("2022-08-23 13:54:01"), utc("2023-02-11 01:52:45"))
    assert set(items["status"]) == {"Triage", "Backlog", "Todo", "In Progress", "Done", "Canceled"}
    assert set(tables["sprints"]["sprint"]) == {"Cycle 1", "Cycle 2"}
    assert not items["assignee"].dropna().str.contains("@").any()


@pytest.mark.parametrize("relative, issues, pulls, first, last, closed", [
    ("github/f2etw_jobs_issues_rest_dump_2018.json", 413, 3, "2014-12-31 04:27:13", "2018-09-14 09:21:34", 187),
    ("github/f2etw_f2e_notes_issues_rest_dump_2018.json", 98, 0, "2015-06-14 08:48:28", "2018-04-02 02:43:01", 1),
    ("api_fixtures_perceval/github_github_issue_1.json", 1, 1, "2016-02-17 17:33:46", "2016-02-17 17:33:46", 0),
])
def test_github_issue_dumps(relative, issues, pulls, first, last, closed):
    tables, _ = load(relative, "github_json")
    items = tables["work_items"]
    assert len(items) == issues and items["item_id"].is_unique
    assert int(items["item_type"].eq("Pull Request").sum()) == pulls
    assert int(items["status_category"].eq("done").sum()) == closed
    assert span(items) == (utc(first), utc(last))


def test_perceval_graphql_timeline_pages():
    tables, findings = load("api_fixtures_perceval/github_github_events_page_1.json", "github_json")
    # two LabeledEvents with nothing naming their issue
    assert findings["github_timeline_untied"].count == 2 and len(tables["transitions"]) == 0
    tables, _ = load("api_fixtures_perceval/github_github_events_page_2.json", "github_json")
    # the CrossReferencedEvent's url anchors the page to issue 1; one column move analysis → doing
    moves = tables["transitions"]
    assert moves[["item_id", "from_status", "to_status"]].values.tolist() == [
        ["valeriocos/test-issues-update#1", "analysis", "doing"]]
    assert moves["at"].iloc[0] == utc("2020-04-07 13:22:48")


@pytest.mark.parametrize("relative, tasks, first, last", [
    # csv module: 13 records, Task ID 1244 three times → 11 tasks; Created At 2024-01-01 … 2024-01-07
    ("asana/TOYFIXTURE_asana_native_shape_sample.csv", 11, "2024-01-01", "2024-01-07"),
    # csv module: 9 records, CreatedAt 2019-09-30 11:14 … 2019-10-08 20:05
    ("asana/clynekp_wework_asana_api_export.csv", 9, "2019-09-30 11:14", "2019-10-08 20:05"),
])
def test_asana_exports_with_dates(relative, tasks, first, last):
    tables, _ = load(relative, "asana_csv")
    items = tables["work_items"]
    assert len(items) == tasks and items["item_id"].is_unique
    assert span(items) == (utc(first), utc(last))


def test_asana_api_export_without_dates_keeps_16_digit_ids():
    tables, findings = load("asana/hutchida_lexis_cpt_asana_api_export.csv", "asana_csv")
    items = tables["work_items"]
    assert len(items) == 101  # FORMATS.md and the csv module
    assert items["item_id"].iloc[0] == "951549222882496"  # text, not a float
    assert items["created_at"].isna().all() and findings["asana_no_dates"].count == 101


def test_asana_toy_subtasks_resolve_to_their_parent():
    tables, _ = load("asana/TOYFIXTURE_asana_native_shape_sample.csv", "asana_csv")
    items = tables["work_items"].set_index("item_id")
    # Subtask1..3 name "Test task 2 with a link https://google.com" → Task ID 1235
    assert items.loc[["1238", "1239", "1240"], "parent_id"].tolist() == ["1235"] * 3
    assert items.loc["1236", "labels"] == () and items.loc["1235", "labels"] == ("Tag1", "Tag2")
