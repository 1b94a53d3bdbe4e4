"""Golden tests for the Jira importers and writers, and the locale-aware date helpers.

Tiny literal exports (or exports written by our writers) → hand-worked canonical values.
"""

from __future__ import annotations

import hashlib
import json
import shutil

import pandas as pd
import pytest

from opsdiag.errors import InputFormatError
from opsdiag.ingest import FORMATS, detect, read_file, read_folder
from opsdiag.ingest.base import Probe, ReadContext
from opsdiag.ingest.dates import (JS_DATE_FORMATS, day_order, format_jira_dates, looks_like_date,
                                  normalize_months, parse_dates, prepare_js_dates)
from opsdiag.ingest.jira_common import decode_time_in_status, parse_sprint
from opsdiag.ingest.jira_csv import write_jira_csv
from opsdiag.ingest.jira_json import page_kind, write_search_pages
from opsdiag.schema import conform, validate


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def write(tmp_path, name: str, text: str, newline: str = "\r\n"):
    """Write ``text`` with ``newline`` between records; ``¶`` marks a bare LF inside a cell."""
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).replace("¶", "\n").encode("utf-8"))
    return path


def read(path, timezone: str = "UTC"):
    fmt, tables, findings = read_file(path, timezone)
    for name, frame in tables.items():
        validate(name, frame)
    return fmt.name, tables, {f.check: f for f in findings}


def row(frame: pd.DataFrame, item_id: str) -> pd.Series:
    return frame.set_index("item_id").loc[item_id]


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- dates ------------------------------------------------------------------------------------

def test_spanish_months_are_mapped_only_in_the_month_slot():
    text = pd.Series(["10/nov/25 4:51 PM", "05/ene/26 9:00 AM", "31/dic./25 1:00 PM", "ene fue", None])
    assert normalize_months(text).tolist()[:4] == ["10/nov/25 4:51 PM", "05/Jan/26 9:00 AM",
                                                   "31/Dec/25 1:00 PM", "ene fue"]


def test_parse_dates_reads_each_jira_flavour_vectorised():
    ctx = ReadContext()
    values = pd.Series(["22/Dec/25 2:38 PM", "22/Mar/14 07:59", "10/nov/25 4:51 p. m.",
                        "16/02/2017 15:26", "18/Sep/25 12:00 AM", "", None])
    got = parse_dates(values, ctx, column="Created")
    assert got.tolist()[:5] == [ts("2025-12-22 14:38"), ts("2014-03-22 07:59"), ts("2025-11-10 16:51"),
                                ts("2017-02-16 15:26"), ts("2025-09-18 00:00")]
    assert got[5:].isna().all()
    assert str(got.dtype) == "datetime64[us, UTC]"


def test_parse_dates_localises_naive_values_in_the_engagement_timezone():
    got = parse_dates(pd.Series(["02/Jul/24 9:15 AM"]), ReadContext(timezone="Europe/Berlin"), column="Created")
    assert got[0] == ts("2024-07-02 07:15")  # CEST = UTC+2


def test_day_order_is_decided_by_a_value_above_twelve():
    assert day_order(pd.Series(["16/02/2017 15:26"])) == ("dmy", False)
    assert day_order(pd.Series(["02/16/2017 15:26", "01/02/2017 10:00"])) == ("mdy", False)
    assert day_order(pd.Series(["11/01/2023 15:22"])) == ("dmy", True)
    ctx = ReadContext()
    got = parse_dates(pd.Series(["02/16/2017 15:26", "03/01/2017 10:00"]), ctx, column="Created")
    assert got.tolist() == [ts("2017-02-16 15:26"), ts("2017-03-01 10:00")]


def test_ambiguous_numeric_dates_are_day_first_and_noted():
    ctx = ReadContext()
    got = parse_dates(pd.Series(["11/01/2023 15:22"]), ctx, column="Created")
    assert got[0] == ts("2023-01-11 15:22")
    assert [f.check for f in ctx.findings] == ["ambiguous_day_month"]


def test_js_date_strings_keep_their_offset():
    text = prepare_js_dates(pd.Series(["Tue Jan 03 2023 09:30:00 GMT-0500 (Eastern Standard Time)"]))
    got = parse_dates(text, ReadContext(timezone="Asia/Tokyo"), column="Created", formats=JS_DATE_FORMATS)
    assert got[0] == ts("2023-01-03 14:30")


