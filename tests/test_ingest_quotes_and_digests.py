"""The quote count read_csv takes once (parse mode, cut-off check) and the digests hashed late."""

import hashlib

import numpy as np
import pandas as pd
import pytest

from opsdiag.errors import InputFormatError
from opsdiag.ingest import _buckets, _repeated, read_folder
from opsdiag.ingest.base import Probe, ReadContext, _arrow_records, _quote_count, read_csv
from opsdiag.text import arrow_text, is_clean, strip_text

ARROW = pd.StringDtype("pyarrow", na_value=np.nan)


def test_quote_count_of_bytes_and_text():
    assert _quote_count(b"a,b\n1,2\n") == 0
    assert _quote_count(b'a,b\n"x ""y""",2\n') == 6
    assert _quote_count(b'a,b\n"x\n') == 1
    assert _quote_count('a,"\u00e9"\n') == 2


@pytest.mark.parametrize("data", [
    b"a,b\n1,2\n\n3, x \n",
    b"a,b\r\n1,2\r\n,\r\n",
    b"\xef\xbb\xbfa,b\n1,2",
])
def test_bytes_without_quotes_parse_alike_in_either_mode(data):
    quoted, unquoted = _arrow_records(data, 0), _arrow_records(data, 0, quoted=False)
    pd.testing.assert_frame_equal(quoted, unquoted)


def test_read_csv_without_quotes_and_cut_inside_one(tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_bytes(b"item_id,status\nA-1, Done\n\nA-2,Doing\n")
    raw = read_csv(Probe(plain), ReadContext())
    assert raw.col("status").tolist() == ["Done", "Doing"] and raw.rows.tolist() == [2, 4]
    cut = tmp_path / "cut.csv"
    cut.write_bytes(b'item_id,status\nA-1,"Done\nA-2,Doing\n')
    with pytest.raises(InputFormatError, match="ends inside a quoted cell"):
        read_csv(Probe(cut), ReadContext())


def test_every_file_gets_its_sha256_once_the_folder_is_read(tmp_path, monkeypatch):
    monkeypatch.setenv("OPSDIAG_CACHE", "off")
    (tmp_path / "a_transitions.csv").write_text(
        "item_id,at,from_status,to_status\nA-1,2026-01-05T10:00:00Z,,Doing\n")
    (tmp_path / "b_unknown.csv").write_text("x,y\n1,2\n")
    (tmp_path / "c_items.csv").write_text('item_id,status,labels\nA-1,Doing,"[""x""]"\n')
    dataset = read_folder(tmp_path)
    expected = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(tmp_path.iterdir())}
    assert dataset.digests == expected and list(dataset.digests) == list(expected)
    assert {f.path: f.sha256 for f in dataset.files} == {k: expected[k] for k in ("a_transitions.csv", "c_items.csv")}


def test_control_bytes_at_an_edge_are_trimmed_as_python_does():
    values = pd.Series(["x\x01", "\x7fy", " a ", "b"], dtype=ARROW)
    assert not is_clean(arrow_text(values))  # a control byte at an edge: trimmed, to be sure
    assert strip_text(values).tolist() == ["x\x01", "\x7fy", "a", "b"]  # what str.strip keeps
    assert is_clean(arrow_text(pd.Series(["x\x7f", "~y"], dtype=ARROW)))


def test_repeated_values_found_through_their_hash_buckets():
    nat = np.iinfo(np.int64).min  # NaT's integer: missing equals missing
    values = np.array([5, 3, 5, nat, nat, 2**32 + 5, -1, 7], dtype=np.int64)  # 2**32 + 5 shares 5's bucket
    assert _buckets(values)[0] == _buckets(values)[5]
    assert _repeated(values).tolist() == [True, False, True, True, True, False, False, False]
    assert _repeated(values).tolist() == pd.Series(values).duplicated(keep=False).tolist()
    assert not _repeated(np.arange(10, dtype=np.int64)).any() and _repeated(values[:0]).tolist() == []
