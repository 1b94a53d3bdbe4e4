"""Ticket event logs: golden values on literal logs, and conformance over the real support logs.

The real-data expectations are counted independently with the ``csv`` module (never by running
the importer) and also stated as numbers, from ``../shared/realdata`` (FORMATS.md):
ServiceNow 890 incidents / 5,998 events, Helpdesk 4,580 tickets / 21,348 events, BPIC 2013
1,487 problems / 6,660 events.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest

from opsdiag.ingest import detect, read_file, read_folder
from opsdiag.ingest.base import Probe
from opsdiag.schema import validate

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"


def T(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def read(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    fmt, tables, findings = read_file(path)
    assert fmt is not None, f"{name} not recognised"
    tables = {k: validate(k, v) for k, v in tables.items()}
    return fmt.name, tables, findings


def path_of(items: pd.DataFrame, transitions: pd.DataFrame, item: str):
    moves = transitions[transitions["item_id"] == item]
    return [(None if pd.isna(f) else f, t, at) for f, t, at in
            zip(moves["from_status"], moves["to_status"], moves["at"])]


# --- golden: literal logs ------------------------------------------------------------------------

SERVICENOW = """\
number,incident_state,active,reassignment_count,sys_mod_count,opened_at,sys_updated_at,assignment_group,assigned_to,priority,closed_code,resolved_at,closed_at
INC1,New,TRUE,0,0,01-03-2016 09:00,01-03-2016 09:05,Group A,?,3 - Moderate,?,?,?
INC1,Active,TRUE,0,1,01-03-2016 09:00,01-03-2016 10:00,Group A,Res 1,3 - Moderate,?,?,?
INC1,Active,TRUE,1,2,01-03-2016 09:00,01-03-2016 11:00,Group B,Res 2,2 - High,?,?,?
INC1,Resolved,TRUE,1,3,01-03-2016 09:00,02-03-2016 08:00,Group B,Res 2,2 - High,code 5,02-03-2016 08:00,?
INC1,Closed,FALSE,1,4,01-03-2016 09:00,07-03-2016 09:00,Group B,Res 2,2 - High,code 5,02-03-2016 08:00,07-03-2016 09:00
INC2,Active,TRUE,0,3,13-03-2016 10:00,13-03-2016 12:00,?,?,4 - Low,?,?,?
INC2,New,TRUE,0,2,13-03-2016 10:00,13-03-2016 11:00,?,?,4 - Low,?,?,?
"""


def test_servicenow_golden(tmp_path):
    name, tables, findings = read(tmp_path, "incidents.csv", SERVICENOW)
    assert name == "servicenow_event_log"
    items = tables["work_items"].set_index("item_id")
    transitions = tables["transitions"]
    # day-first dates; the first state is backdated to opened_at (sys_mod_count 0);
    # the 11:00 update (reassignment, still Active) is not a transition
    assert path_of(items, transitions, "INC1") == [
        (None, "New", T("2016-03-01 09:00")), ("New", "Active", T("2016-03-01 10:00")),
        ("Active", "Resolved", T("2016-03-02 08:00")), ("Resolved", "Closed", T("2016-03-07 09:00"))]
    # out-of-order rows are sorted; the first logged row is not the creation: no backdating
    assert path_of(items, transitions, "INC2") == [
        (None, "New", T("2016-03-13 11:00")), ("New", "Active", T("2016-03-13 12:00"))]
    one = items.loc["INC1"]
    assert (one["status"], one["status_category"], one["item_type"]) == ("Closed", "done", "Incident")
    assert one["created_at"] == T("2016-03-01 09:00")
    assert one["completed_at"] == T("2016-03-02 08:00")  # resolved_at, not the auto-close
    assert (one["team"], one["assignee"], one["priority"], one["resolution"]) == (
        "Group B", "Res 2", "2 - High", "code 5")
    assert (one["project"], one["source"]) == ("ServiceNow incidents", "servicenow_event_log")
    two = items.loc["INC2"]
    assert two["status_category"] == "in_progress" and pd.isna(two["completed_at"])
    assert pd.isna(two["team"])  # '?' is the null marker
    changes = tables["field_changes"].sort_values("field").reset_index(drop=True)
    assert changes[["item_id", "field", "from_value", "to_value"]].values.tolist() == [
        ["INC1", "priority", "3 - Moderate", "2 - High"], ["INC1", "team", "Group A", "Group B"]]
    assert set(changes["at"]) == {T("2016-03-01 11:00")}
    unsorted = [f for f in findings if f.check == "event_log_unsorted"]
    assert unsorted and unsorted[0].examples == ["INC2"]


HELPDESK = """\
Case ID,Activity,Resource,Complete Timestamp,Variant,Variant index,Variant,seriousness,workgroup
Case 1,Assign seriousness,Value 1,2012/10/09 14:50:17.000,Variant 12,12,Variant 12,Value 1,WG 1
Case 1,Take in charge ticket,Value 1,2012/10/09 14:51:01.000,Variant 12,12,Variant 12,Value 1,WG 1
Case 1,Take in charge ticket,Value 2,2012/10/12 15:02:56.000,Variant 12,12,Variant 12,Value 1,WG 2
Case 1,Resolve ticket,Value 1,2012/10/25 11:54:26.000,Variant 12,12,Variant 12,Value 1,WG 2
Case 1,Closed,Value 3,2012/11/09 12:54:39.000,Variant 12,12,Variant 12,Value 1,WG 2
Case 2,Insert ticket,Value 4,2012/04/03 08:55:38.000,Variant 3,3,Variant 3,Value 2,WG 1
Case 2,DUPLICATE,Value 4,2012/04/04 09:00:00.000,Variant 3,3,Variant 3,Value 2,WG 1
"""


def test_helpdesk_activity_log_golden(tmp_path):
    name, tables, _ = read(tmp_path, "helpdesk.csv", HELPDESK)
    assert name == "activity_log_csv"
    items = tables["work_items"].set_index("item_id")
    assert path_of(items, tables["transitions"], "Case 1") == [
        (None, "Assign seriousness", T("2012-10-09 14:50:17")),
        ("Assign seriousness", "Take in charge ticket", T("2012-10-09 14:51:01")),
        ("Take in charge ticket", "Resolve ticket", T("2012-10-25 11:54:26")),
        ("Resolve ticket", "Closed", T("2012-11-09 12:54:39"))]
    one = items.loc["Case 1"]
    assert one["created_at"] == T("2012-10-09 14:50:17")
    assert one["completed_at"] == T("2012-10-25 11:54:26")  # entry into the final done run
    assert (one["assignee"], one["team"], one["item_type"]) == ("Value 3", "WG 2", "Ticket")
    two = items.loc["Case 2"]
    assert two["status_category"] == "done" and pd.isna(two["completed_at"])
    assert two["canceled_at"] == T("2012-04-04 09:00") and two["resolution"] == "DUPLICATE"
    team_moves = tables["field_changes"].query("field == 'team'")
    assert team_moves[["item_id", "from_value", "to_value"]].values.tolist() == [["Case 1", "WG 1", "WG 2"]]


BPIC = """\
org:group,org:resource,concept:name,impact,product,lifecycle:transition,time:timestamp,case:concept:name
G1,Minnie,Queued,High,PROD1,Awaiting Assignment,2012-03-15 10:00:00+00:00,1-1
G1,Minnie,Accepted,High,PROD1,In Progress,2012-03-15 12:00:00+01:00,1-1
G2,Tomas,Completed,High,PROD1,Closed,2012-03-16 09:00:00+00:00,1-1
G1,Carrie,Completed,Low,PROD2,Cancelled,2012-03-17 09:00:00+00:00,1-2
"""

XES_STANDARD = """\
case:concept:name,concept:name,lifecycle:transition,time:timestamp
c1,Register,complete,2020-01-01T10:00:00Z
c1,Review,start,2020-01-02T10:00:00Z
c1,Review,complete,2020-01-02T12:00:00Z
c1,Close,complete,2020-01-03T10:00:00Z
"""


def test_xes_csv_golden_bpic_shape(tmp_path):
    name, tables, _ = read(tmp_path, "problems.csv", BPIC)
    assert name == "xes_csv"
    items = tables["work_items"].set_index("item_id")
    assert path_of(items, tables["transitions"], "1-1") == [
        (None, "Queued/Awaiting Assignment", T("2012-03-15 10:00")),
        ("Queued/Awaiting Assignment", "Accepted/In Progress", T("2012-03-15 11:00")),
        ("Accepted/In Progress", "Completed/Closed", T("2012-03-16 09:00"))]
    one = items.loc["1-1"]
    assert (one["item_type"], one["project"], one["team"], one["assignee"], one["priority"]) == (
        "Problem", "Problem management", "G2", "Tomas", "High")
    assert one["completed_at"] == T("2012-03-16 09:00")
    two = items.loc["1-2"]
    assert two["canceled_at"] == T("2012-03-17 09:00") and two["resolution"] == "Completed/Cancelled"


def test_xes_csv_standard_lifecycle_uses_activity_only(tmp_path):
    _, tables, _ = read(tmp_path, "log.csv", XES_STANDARD)
    items = tables["work_items"].set_index("item_id")
    assert [t for _, t, _ in path_of(items, tables["transitions"], "c1")] == ["Register", "Review", "Close"]
    assert (items.loc["c1", "item_type"], items.loc["c1", "status_category"]) == ("Ticket", "done")


# --- conformance over the real logs ------------------------------------------------------------

def need(relative: str) -> Path:
    path = REALDATA / relative
    if not path.exists():
        pytest.skip(f"real export {relative} not available (expected in ../shared/realdata)")
    return path


def count_independently(path: Path, case: str, status, at) -> dict:
    """Items, created span and state changes, with the csv module only."""
    events = defaultdict(list)
    with open(path, newline="", encoding="utf-8") as fh:
        for i, row in enumerate(csv.DictReader(fh)):
            events[row[case]].append((at(row), i, status(row)))
    changes = 0
    for rows in events.values():
        previous = None
        for _, _, state in sorted(rows):
            changes += state != previous
            previous = state
    firsts = [min(r[0] for r in rows) for rows in events.values()]
    return {"items": len(events), "changes": changes, "events": sum(map(len, events.values())),
            "first": min(firsts), "last": max(firsts)}


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


@pytest.mark.realdata
def test_servicenow_real_log():
    path = need("support_servicenow/uci_incident_event_log_servicenow_subset.csv")
    day_first = lambda text: dt.datetime.strptime(text, "%d-%m-%Y %H:%M")  # noqa: E731
    counted = count_independently(path, "number", lambda r: r["incident_state"],
                                  lambda r: day_first(r["sys_updated_at"]))
    with open(path, newline="", encoding="utf-8") as fh:
        opened = {r["number"]: day_first(r["opened_at"]) for r in csv.DictReader(fh)}
    assert (counted["items"], counted["events"], counted["changes"]) == (890, 5998, 3418)
    assert (min(opened.values()), max(opened.values())) == (dt.datetime(2016, 2, 29, 1, 16),
                                                            dt.datetime(2016, 3, 2, 15, 33))
    assert detect(Probe(path)).name == "servicenow_event_log"
    _, tables, findings = read_file(path)
    items, transitions = tables["work_items"], tables["transitions"]
    assert len(items) == counted["items"] and len(transitions) == counted["changes"]
    assert (items["created_at"].min(), items["created_at"].max()) == (
        utc("2016-02-29 01:16"), utc("2016-03-02 15:33"))
    assert set(items["item_type"]) == {"Incident"}
    assert [f.examples for f in findings if f.check == "event_log_unsorted"] == [["INC0000137"]]
    assert not transitions.duplicated(["item_id", "at", "to_status"]).any()


@pytest.mark.realdata
def test_helpdesk_real_log():
    path = need("support_helpdesk/helpdesk_ticketing_event_log.csv")
    stamp = lambda r: dt.datetime.strptime(r["Complete Timestamp"], "%Y/%m/%d %H:%M:%S.%f")  # noqa: E731
    counted = count_independently(path, "Case ID", lambda r: r["Activity"], stamp)
    assert (counted["items"], counted["events"]) == (4580, 21348)
    assert (counted["first"], counted["last"]) == (dt.datetime(2010, 1, 13, 8, 40, 25),
                                                   dt.datetime(2013, 11, 28, 17, 7, 59))
    assert detect(Probe(path)).name == "activity_log_csv"
    dataset = read_folder(path.parent)  # through the folder reader: no errors, deduplicated rows
    assert dataset.errors == [] and [f.format for f in dataset.files] == ["activity_log_csv"]
    items = dataset.work_items
    assert len(items) == counted["items"] and len(dataset.transitions) == counted["changes"]
    assert (items["created_at"].min(), items["created_at"].max()) == (
        utc("2010-01-13 08:40:25"), utc("2013-11-28 17:07:59"))
    assert set(items["item_type"]) == {"Ticket"} and set(items["project"]) == {"Helpdesk tickets"}


@pytest.mark.realdata
def test_bpic2013_real_log():
    path = need("support_bpic2013/bpic2013_volvo_it_closed_problems.csv")
    counted = count_independently(
        path, "case:concept:name", lambda r: f"{r['concept:name']}/{r['lifecycle:transition']}",
        lambda r: dt.datetime.fromisoformat(r["time:timestamp"]))
    assert (counted["items"], counted["events"], counted["changes"]) == (1487, 6660, 6182)
    assert (counted["first"].isoformat(), counted["last"].isoformat()) == (
        "2006-01-11T15:49:42+00:00", "2012-05-31T20:07:59+00:00")
    assert detect(Probe(path)).name == "xes_csv"
    _, tables, _ = read_file(path)
    items = tables["work_items"]
    assert len(items) == counted["items"] and len(tables["transitions"]) == counted["changes"]
    assert (items["created_at"].min(), items["created_at"].max()) == (
        utc("2006-01-11 15:49:42"), utc("2012-05-31 20:07:59"))
    assert set(items["item_type"]) == {"Problem"}
    # every closed problem ends Completed/Closed, so every one is done with a completion time
    assert items["status_category"].eq("done").all() and items["completed_at"].notna().all()
