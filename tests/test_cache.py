"""The local cache: a second load of unchanged exports is reused, never a stale one."""

from __future__ import annotations

import os
import stat

import numpy as np
import pandas as pd
import pytest

from opsdiag import ingest
from opsdiag import cache as cache_mod
from opsdiag.client import load_client

from conftest import write_client


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("OPSDIAG_CACHE_DIR", str(folder))
    monkeypatch.delenv("OPSDIAG_CACHE", raising=False)
    return folder


@pytest.fixture
def client(tmp_path):
    return write_client(tmp_path / "client", logo=False)


def _written(folder):
    """``folder`` once the entries being written in the background are written."""
    cache_mod.wait()
    return folder


def _no_parsing(monkeypatch):
    """Make any real parse fail, so a read that succeeds must come from the cache."""
    def boom(*args, **kwargs):
        raise AssertionError("the folder was parsed again")
    monkeypatch.setattr(ingest, "_read_files", boom)


def test_second_read_of_unchanged_folder_comes_from_the_cache(client, cache_dir, monkeypatch):
    first = ingest.read_folder(client)
    assert len(list(_written(cache_dir).glob("dataset-*.pickle"))) == 1
    _no_parsing(monkeypatch)
    second = ingest.read_folder(client)
    for name, frame in first.tables.items():
        pd.testing.assert_frame_equal(second.tables[name], frame)
    assert [f.sha256 for f in second.files] == [f.sha256 for f in first.files]
    assert [q.check for q in second.quality] == [q.check for q in first.quality]


def test_a_folder_never_read_is_hashed_while_it_is_parsed_not_before(client, cache_dir, monkeypatch):
    import opsdiag.client as client_mod

    (client / "extra.bin").write_bytes(b"\x00\x01 not an export")  # unrecognised files count too
    hashed_first = []
    digests = cache_mod.file_digests
    monkeypatch.setattr(cache_mod, "file_digests", lambda *a: hashed_first.append(a) or digests(*a))
    first = load_client(client)
    assert hashed_first == []  # nothing stored for this folder: nothing to look up first
    files = ingest.list_files(client)
    assert first.dataset.digests == digests(client, files) and "extra.bin" in first.dataset.digests
    _written(cache_dir)
    monkeypatch.setattr(client_mod, "_derive", lambda *a: pytest.fail("derived again"))
    _no_parsing(monkeypatch)
    second = load_client(client)  # stored under the key the files' contents give
    assert len(hashed_first) == 1 and second.dataset.digests == first.dataset.digests
    assert ingest.read_folder(client).digests == first.dataset.digests  # the dataset entry too


def test_entries_are_written_in_the_background_and_before_python_exits(client, cache_dir):
    import subprocess
    import sys

    code = ("import sys, opsdiag.cache as c, opsdiag.ingest as i; i.read_folder(sys.argv[1]);"
            "print(c._WRITER is not None and c._WRITER.name)")  # exits without waiting itself
    done = subprocess.run([sys.executable, "-c", code, str(client)], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "opsdiag-cache-writer"
    (entry,) = cache_dir.glob("dataset-*.pickle")  # complete: the next read is a hit
    assert cache_mod.load("dataset", client, cache_mod.dataset_key(
        cache_mod.file_digests(client, ingest.list_files(client)), "UTC"), ingest.Dataset) is not None


def test_a_table_changed_while_its_entry_is_written_is_stored_as_it_was_read(client, cache_dir, monkeypatch):
    import threading

    go, write = threading.Event(), cache_mod._write
    monkeypatch.setattr(cache_mod, "_write", lambda *args: (go.wait(5), write(*args)))
    first = ingest.read_folder(client)
    expected = first.work_items.copy()
    first.work_items.loc[0, "title"] = "changed in place"  # before the entry is written
    first.work_items["added"] = 1
    go.set()
    _no_parsing(monkeypatch)
    pd.testing.assert_frame_equal(ingest.read_folder(client).work_items, expected)


def test_an_edit_of_the_same_size_is_read_again(client, cache_dir):
    ingest.read_folder(client)
    path = client / "transitions.csv"
    text = path.read_text()
    edited = text.replace("T-3,2026-03-12 09:00", "T-3,2026-03-19 09:00")
    assert len(edited) == len(text) and edited != text
    stamp = path.stat()
    path.write_text(edited)
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # even with the old mtime
    again = ingest.read_folder(client)
    done = again.transitions[(again.transitions["item_id"] == "T-3") & (again.transitions["to_status"] == "Done")]
    assert done["at"].iloc[0] == pd.Timestamp("2026-03-19 09:00", tz="UTC")


def test_added_and_removed_files_and_another_timezone_are_misses(client, cache_dir):
    assert ingest.read_folder(client).has("feedback")
    (client / "feedback.csv").rename(client.parent / "feedback.csv")  # out of the folder
    assert not ingest.read_folder(client).has("feedback")
    (client.parent / "feedback.csv").rename(client / "feedback.csv")
    assert ingest.read_folder(client).has("feedback")
    utc = ingest.read_folder(client, "UTC").transitions["at"].iloc[0]
    berlin = ingest.read_folder(client, "Europe/Berlin").transitions["at"].iloc[0]
    assert utc - berlin == pd.Timedelta(hours=1)  # 09:00 in Berlin (CET) is 08:00 UTC


def test_off_writes_nothing(client, cache_dir, monkeypatch):
    monkeypatch.setenv("OPSDIAG_CACHE", "off")
    ingest.read_folder(client)
    assert not cache_dir.exists()


def test_a_damaged_entry_is_a_normal_read_and_is_replaced(client, cache_dir):
    expected = ingest.read_folder(client)
    (entry,) = _written(cache_dir).glob("dataset-*.pickle")
    entry.write_bytes(entry.read_bytes()[:200])  # truncated
    again = ingest.read_folder(client)
    pd.testing.assert_frame_equal(again.work_items, expected.work_items)
    cache_mod.wait()
    assert entry.stat().st_size > 200


def test_an_unwritable_cache_never_fails_a_read(client, tmp_path, monkeypatch):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    monkeypatch.setenv("OPSDIAG_CACHE_DIR", str(blocker / "cache"))
    assert len(ingest.read_folder(client).work_items) == 4


def test_entries_are_private_to_the_user(client, cache_dir):
    ingest.read_folder(client)
    (entry,) = _written(cache_dir).glob("dataset-*.pickle")
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache_dir.stat().st_mode) & 0o077 == 0


