"""Every CSV opsdiag writes: ISO UTC timestamps, JSON arrays, formula payloads neutralised, atomic."""

import pandas as pd

from opsdiag.export import frame_to_csv_text, neutralise_formula, write_table
from opsdiag.ingest import read_folder
from opsdiag.schema import conform


def test_formula_payloads_are_neutralised_but_numbers_are_not():
    assert neutralise_formula('=HYPERLINK("http://evil","x")') == "'=HYPERLINK(\"http://evil\",\"x\")"
    assert neutralise_formula("+1+cmd|' /C calc'!A0") .startswith("'+")
    assert neutralise_formula("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise_formula("-3.5") == "-3.5" and neutralise_formula("plain") == "plain"


def test_written_table_reads_back_with_the_same_values(tmp_path):
    items = conform("work_items", pd.DataFrame({
        "item_id": ["A-1"], "title": ['=HYPERLINK("http://x")'], "status": ["Done"],
        "created_at": [pd.Timestamp("2026-01-02T03:04:05Z")], "labels": [("a", "b")], "estimate": [2.5]}))
    text = frame_to_csv_text(items)
    assert "2026-01-02T03:04:05Z" in text and '"[""a"", ""b""]"' in text and "'=HYPERLINK" in text
    write_table(items, tmp_path / "work_items.csv")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left behind
    back = read_folder(tmp_path).work_items
    assert back["labels"].iloc[0] == ("a", "b") and back["estimate"].iloc[0] == 2.5
    assert back["created_at"].iloc[0] == pd.Timestamp("2026-01-02T03:04:05Z")
