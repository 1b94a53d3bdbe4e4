"""Conformance of the Jira importers over the real exports in ../shared/realdata (read-only).

Expected item counts and created-date spans were counted independently of the importer: record
counts from FORMATS.md (re-checked here with the ``csv`` module), dates read by hand from the
files (``Created`` values, naive local times, read here as UTC). Where the importer's count
differs from FORMATS.md's record count the reason is stated: ASF's 101 records include Jira
Server's ``Generated at …`` footer line, the ALA re-export's 52 records include one blank row.
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pandas as pd
import pytest

from opsdiag.ingest import detect, read_file, read_folder
from opsdiag.ingest.base import Probe
from opsdiag.schema import validate

pytestmark = pytest.mark.realdata

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"

if not REALDATA.is_dir():
    pytest.skip(f"real export files not present at {REALDATA}", allow_module_level=True)


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


# file: (FORMATS.md records, items, first created, last created)
CSV_EXPECTED = {
    "gazeus_gp_jira_cloud_all_fields.csv": (219, 219, "2025-07-07 10:38", "2025-12-22 14:38"),
    "fleetbase_lipu_jira_cloud_spanish_locale.csv": (106, 106, "2025-10-14 12:32", "2025-11-10 16:51"),
    "clearcorrect_jira_cloud_sprints.csv": (127, 127, "2020-12-07 15:08", "2021-01-23 10:38"),
    "planeso_tes_jira_cloud.csv": (22, 22, "2025-08-20 12:37", "2025-09-22 09:26"),
    "duplicatebugs_jira_server_excel_roundtrip.csv": (740, 1, "2017-02-16 15:26", "2017-02-16 15:26"),
    "ala_taxonomic_issues_jira_cloud.csv": (44, 44, "2023-01-10 10:45", "2023-01-11 15:22"),
    "ala_taxonomy_issues_register_reexport.csv": (52, 51, "2023-01-10 10:45", "2023-01-11 15:22"),
    "asf_jira_2014_current_fields.csv": (101, 100, "2007-01-04 17:11", "2014-03-22 07:59"),
    "pxi_swa_jira_cloud_current_fields.csv": (32, 32, "2026-02-10 10:00", "2026-03-09 10:50"),
    "aditech_cnf_jira_subset.csv": (324, 324, None, None),
    "sigma_headers_jira_time_report.csv": (39, 39, None, None),
}

JSON_EXPECTED = {  # (items, first created, last created) — created values in the JSON, +0000
    "jira_api/jenkins_jira_search_page_res0.json": (50, "2017-11-17 11:16:01", "2018-02-20 09:58:06"),
    "api_fixtures_perceval/jira_jira_issues_page_1.json": (2, "2016-03-03 13:11:01", "2016-03-03 13:40:01"),
}


def csv_records(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    return list(csv.reader(io.StringIO(text, newline="")))


def read(path: Path):
    fmt, tables, findings = read_file(path)
    assert fmt is not None, f"{path.name} not recognised"
    for name, frame in tables.items():
        validate(name, frame)
    return fmt.name, tables, {f.check: f for f in findings}


def test_every_jira_csv_in_the_folder_is_expected():
    assert sorted(p.name for p in (REALDATA / "jira").glob("*.csv")) == sorted(CSV_EXPECTED)


@pytest.mark.parametrize("name", sorted(CSV_EXPECTED))
def test_jira_csv_is_detected_and_read(name):
    path = REALDATA / "jira" / name
    records, count, first, last = CSV_EXPECTED[name]
    assert len(csv_records(path)) - 1 == records  # the file is the one FORMATS.md describes
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    fmt, tables, findings = read(path)
    assert fmt == "jira_csv"
    items = tables["work_items"]
    assert len(items) == count and items["item_id"].is_unique
    if first is None:
        assert items["created_at"].isna().all() and "jira_no_created_column" in findings
    else:
        assert (items["created_at"].min(), items["created_at"].max()) == (ts(first), ts(last))
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_quirks_named_in_formats_md():
    _, asf, asf_notes = read(REALDATA / "jira" / "asf_jira_2014_current_fields.csv")
    assert asf["work_items"]["item_id"].iloc[0] == "HAMA-895"  # "HAMA-895 " in the file
    assert asf_notes["footer_dropped"].count == 1

    _, reexport, notes = read(REALDATA / "jira" / "ala_taxonomy_issues_register_reexport.csv")
    # 7 rows (TAX-45 … TAX-51) hold the reporter's name in Created
    assert notes["date_column_holds_text"].count == 7
    assert reexport["work_items"]["created_at"].isna().sum() == 7

    _, sigma, sigma_notes = read(REALDATA / "jira" / "sigma_headers_jira_time_report.csv")
    ids = sigma["work_items"]["item_id"]
    assert ids.iloc[0] == "sigma_headers_jira_time_report-2" and ids.iloc[-1] == "sigma_headers_jira_time_report-40"
    assert "jira_no_key_column" in sigma_notes

    _, ala, ala_notes = read(REALDATA / "jira" / "ala_taxonomic_issues_jira_cloud.csv")
    assert "encoding_fallback" in ala_notes


def test_gazeus_time_in_status_sprints_and_done_dates():
    path = REALDATA / "jira" / "gazeus_gp_jira_cloud_all_fields.csv"
    records = csv_records(path)
    header = records[0]
    chart = header.index("Custom field ([CHART] Time in Status)")
    segments = sum(r[chart].count("_*|*_") + 1 for r in records[1:] if r[chart].strip())
    status = header.index("Status")
    done = sum(r[status] == "Done" for r in records[1:])
    canceled = sum(r[status] in ("Cancelled", "Aborted") for r in records[1:])
    _, tables, findings = read(path)
    assert len(tables["status_durations"]) == segments
    items = tables["work_items"]
    assert (done, canceled) == (151, 23)
    assert items["completed_at"].notna().sum() == done
    assert items["canceled_at"].notna().sum() == canceled
    # FORMATS.md: 96 of the 151 Done issues have no Resolved; 23 canceled ones have none either
    assert findings["completed_from_category_change"].count == 96 + 23


def test_spanish_export_maps_categories_and_parents():
    _, tables, _ = read(REALDATA / "jira" / "fleetbase_lipu_jira_cloud_spanish_locale.csv")
    items = tables["work_items"]
    assert items["status_category"].value_counts().to_dict() == {"todo": 93, "in_progress": 13}
    assert items.set_index("item_id").loc["LIPU-144", "parent_id"] == "LIPU-18"


def test_clearcorrect_sprint_carry_over_is_kept():
    path = REALDATA / "jira" / "clearcorrect_jira_cloud_sprints.csv"
    records = csv_records(path)
    sprint_columns = [i for i, c in enumerate(records[0]) if c == "Sprint"]
    carried = sum(all(r[i].strip() for i in sprint_columns) for r in records[1:])
    _, tables, _ = read(path)
    assert (tables["work_items"]["sprints"].map(len) == 2).sum() == carried == 12


@pytest.mark.parametrize("name", sorted(JSON_EXPECTED))
def test_jira_json_page_is_detected_and_read(name):
    count, first, last = JSON_EXPECTED[name]
    fmt, tables, _ = read(REALDATA / name)
    assert fmt == "jira_json"
    items = tables["work_items"]
    assert len(items) == count
    assert (items["created_at"].min(), items["created_at"].max()) == (ts(first), ts(last))


def test_jenkins_statuses_are_done_with_resolution_dates():
    _, tables, _ = read(REALDATA / "jira_api" / "jenkins_jira_search_page_res0.json")
    items = tables["work_items"]
    assert items["status"].value_counts().to_dict() == {"Resolved": 48, "Closed": 2}
    assert items["status_category"].eq("done").all()
    assert items["completed_at"].notna().all()


def test_derived_cycle_times_is_not_taken_for_jira():
    path = REALDATA / "jira_derived" / "agile_project_dataset_cycle_times.csv"
    fmt = detect(Probe(path))
    assert fmt is None or not fmt.name.startswith("jira")
    read_file(path)  # recognised by another importer or not at all: never a crash


def test_whole_jira_folder_reads_without_errors():
    dataset = read_folder(REALDATA / "jira")
    assert not dataset.errors
    assert len(dataset.files) == len(CSV_EXPECTED)
    # the two ALA files share TAX-1 … TAX-44: merged into one item each
    tax = dataset.work_items["item_id"].str.startswith("TAX-")
    assert tax.sum() == 51