def test_bad_dates_are_errors_and_text_is_a_finding():
    assert looks_like_date(pd.Series(["yesterday", "31/Feb/24 10:00 AM", "Cam Slatyer"])).tolist() == [True, True, False]
    items = pd.Series(["A-1", "A-2", "A-3"])
    with pytest.raises(InputFormatError) as err:
        parse_dates(pd.Series(["22/Dec/25 2:38 PM", "Cam Slatyer", "31/Feb/24 10:00 AM"]), ReadContext(),
                    column="Created", items=items)
    assert err.value.item == "A-3" and err.value.column == "Created"
    ctx = ReadContext()
    got = parse_dates(pd.Series(["22/Dec/25 2:38 PM", "Cam Slatyer"]), ctx, column="Created", items=items[:2])
    assert got.isna().tolist() == [False, True]
    finding = ctx.findings[0]
    assert (finding.check, finding.count, finding.examples) == ("date_column_holds_text", 1, ["A-2"])
    assert "'Created'" in finding.message


def test_format_jira_dates_writes_the_cloud_style():
    values = pd.Series([ts("2025-12-22 14:38"), ts("2026-01-05 00:05"), pd.NaT])
    assert format_jira_dates(values).tolist() == ["22/Dec/25 2:38 PM", "05/Jan/26 12:05 AM", ""]
    assert format_jira_dates(values, "es").tolist()[:2] == ["22/dic/25 2:38 PM", "05/ene/26 12:05 AM"]


# --- shared helpers ---------------------------------------------------------------------------

def test_time_in_status_is_decoded_into_days_per_status_id():
    ctx = ReadContext()
    got = decode_time_in_status(pd.Series(["A-1", "A-2", "A-3"]),
                                pd.Series(["10000_*:*_1_*:*_86400000_*|*_3_*:*_2_*:*_43200000", None, "bad"]), ctx)
    assert got.values.tolist() == [["A-1", "10000", 1.0, 1.0], ["A-1", "3", 2.0, 0.5]]
    assert ctx.findings[0].check == "time_in_status_malformed" and ctx.findings[0].examples == ["A-3"]


def test_sprint_values_of_every_shape_give_names_and_dates():
    server = ("com.atlassian.greenhopper.service.sprint.Sprint@5e2b[id=7,rapidViewId=1,state=CLOSED,"
              "name=Sprint 3, the big one,goal=,startDate=2018-01-01T10:00:00.000Z,endDate=<null>,sequence=7]")
    assert parse_sprint(server) == {"id": "7", "name": "Sprint 3, the big one", "state": "closed",
                                    "start": "2018-01-01T10:00:00.000Z", "end": None}
    assert parse_sprint({"id": 1, "name": "S1", "state": "active", "boardId": 2})["name"] == "S1"
    assert parse_sprint("Sprint 9")["name"] == "Sprint 9"
    assert parse_sprint("") is None


# --- Jira CSV ---------------------------------------------------------------------------------

CLOUD_CSV = (
    "Summary,Issue key,Issue id,Issue Type,Status,Project key,Priority,Resolution,Assignee,Created,Resolved,"
    "Labels,Labels,Description,Sprint,Sprint,Fix versions,Custom field (Story Points),"
    "Custom field (Story point estimate),Parent,Parent key,Custom field ([CHART] Time in Status),Comment,"
    "Status Category,Status Category Changed\n"
    '"Login, with SSO",ABC-1,10001,Story,Done,ABC,High,Done,Ana Ruiz,02/Jan/24 9:15 AM,10/Jan/24 5:45 PM,'
    'api,ux,"first line¶second line",Sprint 1,Sprint 2,1.0,3,,10003,,'
    "10000_*:*_1_*:*_86400000_*|*_3_*:*_2_*:*_43200000,"
    '"02/Jan/24 9:20 AM;557058:abc;secret body, mail ana@example.com",Done,10/Jan/24 5:45 PM\n'
    "Fix crash,ABC-2,10002,Bug,In Progress,ABC,Medium,,bob@example.com,03/Jan/24 2:00 PM,,,,,Sprint 2,,,,5,,"
    "ABC-3,,,In Progress,05/Jan/24 4:30 PM\n"
    "Old idea,ABC-3,10003,Epic,Won't Do,ABC,Low,Won't Do,Unassigned,04/Jan/24 12:05 AM,06/Jan/24 11:00 AM,"
    ",,,,,,,,,,,,Done,06/Jan/24 11:00 AM\n"
    "Done without resolution,ABC-4 ,10004,Task,Done,ABC,Low,,,05/Jan/24 8:00 AM,,,,,,,,,,,,,,Done,"
    "07/Jan/24 1:30 PM\n"
)


