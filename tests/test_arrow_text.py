"""Arrow-backed text: the quick paths give what pandas' own string operations give.

opsdiag reads CSVs with pyarrow and keeps text Arrow-backed; ``opsdiag.text`` and the reader
replace pandas paths that were slow on Arrow arrays. Each test pins one against the plain
computation, on both storages where pandas offers both, with values worked out by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from opsdiag.ingest.base import Probe, ReadContext, _arrow_records, _c_records, _iso_with_offsets, parse_times, read_csv
from opsdiag.metrics.handoffs import _run_starts
from opsdiag.text import (arrow_text, first_positions, is_clean, isin_text, strip_text, take_text,
                          unique_positions)
from opsdiag.workflow_calendar import sorted_codes

ARROW = pd.StringDtype("pyarrow", na_value=np.nan)
PYTHON = pd.StringDtype("python", na_value=np.nan)


@pytest.mark.parametrize("values, clean", [
    (["a", "b c"], True),
    (["a", None], True),
    ([None, None], True),
    (["a", ""], False),           # an empty value becomes missing
    (["a", " b"], False),
    (["a", "b\t"], False),
    (["x\x1c"], False),           # a separator Python's strip removes
    (["\u00e9t\u00e9"], False),   # a multi-byte character at either end: trimmed, to be sure
])
def test_is_clean_reads_first_and_last_bytes(values, clean):
    assert is_clean(arrow_text(pd.Series(values, dtype=ARROW))) is clean


def test_is_clean_reads_sliced_and_chunked_arrays():
    sliced = pa.array(["  x", "y", "z"]).slice(1)  # the padded value is outside the slice
    assert is_clean(sliced) and is_clean(pa.chunked_array([sliced, pa.array(["w"])]))
    assert not is_clean(pa.chunked_array([pa.array(["w"]), pa.array(["v "], type=pa.string())]))


@pytest.mark.parametrize("dtype", [ARROW, PYTHON, object])
def test_strip_text_is_strip_then_blank_whatever_the_storage(dtype):
    values = pd.Series([" a ", "", "  ", None, "b", "\u00a0c\u3000", "x\x1c"], dtype=dtype, index=range(10, 17))
    out = strip_text(values)
    assert str(out.dtype) == "str" and out.index.tolist() == list(range(10, 17))
    assert out.tolist()[:1] + out.tolist()[4:] == ["a", "b", "c", "x"]
    assert out.isna().tolist() == [False, True, True, True, False, False, False]


def test_clean_arrow_text_is_kept_as_it_is():
    values = pd.Series(["A-1", "A-2", None], dtype=ARROW)
    assert strip_text(values).array is values.array


@pytest.mark.parametrize("dtype", [ARROW, PYTHON])
def test_isin_text_matches_pandas_missing_values_included(dtype):
    values = pd.Series(["a", "b", None, "c"], dtype=dtype)
    for candidates in (pd.Series(["a", None], dtype=dtype), pd.Series(["c", "c"], dtype=dtype),
                       pd.Series([], dtype=dtype), pd.Index(["b"], dtype=dtype), ["a", "zz"]):
        assert isin_text(values, candidates).tolist() == values.isin(candidates).tolist()
    assert isin_text(values, pd.Series(["a", None], dtype=dtype)).tolist() == [True, False, True, False]


def test_take_text_is_values_at_codes():
    values = np.array(["Done", "In Progress", None], dtype=object)
    out = take_text(values, np.array([1, 1, 0, 2]))
    assert str(out.dtype) == "str" and out.tolist()[:3] == ["In Progress", "In Progress", "Done"]
    assert pd.isna(out[3]) and len(take_text(values, np.array([], dtype=np.intp))) == 0


@pytest.mark.parametrize("dtype", [ARROW, PYTHON])
def test_sorted_codes_is_a_sorted_factorize(dtype):
    ids = pd.Series(["B-2", "A-10", "B-2", None, "A-9", "é-1"], dtype=dtype)
    codes, uniques = sorted_codes(ids)
    assert list(uniques) == ["A-10", "A-9", "B-2", "é-1"]  # code-point order
    assert codes.tolist() == [2, 0, 2, -1, 1, 3]


@pytest.mark.parametrize("dtype", [ARROW, PYTHON])
def test_run_starts_of_item_ids(dtype):
    item = pd.Series(["A", "A", "B", None, None, "B", "B"], dtype=dtype)
    assert _run_starts(item).tolist() == [0, 2, 3, 4, 5]  # a missing id is a run of its own
    assert _run_starts(item.iloc[:0]).tolist() == []


@pytest.mark.parametrize("data", [
    b"a,b\n1,2\n\n3, x \n",               # a blank line is kept as a record (dropped later, noted)
    b"\n\na,b\n1,2\n",                    # spacer lines skipped
    b'a,b\n"x\ny",2\n"q ""z""",\n',       # quoted newlines and quotes
    b"\xef\xbb\xbfa,b\r\n1,2\r\n",        # a BOM and Windows line ends
])
def test_arrow_records_are_the_c_parser_records(tmp_path, data):
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    skip = 2 if data.startswith(b"\n\n") else 0
    arrow = _arrow_records(data, skip)
    c_parsed = _c_records(Probe(path), None, skip)
    assert arrow is not None and arrow.shape == c_parsed.shape
    assert arrow.fillna("").astype(object).values.tolist() == c_parsed.fillna("").astype(object).values.tolist()


