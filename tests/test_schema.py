"""Canonical tables: conform, validation, templates, the folder reader's merge rules."""

import hashlib

import pandas as pd
import pytest

from opsdiag.errors import InputFormatError
from opsdiag.ingest import read_folder
from opsdiag.ingest.templates import TEMPLATES
from opsdiag.schema import SCHEMAS, TABLES, as_tuple, conform, empty_frame, validate


def test_every_table_has_a_schema_an_empty_frame_and_a_template():
    assert set(SCHEMAS) == set(TABLES) == set(TEMPLATES)
    for name in TABLES:
        frame = empty_frame(name)
        assert list(frame.columns) == list(TABLES[name])
        validate(name, frame)


def test_conform_strips_ids_coerces_dtypes_and_builds_tuples():
    raw = pd.DataFrame({"item_id": [" A-1 ", "A-2"], "estimate": ["3", None],
                        "labels": ['["x", " y"]', None],
                        "created_at": ["2024-01-01T10:00:00+02:00", None], "extra": [1, 2]})
    out = conform("work_items", raw)
    assert list(out.columns) == list(TABLES["work_items"])
    assert out["item_id"].tolist() == ["A-1", "A-2"]
    assert out["estimate"].iloc[0] == 3.0 and pd.isna(out["estimate"].iloc[1])
    assert out["labels"].tolist() == [("x", "y"), ()]
    assert out["created_at"].iloc[0] == pd.Timestamp("2024-01-01T08:00:00Z")
    assert str(out["created_at"].dtype) == "datetime64[us, UTC]"
    validate("work_items", out)


def test_validate_rejects_bad_status_category():
    frame = conform("work_items", pd.DataFrame({"item_id": ["A"], "status_category": ["almost"]}))
    with pytest.raises(Exception):
        validate("work_items", frame)


def test_as_tuple_accepts_json_text_lists_and_missing():
    assert as_tuple('["a","b"]') == ("a", "b")
    assert as_tuple(["a", "", None]) == ("a",)
    assert as_tuple(float("nan")) == ()
    assert as_tuple("solo") == ("solo",)


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_template_missing_required_column_names_file_and_column(tmp_path):
    write(tmp_path / "transitions.csv", "item_id,to_status,from_status\nA,Done,To Do\n")
    write(tmp_path / "t2.csv", "item_id,at,to_status\nA,2024-01-01,Done\n")
    dataset = read_folder(tmp_path)
    # transitions.csv has no `at`: not recognised as the transitions template, so it is listed
    names = {u.path for u in dataset.unrecognized}
    assert "transitions.csv" in names
    assert len(dataset.transitions) == 1


def test_template_non_numeric_rate_is_an_error_naming_row_and_column(tmp_path):
    write(tmp_path / "people.csv", "person,role,hourly_cost\nAna,product,95\nBo,qa,lots\n")
    write(tmp_path / "tools.csv", "tool,category,seats\nJira,tracker,10\n")
    dataset = read_folder(tmp_path)
    [error] = dataset.errors
    assert error.path == "people.csv"
    assert "row 3" in error.reason and "'hourly_cost'" in error.reason and "Bo" in error.reason
    assert len(dataset.tools) == 1  # the other file is still read


def test_template_unparseable_date_names_row_item_and_column(tmp_path):
    write(tmp_path / "work_items.csv", "item_id,status,created_at\nA-1,Done,2024-01-01\nA-2,Done,yesterday\n")
    [error] = read_folder(tmp_path).errors
    assert "row 3" in error.reason and "A-2" in error.reason and "'created_at'" in error.reason


def test_template_impossible_date_is_an_error(tmp_path):
    write(tmp_path / "work_items.csv", "item_id,status,created_at\nA-1,Done,2024-02-31\n")
    [error] = read_folder(tmp_path).errors
    assert "row 2" in error.reason and "2024-02-31" in error.reason