def test_jira_formats_are_registered_before_the_templates():
    names = [f.name for f in FORMATS]
    first_template = min(i for i, n in enumerate(names) if n.startswith("opsdiag_"))
    assert names.index("jira_csv") < first_template and names.index("jira_json") < first_template


def test_cloud_csv_golden(tmp_path):
    # CRLF between records, a bare LF inside the quoted description (as Jira Cloud writes them)
    path = write(tmp_path, "export.csv", CLOUD_CSV)
    name, tables, findings = read(path)
    assert name == "jira_csv"
    items = tables["work_items"]
    assert items["item_id"].tolist() == ["ABC-1", "ABC-2", "ABC-3", "ABC-4"]
    one = row(items, "ABC-1")
    assert (one.title, one.item_type, one.project, one.status, one.status_category) == (
        "Login, with SSO", "Story", "ABC", "Done", "done")
    assert (one.created_at, one.completed_at) == (ts("2024-01-02 09:15"), ts("2024-01-10 17:45"))
    assert pd.isna(one.canceled_at) and pd.isna(one.started_at)
    assert (one.labels, one.sprints, one.releases) == (("api", "ux"), ("Sprint 1", "Sprint 2"), ("1.0",))
    assert (one.estimate, one.parent_id, one.assignee, one.source) == (3.0, "ABC-3", "Ana Ruiz", "jira_csv")
    two = row(items, "ABC-2")
    assert (two.status_category, two.started_at, two.estimate, two.parent_id, two.assignee) == (
        "in_progress", ts("2024-01-05 16:30"), 5.0, "ABC-3", "bob")
    assert pd.isna(two.completed_at)
    three = row(items, "ABC-3")
    assert three.canceled_at == ts("2024-01-06 11:00") and pd.isna(three.completed_at) and pd.isna(three.assignee)
    four = row(items, "ABC-4")  # key written as "ABC-4 ": stripped
    assert four.completed_at == ts("2024-01-07 13:30")
    assert findings["completed_from_category_change"].examples == ["ABC-4"]
    assert tables["status_durations"].values.tolist() == [["ABC-1", "10000", 1.0, 1.0], ["ABC-1", "3", 2.0, 0.5]]
    text = items.astype(str).to_string()
    assert "secret" not in text and "@" not in text and "first line" not in text


def test_csv_dates_are_local_times_of_the_engagement(tmp_path):
    path = write(tmp_path, "export.csv", CLOUD_CSV)
    _, tables, _ = read(path, timezone="America/New_York")
    assert row(tables["work_items"], "ABC-1").created_at == ts("2024-01-02 14:15")  # EST = UTC−5


SPANISH_CSV = (
    "Resumen,Clave de incidencia,ID de la incidencia,Tipo de Incidencia,Estado,Prioridad,Resolución,"
    "Persona asignada,Creada,Resuelta,Etiquetas,Etiquetas,Sprint,Campo personalizado (Story Points),"
    "Principal,Clave principal,Categoría de estado,Categoría de estado cambiada\n"
    "Pantalla,LIPU-2,20002,Subtarea,Tareas por hacer,Medium,,,10/nov/25 4:51 PM,,front,,Sprint 1,2,20001,"
    "LIPU-1,Por hacer,10/nov/25 4:51 PM\n"
    "Épica,LIPU-1,20001,Historia,En curso,Medium,,Ana,05/ene/26 9:00 AM,,,,,,,,En curso,06/ene/26 10:15 AM\n"
    "Hecho,LIPU-3,20003,Tarea,Finalizada,High,Listo,,03/dic/25 11:00 PM,04/dic/25 1:00 AM,,,,,,,Listo,"
    "04/dic/25 1:00 AM\n"
)


def test_spanish_csv_golden(tmp_path):
    _, tables, _ = read(write(tmp_path, "exportación.csv", SPANISH_CSV))
    items = tables["work_items"].set_index("item_id")
    assert items["created_at"].tolist() == [ts("2025-11-10 16:51"), ts("2026-01-05 09:00"), ts("2025-12-03 23:00")]
    assert items["status_category"].tolist() == ["todo", "in_progress", "done"]
    assert items["item_type"].tolist() == ["Sub-task", "Story", "Task"]
    assert items.loc["LIPU-3", "completed_at"] == ts("2025-12-04 01:00")
    assert items.loc["LIPU-1", "started_at"] == ts("2026-01-06 10:15")
    assert (items.loc["LIPU-2", "parent_id"], items.loc["LIPU-2", "labels"], items.loc["LIPU-2", "estimate"]) == (
        "LIPU-1", ("front",), 2.0)
    assert items["project"].tolist() == ["LIPU"] * 3  # from the key when there is no project column