def test_dataset_key_changes_with_code_fingerprint_timezone_and_content(monkeypatch):
    digests = {"a.csv": "1" * 64}
    base = cache_mod.dataset_key(digests, "UTC")
    assert cache_mod.dataset_key(digests, "UTC") == base
    assert cache_mod.dataset_key({"a.csv": "2" * 64}, "UTC") != base
    assert cache_mod.dataset_key({"b.csv": "1" * 64}, "UTC") != base
    assert cache_mod.dataset_key(digests, "Europe/Berlin") != base
    monkeypatch.setattr(cache_mod, "_FINGERPRINT", "an edited module")
    assert cache_mod.dataset_key(digests, "UTC") != base


def test_second_load_client_is_the_cached_client(client, cache_dir, monkeypatch):
    first = load_client(client)
    assert {p.name.split("-")[0] for p in _written(cache_dir).glob("*.pickle")} == {"dataset", "client"}
    import opsdiag.client as client_mod

    def boom(*args, **kwargs):
        raise AssertionError("derived again")
    monkeypatch.setattr(client_mod, "_derive", boom)
    second = load_client(client)
    pd.testing.assert_frame_equal(second.flow, first.flow)
    pd.testing.assert_frame_equal(second.segments, first.segments)
    assert second.as_of == first.as_of and second.data_dir == client
    assert [q.check for q in second.quality] == [q.check for q in first.quality]


def test_a_config_or_as_of_change_derives_again_from_the_cached_dataset(client, cache_dir, monkeypatch):
    load_client(client)
    _no_parsing(monkeypatch)  # the files did not change: the dataset entry serves every load below
    assert str(load_client(client, as_of="2026-03-05").as_of_date) == "2026-03-05"
    config = client / "engagement.yaml"
    config.write_text(config.read_text().replace("as_of: 2026-03-13", "as_of: 2026-03-10"))
    assert str(load_client(client).as_of_date) == "2026-03-10"
    renamed = load_client(client, client="Renamed Co")
    assert renamed.name == "Renamed Co"


@pytest.mark.parametrize("storage", ["python", "pyarrow"])
def test_entries_store_text_columns_as_codes_and_load_equal_frames(tmp_path, storage):
    import io
    import pickle

    text = pd.StringDtype(storage, na_value=np.nan)  # the ``str`` dtype, with either storage
    frame = pd.DataFrame({
        "item_id": pd.array(["A-1", None, "A-1", "B-2"], dtype=text),
        "at": pd.to_datetime(["2026-01-01", None, "2026-01-02", "2026-01-03"], utc=True),
        "labels": [("x",), (), ("x", "y"), ()],
        "days": [1.5, float("nan"), 0.0, 2.0],
        "kind": pd.Categorical(["a", "b", "a", None]),
    }, index=[10, 11, 12, 13])
    frame.attrs["source"] = "test"
    repeated = pd.DataFrame([[1, 2]], columns=["a", "a"])  # not unique: pickled as pandas does
    buffer = io.BytesIO()
    cache_mod._FramePickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump({"f": frame, "r": repeated})
    back = pickle.loads(buffer.getvalue())
    pd.testing.assert_frame_equal(back["f"], frame, check_exact=True)
    assert back["f"].attrs == {"source": "test"} and back["f"]["item_id"].isna().tolist() == [False, True, False, False]
    pd.testing.assert_frame_equal(back["r"], repeated)
    assert back["f"]["item_id"].dtype == text and back["f"]["item_id"].array.dtype.storage == storage
    if storage == "python":  # Python strings go as codes: one distinct value, once
        assert b"A-1" in buffer.getvalue() and buffer.getvalue().count(b"A-1") == 1