@pytest.mark.parametrize("data", [b"a,b\n1,2\n3\n", b"a,b\n1,2,3\n", b"", b"a,b\n1,\xe9\n"])
def test_files_pyarrow_cannot_read_alike_go_to_the_c_parser(data):
    assert _arrow_records(data, 0) is None  # short or long records, empty, not UTF-8


def test_a_short_record_and_a_windows_1252_file_still_read(tmp_path):
    ragged = tmp_path / "ragged.csv"
    ragged.write_bytes(b"item_id,title\nA-1,One\nA-2\n")
    raw = read_csv(Probe(ragged), ReadContext())
    assert raw.columns == ["item_id", "title"] and raw.col("item_id").tolist() == ["A-1", "A-2"]
    assert raw.col("title").isna().tolist() == [False, True]
    latin = tmp_path / "latin.csv"
    latin.write_bytes("item_id,title\nA-1,Caf\u00e9\n".encode("cp1252"))
    ctx = ReadContext()
    assert read_csv(Probe(latin), ctx).col("title").tolist() == ["Caf\u00e9"]
    assert [f.check for f in ctx.findings] == ["encoding_fallback"]


def test_iso_text_with_offsets_is_parsed_by_arrow_as_pandas_parses_it():
    text = pd.Series(["2026-02-03T09:48:26Z", "2026-02-03 09:48:26.5+02:00", None, "2026-02-03T09:48+0100"],
                     dtype=ARROW)
    fast = _iso_with_offsets(text)
    expected = pd.to_datetime(text, utc=True, format="ISO8601").dt.tz_localize(None).to_numpy("datetime64[us]")
    assert fast.dtype == "datetime64[us]" and np.array_equal(fast, expected, equal_nan=True)
    assert str(fast[1]) == "2026-02-03T07:48:26.500000" and np.isnat(fast[2])


@pytest.mark.parametrize("values", [
    ["2026-02-03T09:48:26"],                       # naive: a local time, not Arrow's to guess
    ["2026-02-03T09:48:26Z", "2026-02-03"],        # a date alone
    ["2026-02-03T09:48:26.123456789Z"],            # nanoseconds
    ["03/02/2026 09:48"],
])
def test_other_text_is_left_to_pandas(values):
    text = pd.Series(values, dtype=ARROW)
    assert _iso_with_offsets(text) is None
    assert _iso_with_offsets(pd.Series(["2026-02-03T09:48:26Z"], dtype=PYTHON)) is None


def test_parse_times_gives_the_same_instants_by_either_path():
    text = ["2026-03-29T01:30:00Z", "2026-03-29T03:30:00+02:00", "", "2026-10-25T02:30:00+01:00"]
    ctx = ReadContext(timezone="Europe/Berlin")
    arrow = parse_times(pd.Series(text, dtype=ARROW), ctx, column="at")
    python = parse_times(pd.Series(text, dtype=PYTHON), ctx, column="at")
    pd.testing.assert_series_equal(arrow, python)
    assert arrow.tolist()[:2] == [pd.Timestamp("2026-03-29 01:30", tz="UTC")] * 2 and pd.isna(arrow[2])


@pytest.mark.parametrize("dtype", ["str", object])
def test_first_positions_are_each_ids_first_row_in_the_items(dtype):
    item_ids = pd.Series(["B", "A", None, "B", "C"], dtype=dtype)
    ids = np.array(["A", "B", "D"], dtype=object)
    assert first_positions(ids, item_ids).tolist() == [1, 0, -1]  # "B" repeats: its first row; "D" is absent
    assert first_positions(ids[:0], item_ids).tolist() == []


@pytest.mark.parametrize("storage", ["pyarrow", "python"])
def test_unique_positions_is_get_indexer_on_unique_keys(storage):
    text = pd.StringDtype(storage, na_value=np.nan)
    keys = pd.Series(["B-2", "A-1", None, "C-3"], dtype=text)
    values = pd.Series(["C-3", "X-9", "A-1", None, "C-3"], dtype=text)
    found = unique_positions(keys, values)
    assert found.tolist() == [3, -1, 1, 2, 3]  # a missing value finds the missing key
    assert found.tolist() == pd.Index(keys).get_indexer(values).tolist()
    assert unique_positions(pd.Series(["A-1", "B-2", "A-1"], dtype=text), values) is None
    assert unique_positions(pd.Series([None, None], dtype=text), values) is None
    assert unique_positions(keys.iloc[:0], values).tolist() == [-1] * 5