def test_server_csv_with_footer_trailing_key_spaces_and_24h_dates(tmp_path):
    text = ("Issue Type,Patch Info,Key,Summary,Assignee,Reporter,Priority,Status,Resolution,Created,Updated,Due Date\n"
            "Task,,HAMA-895 ,Delete old releases,Unassigned,Ann,Major,Closed,Fixed,22/Mar/14 07:59,22/Mar/14 16:16,\n"
            "Bug,,WW-3968 ,Broken link,Bo,Ann,Minor,Open,,18/Jan/13 01:53,22/Mar/14 13:42,\n"
            "Generated at Sat Mar 22 10:53:30 UTC 2014 by Ann using JIRA 6.2#6252-sha1:aa34.,,,,,,,,,,,\n")
    _, tables, findings = read(write(tmp_path, "asf.csv", text, newline="\n"))
    items = tables["work_items"]
    assert items["item_id"].tolist() == ["HAMA-895", "WW-3968"]
    assert items["created_at"].tolist() == [ts("2014-03-22 07:59"), ts("2013-01-18 01:53")]
    assert items["status_category"].tolist() == ["done", "todo"]  # inferred: no category column
    assert items["project"].tolist() == ["HAMA", "WW"]
    assert findings["footer_dropped"].count == 1
    assert "status_category_inferred" in findings and "done_without_date" in findings


def test_csv_without_key_or_created_names_rows_and_notes_both(tmp_path):
    text = "\ufeffIssue Type,Summary,Assignee,Status,Updated\nBug,One,Bilal,Done,06/Jul/26 6:38 PM\nStory,Two,,Done,06/Jul/26 6:38 PM\n"
    _, tables, findings = read(write(tmp_path, "time_report.csv", text, newline="\n"))
    items = tables["work_items"]
    assert items["item_id"].tolist() == ["time_report-2", "time_report-3"]
    assert items["created_at"].isna().all()
    assert findings["jira_no_key_column"].count == 2 and findings["jira_no_created_column"].count == 2


def test_text_in_a_date_column_is_a_finding_not_a_crash(tmp_path):
    text = ("\ufeffSummary,Assignees,Status,Issue key,Issue id,Reporter,Created,,\n"
            "Fix names,,To Do,TAX-51,10131,Cam Slatyer,Cam Slatyer,,\n"
            ",,,,,,,,\n"
            "Other,,To Do,TAX-44,10124,Tania Laity,11/01/2023 15:22,,\n")
    _, tables, findings = read(write(tmp_path, "register.csv", text))
    items = tables["work_items"]
    assert items["item_id"].tolist() == ["TAX-51", "TAX-44"]
    assert pd.isna(items["created_at"][0]) and items["created_at"][1] == ts("2023-01-11 15:22")
    assert findings["date_column_holds_text"].examples == ["TAX-51"]
    assert findings["blank_rows_dropped"].count == 1


def test_cp1252_excel_resave_is_read(tmp_path):
    text = "Issue key,Summary,Status,Created\nTAX-1,“Quoted” ¦ name,To Do,10/01/2023 10:45\n"
    path = tmp_path / "ala.csv"
    path.write_bytes(text.replace("\n", "\r\n").encode("cp1252"))
    _, tables, findings = read(path)
    assert tables["work_items"]["title"][0] == "“Quoted” ¦ name"
    assert "encoding_fallback" in findings


def test_csv_cut_off_mid_row_is_an_error_naming_the_row(tmp_path):
    full = "Issue key,Summary,Status,Created\nABC-1,One,Done,02/Jan/24 9:15 AM\n"
    cut = write(tmp_path, "cut.csv", full + "ABC-2,Tw", newline="\n")
    before = sha(cut)
    with pytest.raises(InputFormatError) as err:
        read_file(cut)
    assert err.value.row == 3 and "cut off" in str(err.value)
    quoted = write(tmp_path, "quoted.csv", full + 'ABC-2,"Two\nlines', newline="\n")
    with pytest.raises(InputFormatError, match="cut off"):
        read_file(quoted)
    assert sha(cut) == before