def test_naive_timestamps_are_read_in_the_engagement_timezone_with_dst_shift(tmp_path):
    write(tmp_path / "transitions.csv",
          "item_id,at,to_status\nA,2024-03-31 02:30,In Progress\nA,2024-07-01 10:00,Done\n")
    dataset = read_folder(tmp_path, "Europe/Berlin")
    at = dataset.transitions.sort_values("at")["at"].tolist()
    # 02:30 does not exist in Berlin on 2024-03-31: shifted forward to 03:00 CEST = 01:00 UTC
    assert at == [pd.Timestamp("2024-03-31T01:00Z"), pd.Timestamp("2024-07-01T08:00Z")]
    assert any(q.check == "dst_shifted" for q in dataset.quality)


def test_duplicate_key_across_files_history_source_wins_and_fills(tmp_path):
    write(tmp_path / "a.csv", "item_id,status,title,priority\nA-1,Done,,High\n")
    (tmp_path / "hist").mkdir()
    write(tmp_path / "hist" / "items.csv", "item_id,status,title\nA-1,In Progress,From history\n")
    write(tmp_path / "hist" / "transitions.csv", "item_id,at,to_status\nA-1,2024-01-01,In Progress\n")
    dataset = read_folder(tmp_path)
    [row] = dataset.work_items.to_dict("records")
    assert row["title"] == "From history" and row["priority"] == "High"
    assert any(q.check == "duplicate_keys_across_files" for q in dataset.quality)


def test_reader_never_modifies_inputs_and_skips_notes(tmp_path):
    files = [write(tmp_path / "work_items.csv", "item_id,status\nA,Done\n"),
             write(tmp_path / "notes.txt", "call the CTO"), write(tmp_path / "README.md", "# hi")]
    (tmp_path / "junk.csv").write_bytes(bytes(range(256)) * 4)
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.iterdir()}
    dataset = read_folder(tmp_path)
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.iterdir()}
    assert before == after
    assert [u.path for u in dataset.unrecognized] == ["junk.csv"]
    assert len(dataset.work_items) == 1 and files


def test_empty_file_is_listed_not_fatal(tmp_path):
    write(tmp_path / "empty.csv", "")
    write(tmp_path / "work_items.csv", "item_id,status\nA,Done\n")
    dataset = read_folder(tmp_path)
    assert [u.reason for u in dataset.unrecognized] == ["empty file"]
    assert len(dataset.work_items) == 1


def test_repeated_column_in_template_is_an_error(tmp_path):
    write(tmp_path / "work_items.csv", "item_id,status,title,title\nA,Done,x,y\n")
    [error] = read_folder(tmp_path).errors
    assert "'title'" in error.reason and "more than once" in error.reason


def test_missing_folder_is_a_usage_error(tmp_path):
    from opsdiag.errors import UsageError

    with pytest.raises(UsageError):
        read_folder(tmp_path / "nope")
    assert InputFormatError("x.csv", "bad", row=3, column="at").args[0] == "x.csv, row 3, column 'at': bad"


def test_release_field_change_and_status_duration_templates(tmp_path):
    write(tmp_path / "releases.csv", "release,team,planned_date,released_date,status\n1.0,Core,2026-01-10,2026-01-12,released\n")
    write(tmp_path / "field_changes.csv", "item_id,at,field,from_value,to_value\nA,2026-01-05,priority,Low,High\n")
    write(tmp_path / "status_durations.csv", "item_id,status,times_entered,total_days\nA,10900,2,3.5\n")
    dataset = read_folder(tmp_path)
    assert {f.format for f in dataset.files} == {"opsdiag_releases", "opsdiag_field_changes",
                                                  "opsdiag_status_durations"}
    assert dataset.releases["released_date"].iloc[0] == pd.Timestamp("2026-01-12T00:00Z")
    assert dataset.field_changes[["field", "to_value"]].iloc[0].tolist() == ["priority", "High"]
    assert dataset.status_durations["total_days"].iloc[0] == 3.5