def test_arrow_text_with_few_distinct_values_is_stored_as_codes_and_loads_equal():
    import io
    import pickle

    import pyarrow as pa

    rows = cache_mod._DICTIONARY_MIN_ROWS
    statuses = pd.Series(pd.array((["In Progress", "Done", None, "Ready for QA"] * rows)[:rows], dtype="str"))
    ids = pd.Series(pd.array([f"A-{i}" for i in range(rows)], dtype="str"))  # every value distinct
    frame = pd.DataFrame({"status": statuses, "item_id": ids})
    assert pa.array(frame["status"].array).type == pa.large_string()
    buffer = io.BytesIO()
    cache_mod._FramePickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(frame)
    back = pickle.loads(buffer.getvalue())
    pd.testing.assert_frame_equal(back, frame, check_exact=True)
    assert back["status"].isna().sum() == rows // 4 and back["status"].dtype == frame["status"].dtype
    assert pa.array(back["status"].array).type == pa.large_string()
    as_is = io.BytesIO()
    pickle.dump(frame, as_is, protocol=pickle.HIGHEST_PROTOCOL)
    assert len(buffer.getvalue()) < len(as_is.getvalue()) - 100_000  # statuses as codes, ids as they are


def test_the_client_entry_shares_the_dataset_entry_tables(client, cache_dir):
    first = load_client(client)
    (client_entry,) = _written(cache_dir).glob("client-*.pickle")
    assert b"Second item" not in client_entry.read_bytes()  # a title: kept in the dataset entry only
    again = load_client(client)
    pd.testing.assert_frame_equal(again.dataset.work_items, first.dataset.work_items)
    pd.testing.assert_frame_equal(again.dataset.feedback, first.dataset.feedback)  # linked: its own copy
    for entry in _written(cache_dir).glob("dataset-*.pickle"):
        entry.unlink()  # without its tables the client entry is a miss: read and derive again
    pd.testing.assert_frame_equal(load_client(client).flow, first.flow)
    assert len(list(_written(cache_dir).glob("dataset-*.pickle"))) == 1


def test_without_a_home_folder_nothing_is_cached(monkeypatch):
    monkeypatch.delenv("OPSDIAG_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

    def no_home():
        raise RuntimeError("Could not determine home directory.")
    monkeypatch.setattr(cache_mod.Path, "home", staticmethod(no_home))
    assert cache_mod.cache_dir() is None
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere")
    assert cache_mod.cache_dir() == cache_mod.Path("/somewhere/opsdiag")


def test_held_entries_are_written_when_the_cache_is_looked_in_or_the_process_ends(client, cache_dir, tmp_path,
                                                                                monkeypatch):
    """``hold`` (the command line's) keeps entries back: the next look in the cache has them
    written first, ``write_held`` writes them here where no process can be forked, and Python
    writes what is still held as it exits."""
    import subprocess
    import sys

    monkeypatch.setattr(cache_mod, "_HELD", None)
    cache_mod.written()
    cache_mod.hold()
    ingest.read_folder(client)
    assert cache_mod._HELD and not list(cache_dir.glob("*.pickle"))  # held, not being written
    other = write_client(tmp_path / "other", logo=False)
    ingest.read_folder(other)  # looks for its own entry first: the held one is written
    cache_mod.written()
    assert len(list(cache_dir.glob("dataset-*.pickle"))) == 1 and len(cache_mod._HELD) == 1
    monkeypatch.setattr(cache_mod, "_fork_writer", lambda held: False)
    cache_mod.write_held()
    assert len(list(cache_dir.glob("dataset-*.pickle"))) == 2 and cache_mod._HELD is None
    _no_parsing(monkeypatch)
    ingest.read_folder(other)

    at_exit = tmp_path / "at_exit"
    code = "import sys, opsdiag.cache as c, opsdiag.ingest as i; c.hold(); i.read_folder(sys.argv[1])"
    subprocess.run([sys.executable, "-c", code, str(client)], check=True,
                   env={**os.environ, "OPSDIAG_CACHE_DIR": str(at_exit)})
    assert len(list(at_exit.glob("dataset-*.pickle"))) == 1  # written before the process left