@pytest.mark.parametrize("column, bad, row_number, item", [
    ("Created", "yesterday", 3, "ABC-2"),
    ("Resolved", "31/Feb/24 10:00 AM", 2, "ABC-1"),
])
def test_unparseable_dates_name_row_item_and_column(tmp_path, column, bad, row_number, item):
    lines = {"ABC-1": ["02/Jan/24 9:15 AM", "03/Jan/24 9:15 AM"], "ABC-2": ["02/Jan/24 9:15 AM", ""]}
    lines[item][0 if column == "Created" else 1] = bad
    text = "Issue key,Summary,Status,Created,Resolved\n" + "".join(
        f"{key},Title,Done,{created},{resolved}\n" for key, (created, resolved) in lines.items())
    path = write(tmp_path, "bad.csv", text)
    other = write(tmp_path, "good.csv", CLOUD_CSV)
    before = {p.name: sha(p) for p in (path, other)}
    with pytest.raises(InputFormatError) as err:
        read_file(path)
    assert (err.value.row, err.value.item, err.value.column) == (row_number, item, column)
    assert bad in str(err.value)
    dataset = read_folder(tmp_path)  # the folder still reads the good file
    assert [e.path for e in dataset.errors] == ["bad.csv"]
    assert len(dataset.work_items) == 4
    assert {p.name: sha(p) for p in (path, other)} == before


def test_not_jira_csv_is_not_claimed(tmp_path):
    path = write(tmp_path, "cycle.csv", '"id","project","task","created_date","finished_date","cycle_time_days"\n1,0,x,2020-01-01,2020-01-02,1\n')
    assert detect(Probe(path)) is None or detect(Probe(path)).name != "jira_csv"


# --- CSV writer round trip --------------------------------------------------------------------

def canonical_items() -> pd.DataFrame:
    return conform("work_items", pd.DataFrame({
        "item_id": ["ABC-1", "ABC-2", "ABC-3", "ABC-4"], "title": ["Login, with SSO", 'Fix "crash"', "Epic x", "Drop"],
        "item_type": ["Story", "Bug", "Epic", "Task"], "project": ["ABC"] * 4, "team": ["Core", "Core", None, "Web"],
        "status": ["Done", "In Progress", "To Do", "Won't Do"],
        "status_category": ["done", "in_progress", "todo", "done"],
        "created_at": [ts("2024-01-02 09:15"), ts("2024-01-03 14:00"), ts("2024-01-04 00:05"), ts("2024-01-04 08:00")],
        "started_at": [ts("2024-01-03 10:00"), ts("2024-01-05 16:30"), pd.NaT, pd.NaT],
        "completed_at": [ts("2024-01-10 17:45"), pd.NaT, pd.NaT, pd.NaT],
        "canceled_at": [pd.NaT, pd.NaT, pd.NaT, ts("2024-01-09 12:00")],
        "resolution": ["Done", None, None, "Won't Do"], "priority": ["High", "Medium", "Low", "Low"],
        "estimate": [3.0, None, 8.0, 1.0], "labels": [("api", "ux"), (), ("q1",), ()],
        "sprints": [("Sprint 1", "Sprint 2"), ("Sprint 2",), (), ()], "releases": [("1.0",), (), (), ("1.0", "1.1")],
        "assignee": ["Ana Ruiz", "Bo", None, None], "parent_id": ["ABC-3", "ABC-3", None, None],
    }))


ROUND_TRIP = ["item_id", "title", "item_type", "project", "team", "status", "status_category", "created_at",
              "completed_at", "canceled_at", "resolution", "priority", "estimate", "labels", "sprints", "releases",
              "assignee", "parent_id"]


@pytest.mark.parametrize("locale", ["en", "es"])
def test_write_jira_csv_reads_back_to_the_same_items(tmp_path, locale):
    items = canonical_items()
    path = write_jira_csv(items, tmp_path / "jira.csv", locale=locale)
    header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header.count("Sprint") == 2 and header.count("Labels" if locale == "en" else "Etiquetas") == 2
    raw = path.read_bytes()
    assert b"\r\n" in raw and (b"02/Jan/24 9:15 AM" if locale == "en" else b"02/ene/24 9:15 AM") in raw
    _, tables, _ = read(path)
    got = tables["work_items"]
    pd.testing.assert_frame_equal(got[ROUND_TRIP], items[ROUND_TRIP])
    assert got.set_index("item_id").loc["ABC-2", "started_at"] == ts("2024-01-05 16:30")


# --- Jira REST JSON ---------------------------------------------------------------------------

def search_page(issues, **extra):
    return {"expand": "schema,names", "startAt": 0, "maxResults": 50, "total": len(issues), "issues": issues,
            "names": {"customfield_10002": "Story Points", "customfield_10005": "Sprint", "customfield_10008": "Epic Link"},
            **extra}


