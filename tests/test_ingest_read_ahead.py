"""Files read and parsed ahead while another is imported, and the importers' quick paths."""

from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from opsdiag.errors import InputFormatError
from opsdiag.ingest import read_file, read_folder
from opsdiag.ingest.base import Probe, ReadContext, parse_numbers

TRANSITIONS = "item_id,at,from_status,to_status\nA-1,2026-01-05T10:00:00Z,,Doing\nA-1,2026-01-06T10:00:00Z,Doing,Done\n"
ITEMS = "item_id,status,estimate\nA-1,Done,3\nA-2, Doing ,3\n"


def test_read_ahead_keeps_file_order_progress_and_errors(tmp_path):
    (tmp_path / "a_transitions.csv").write_text(TRANSITIONS)
    (tmp_path / "b_cut.csv").write_text('item_id,status\nA-3,"Doing\n')  # ends inside a quote
    (tmp_path / "c_page.json").write_text('{"unknown": 1}')
    (tmp_path / "d_items.csv").write_text(ITEMS)
    seen = []

    def progress(files):
        for path in files:
            seen.append(path.name)
            yield path

    dataset = read_folder(tmp_path, progress=progress)
    assert seen == ["a_transitions.csv", "b_cut.csv", "c_page.json", "d_items.csv"]
    assert [f.path for f in dataset.files] == ["a_transitions.csv", "d_items.csv"]
    assert [(u.path, u.error) for u in dataset.unrecognized] == [("b_cut.csv", True), ("c_page.json", False)]
    assert "ends inside a quoted cell" in dataset.unrecognized[0].reason
    _, alone, _ = read_file(tmp_path / "a_transitions.csv")
    pd.testing.assert_frame_equal(dataset.transitions, alone["transitions"])
    assert dataset.work_items["status"].tolist() == ["Done", "Doing"]  # stripped once, in the importer
    assert dataset.work_items["source"].tolist() == ["opsdiag_template"] * 2


def test_a_file_that_failed_ahead_fails_when_asked(tmp_path):
    probe = Probe(tmp_path / "gone.csv")
    with ThreadPoolExecutor(1) as reading:
        probe.read_ahead(reading)
    assert probe.parsed_ahead() is None
    with pytest.raises(FileNotFoundError):
        probe.raw


def test_parse_numbers_parses_each_distinct_value_once_and_names_the_first_bad_row():
    values = pd.Series([" 1,000 ", "2.5", None, "", "1,000", "n/a", "n/a"], index=range(10, 17), name=4)
    items = pd.Series([f"A-{i}" for i in range(7)], index=values.index)
    parsed = parse_numbers(values.iloc[:5], ReadContext(), column="estimate")
    assert parsed.tolist()[:2] == [1000.0, 2.5] and parsed.isna().tolist() == [False, False, True, True, False]
    assert parsed.index.tolist() == [10, 11, 12, 13, 14] and parsed.name == 4 and parsed.dtype == "float64"
    with pytest.raises(InputFormatError, match="'n/a' is not a number") as raised:
        parse_numbers(values, ReadContext(path="x.csv"), column="estimate", items=items)
    assert raised.value.column == "estimate" and raised.value.item == "A-5"