def history(at, *items):
    return {"id": "1", "author": {"displayName": "Ann", "emailAddress": "ann@acme.io"}, "created": at, "items": list(items)}


def change(field, old, new):
    return {"field": field, "fieldtype": "jira", "from": None, "fromString": old, "to": None, "toString": new}


JENKINS_LIKE = {
    "expand": "operations,changelog", "id": "190001", "key": "JENKINS-1",
    "fields": {
        "summary": "Folder view 404", "description": {"type": "doc", "version": 1, "content": []},
        "issuetype": {"name": "Bug"}, "project": {"key": "JENKINS", "name": "Jenkins"},
        "status": {"name": "Resolved", "statusCategory": {"key": "done", "name": "Done"}},
        "created": "2018-02-20T09:58:06.000+0000", "resolutiondate": "2018-03-05T08:19:01.000+0100",
        "resolution": {"name": "Fixed"}, "priority": {"name": "Minor"}, "labels": ["2.107.2-fixed"],
        "assignee": {"displayName": "Daniel Beck", "emailAddress": "daniel@example.org"},
        "fixVersions": [{"name": "2.107", "released": True, "releaseDate": "2018-03-06"},
                        {"name": "2.110", "released": False, "releaseDate": "2018-04-01"}],
        "customfield_10002": 5.0, "customfield_10008": "JENKINS-9",
        "customfield_10005": ["com.atlassian.greenhopper.service.sprint.Sprint@1f[id=3,rapidViewId=1,state=CLOSED,"
                              "name=Sprint 3,startDate=2018-02-19T09:00:00.000Z,endDate=2018-03-05T09:00:00.000Z,"
                              "completeDate=<null>,sequence=3]"],
    },
    "changelog": {"startAt": 0, "maxResults": 3, "total": 3, "histories": [
        history("2018-02-21T10:00:00.000+0000", change("status", "Open", "In Progress"),
                change("Sprint", "", "Sprint 3")),
        history("2018-02-22T10:00:00.000+0000", change("priority", "Major", "Minor"),
                change("Flagged", None, "Impediment"), change("assignee", "a", "b")),
        history("2018-03-05T07:19:01.000+0000", change("status", "In Progress", "Resolved"),
                change("resolution", None, "Fixed"), change("Fix Version", None, "2.107")),
    ]},
}


def test_search_page_golden(tmp_path):
    path = write(tmp_path, "page.json", json.dumps(search_page([JENKINS_LIKE])), newline="\n")
    name, tables, findings = read(path)
    assert name == "jira_json"
    item = row(tables["work_items"], "JENKINS-1")
    assert (item.title, item.item_type, item.project, item.status, item.status_category) == (
        "Folder view 404", "Bug", "JENKINS", "Resolved", "done")
    assert (item.created_at, item.completed_at) == (ts("2018-02-20 09:58:06"), ts("2018-03-05 07:19:01"))
    assert (item.labels, item.sprints, item.releases) == (("2.107.2-fixed",), ("Sprint 3",), ("2.107", "2.110"))
    assert (item.estimate, item.parent_id, item.assignee) == (5.0, "JENKINS-9", "Daniel Beck")
    assert tables["transitions"][["at", "from_status", "to_status"]].values.tolist() == [
        [ts("2018-02-21 10:00"), "Open", "In Progress"], [ts("2018-03-05 07:19:01"), "In Progress", "Resolved"]]
    assert tables["field_changes"][["field", "from_value", "to_value"]].fillna("-").values.tolist() == [
        ["sprint", "-", "Sprint 3"], ["priority", "Major", "Minor"], ["flagged", "-", "Impediment"],
        ["fix_version", "-", "2.107"]]
    assert tables["sprints"].fillna("-").values.tolist() == [
        ["Sprint 3", "-", ts("2018-02-19 09:00"), ts("2018-03-05 09:00"), "closed"]]
    releases = tables["releases"].set_index("release")
    assert releases.loc["2.107", "released_date"] == ts("2018-03-06") and pd.isna(releases.loc["2.107", "planned_date"])
    assert releases.loc["2.110", "planned_date"] == ts("2018-04-01") and releases.loc["2.110", "status"] == "unreleased"
    assert "@" not in json.dumps({k: v.astype(str).to_dict() for k, v in tables.items()})
    assert "changelog_truncated" not in findings


def test_jql_page_and_truncated_changelog_are_read(tmp_path):
    issue = json.loads(json.dumps(JENKINS_LIKE))
    issue["changelog"]["total"] = 40  # the page carries 3 of 40 histories
    page = {"issues": [issue], "nextPageToken": "abc", "isLast": False}
    _, tables, findings = read(write(tmp_path, "p.json", json.dumps(page), newline="\n"))
    assert tables["work_items"]["item_id"].tolist() == ["JENKINS-1"]
    assert tables["work_items"]["estimate"].isna().all()  # no names map: story points unknown
    assert tables["work_items"]["sprints"][0] == ("Sprint 3",)  # found by the value's shape
    assert findings["changelog_truncated"].examples == ["JENKINS-1"]
    assert "jira_story_points_unknown" in findings


def changelog_page(self_url=None):
    page = {"startAt": 0, "maxResults": 100, "total": 1, "isLast": True,
            "values": [history("2018-03-10T10:00:00.000+0000", change("status", "Resolved", "Closed"))]}
    if self_url:
        page["self"] = self_url
    return page


def test_changelog_pages_take_the_key_from_self_or_file_name(tmp_path):
    by_self = write(tmp_path, "a.json", json.dumps(changelog_page(
        "https://x.atlassian.net/rest/api/3/issue/JENKINS-1/changelog?startAt=0")), newline="\n")
    _, tables, _ = read(by_self)
    assert tables["transitions"][["item_id", "to_status"]].values.tolist() == [["JENKINS-1", "Closed"]]
    by_name = write(tmp_path, "JENKINS-2_changelog_0001.json", json.dumps(changelog_page()), newline="\n")
    assert read(by_name)[1]["transitions"]["item_id"].tolist() == ["JENKINS-2"]
    anonymous = write(tmp_path, "history.json", json.dumps(changelog_page()), newline="\n")
    with pytest.raises(InputFormatError, match="self"):
        read_file(anonymous)


def test_repeated_pages_are_merged_without_doubling(tmp_path):
    first = write(tmp_path, "jira_search_0001.json", json.dumps(search_page([JENKINS_LIKE])), newline="\n")
    shutil.copy(first, tmp_path / "jira_search_0001 (1).json")
    write(tmp_path, "JENKINS-1_changelog.json", json.dumps(changelog_page()), newline="\n")
    dataset = read_folder(tmp_path)
    assert dataset.work_items["item_id"].tolist() == ["JENKINS-1"]
    assert dataset.transitions.sort_values("at")["to_status"].tolist() == ["In Progress", "Resolved", "Closed"]
    assert len(dataset.field_changes) == 4 and len(dataset.releases) == 2 and len(dataset.sprints) == 1


def test_pages_read_together_keep_their_own_rows_findings_and_errors(tmp_path):
    truncated = json.loads(json.dumps(JENKINS_LIKE))
    truncated["key"], truncated["changelog"]["total"] = "JENKINS-2", 40
    broken = json.loads(json.dumps(JENKINS_LIKE))
    broken["key"] = "JENKINS-3"
    broken["changelog"]["histories"][0]["created"] = "2018-13-45T10:00:00.000+0000"
    for number, issue in enumerate([JENKINS_LIKE, truncated, broken], start=1):
        write(tmp_path, f"jira_search_{number:04d}.json", json.dumps(search_page([issue])), newline="\n")
    dataset = read_folder(tmp_path)
    assert [(f.path, f.tables["transitions"], f.tables["work_items"]) for f in dataset.files] == [
        ("jira_search_0001.json", 2, 1), ("jira_search_0002.json", 2, 1)]
    assert [(u.path, u.error) for u in dataset.unrecognized] == [("jira_search_0003.json", True)]
    assert "row" not in dataset.unrecognized[0].reason and "JENKINS-3" in dataset.unrecognized[0].reason
    assert [(q.check, q.path, q.examples) for q in dataset.quality if q.check == "changelog_truncated"] == [
        ("changelog_truncated", str(tmp_path / "jira_search_0002.json"), ["JENKINS-2"])]
    assert sorted(dataset.work_items["item_id"]) == ["JENKINS-1", "JENKINS-2"]


def test_naive_rest_times_are_local_also_beside_values_with_offsets():
    from opsdiag.ingest.dates import parse_dates, parse_page_dates
    contexts = [ReadContext(timezone="Europe/Madrid", path=f"p{i}.json") for i in range(2)]
    values = pd.Series(["2024-07-01T10:00:00", "2024-07-01T10:00:00", "2024-07-01T12:00:00.000+0200"])
    failed = {}
    got = parse_page_dates(values, pd.Series([0, 1, 1]).to_numpy(), contexts, failed, column="created")
    # naive times are Madrid time (UTC+2 in July) on a page of their own and on page 1, which
    # mixes them with an offset: the same as parsing page 1 alone
    assert got.tolist() == [ts("2024-07-01 08:00"), ts("2024-07-01 08:00"), ts("2024-07-01 10:00")]
    assert failed == {} and not contexts[0].findings and not contexts[1].findings
    alone = parse_dates(values.iloc[1:], ReadContext(timezone="Europe/Madrid"), column="created", formats=(),
                        numeric=False)
    assert alone.tolist() == got.tolist()[1:]


def test_page_kind_rejects_other_json():
    assert page_kind([{"number": 1, "title": "gh"}]) is None
    assert page_kind({"cards": [], "lists": []}) is None
    assert page_kind({"values": [{"id": 1}], "isLast": True}) is None
    assert page_kind({"issues": [{"id": 1}]}) is None
    assert page_kind(search_page([])) == "search"
    assert page_kind(JENKINS_LIKE) == "issue"


# --- JSON writer round trip -------------------------------------------------------------------

def canonical_history():
    transitions = conform("transitions", pd.DataFrame({
        "item_id": ["ABC-1", "ABC-1", "ABC-2", "ABC-4"],
        "at": [ts("2024-01-03 10:00"), ts("2024-01-10 17:45"), ts("2024-01-05 16:30"), ts("2024-01-09 12:00")],
        "from_status": ["To Do", "In Progress", "To Do", "To Do"],
        "to_status": ["In Progress", "Done", "In Progress", "Won't Do"], "source": "jira_json"}))
    changes = conform("field_changes", pd.DataFrame({
        "item_id": ["ABC-1", "ABC-1", "ABC-2"], "at": [ts("2024-01-03 10:00"), ts("2024-01-04 10:00"), ts("2024-01-06 09:00")],
        "field": ["priority", "sprint", "flagged"], "from_value": ["Medium", "Sprint 1", None],
        "to_value": ["High", "Sprint 1, Sprint 2", "Impediment"]}))
    sprints = conform("sprints", pd.DataFrame({"sprint": ["Sprint 1", "Sprint 2"], "start": [ts("2024-01-01"), ts("2024-01-15")],
                                               "end": [ts("2024-01-14"), ts("2024-01-28")], "state": ["closed", "active"]}))
    releases = conform("releases", pd.DataFrame({"release": ["1.0", "1.1"], "planned_date": [pd.NaT, ts("2024-02-01")],
                                                 "released_date": [ts("2024-01-12"), pd.NaT]}))
    return transitions, changes, sprints, releases


@pytest.mark.parametrize("api", ["v2", "v3", "jql"])
def test_write_search_pages_reads_back(tmp_path, api):
    items = canonical_items()
    transitions, changes, sprints, releases = canonical_history()
    paths = write_search_pages(items, transitions, changes, tmp_path, page_size=3, api=api,
                               sprints=sprints, releases=releases)
    assert [p.name for p in paths] == ["jira_search_0001.json", "jira_search_0002.json"]
    pages = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
    if api == "jql":
        assert (pages[0]["isLast"], pages[0]["nextPageToken"], pages[1]["isLast"]) == (False, "page-2", True)
        assert "total" not in pages[0] and "nextPageToken" not in pages[1]
    else:
        assert [(p["startAt"], p["total"]) for p in pages] == [(0, 4), (3, 4)]
    first_sprint = pages[0]["issues"][0]["fields"]["customfield_10020"][0]
    assert isinstance(first_sprint, str if api == "v2" else dict)
    assert pages[0]["issues"][0]["fields"]["created"] == "2024-01-02T09:15:00.000+0000"
    dataset = read_folder(tmp_path)
    assert not dataset.unrecognized
    got = dataset.work_items.sort_values("item_id", ignore_index=True)
    pd.testing.assert_frame_equal(got[ROUND_TRIP], items[ROUND_TRIP])
    pd.testing.assert_frame_equal(dataset.transitions.sort_values(["item_id", "at"], ignore_index=True),
                                  transitions.sort_values(["item_id", "at"], ignore_index=True))
    pd.testing.assert_frame_equal(dataset.field_changes, changes)
    pd.testing.assert_frame_equal(dataset.sprints[["sprint", "start", "end", "state"]], sprints[["sprint", "start", "end", "state"]])
    dates = ["release", "planned_date", "released_date"]
    pd.testing.assert_frame_equal(dataset.releases.sort_values("release", ignore_index=True)[dates], releases[dates])
    assert dataset.releases.sort_values("release")["status"].tolist() == ["released", "unreleased"]
