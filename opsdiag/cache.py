"""A local cache of loaded clients: unchanged exports are parsed and derived once, not per command.

A report executes four notebooks, each in its own kernel, and every one of them (and the
report itself) loads the client; a consultant then re-runs ``diagnose`` or ``report`` after
each change to ``engagement.yaml``. Parsing and deriving a million status changes takes
seconds; loading the result back takes a fraction of that. Two kinds of entries are kept:

- ``dataset``: what ``read_folder`` read from a folder (the canonical tables, files, findings);
  its key is the sha256 of every file's bytes with its path in the folder (the digests the
  Dataset records as provenance) and the timezone naive timestamps are read in;
- ``client``: what ``load_client`` derived from it (mapping, status segments, flow intervals,
  quality findings); its key adds the whole effective engagement config, the ``as_of`` asked
  for and today's date (the default ``as_of`` of a folder without timestamps).

A folder with no entry yet (never read here) is not hashed before it is read: each file is
hashed while it is parsed, and the entries are stored under the same keys.

Every key also holds a fingerprint of the code (the versions of opsdiag, pandas and numpy and
the bytes of every opsdiag module), so an upgrade or an edited module never returns stale
results. A changed, added or removed file, or any config change, is a miss (a config change
still reuses the dataset entry).

Where: ``$OPSDIAG_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/opsdiag`` (``~/.cache/opsdiag``).
``OPSDIAG_CACHE=off`` turns it off. One entry of each kind per folder (replaced when the folder
changes), readable by the user only; entries unused for 30 days are removed. The cache holds a
copy of the client's data on this machine (nothing leaves it): delete the folder to remove it.
Any problem with the cache (unwritable folder, a damaged or foreign entry) only costs a normal
load.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import os
import pickle
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from .text import arrow_text

log = logging.getLogger(__name__)

MAX_AGE_DAYS = 30
_FORMAT = 2  # bump when the entry layout changes


def cache_dir() -> Path | None:
    """The cache folder, or ``None`` when caching is off (``OPSDIAG_CACHE=off``)."""
    if os.environ.get("OPSDIAG_CACHE", "").strip().lower() in ("off", "0", "no", "false"):
        return None
    configured = os.environ.get("OPSDIAG_CACHE_DIR", "").strip()
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    if not base:
        try:
            base = Path.home() / ".cache"
        except RuntimeError:  # no home folder to be found: no cache
            return None
    return Path(base) / "opsdiag"


def file_digests(data_dir: Path, files: list[Path]) -> dict[str, str]:
    """``{path relative to data_dir: sha256 hex digest}`` of each file's bytes (two files at a
    time: reading and hashing let other threads run)."""
    def digest(path: Path) -> str:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()

    with ThreadPoolExecutor(2, thread_name_prefix="opsdiag-sha256") as pool:
        return {str(path.relative_to(data_dir)): value for path, value in zip(files, pool.map(digest, files))}


def key(*parts: str) -> str:
    """The digest of ``parts`` and the code fingerprint: equal keys, equal results."""
    h = hashlib.sha256(f"{_FORMAT}\0{_code_fingerprint()}".encode())
    for part in parts:
        h.update(b"\0" + part.encode())
    return h.hexdigest()


def dataset_key(digests: dict[str, str], timezone: str) -> str:
    """The key of a folder's ``dataset`` entry: its files' paths and contents, and the timezone."""
    return key("dataset", timezone, *(f"{rel}\0{digest}" for rel, digest in sorted(digests.items())))


def stored(kind: str, data_dir: Path) -> bool:
    """Whether ``data_dir`` has a ``kind`` entry, whatever its key.

    A folder without one was never read here: there is nothing to look up, so its files need
    not be hashed before they are read (``read_folder`` hashes them while it parses them).
    """
    wait()  # an entry this process is still writing
    path = _entry(kind, data_dir)
    return path is not None and path.is_file()


def load(kind: str, data_dir: Path, entry_key: str, expected: type):
    """The cached ``kind`` entry of ``data_dir`` when its key is ``entry_key``, else ``None``."""
    wait()  # an entry this process is still writing
    path = _entry(kind, data_dir)
    if path is None or not path.is_file():
        return None
    try:
        with open(path, "rb") as fh:
            stored_key = pickle.load(fh)  # a small header: the value is only read on a hit
            if stored_key != entry_key:
                return None
            value = pickle.load(fh)
    except Exception as exc:  # a damaged, truncated or foreign entry is only a miss
        log.debug("cache: ignoring %s (%s)", path, exc)
        return None
    if not isinstance(value, expected):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: kept by the pruning
    log.debug("cache: %s of %s read from %s", kind, data_dir, path)
    return value


def save(kind: str, data_dir: Path, entry_key: str, value) -> None:
    """Store ``value`` as the ``kind`` entry of ``data_dir`` (atomically; failures are only logged).

    The entry is written by a background thread, in the order ``save`` was called, while the
    caller goes on (an entry is a hundred megabytes for a million status changes: writing it
    took as long as the diagnosis that follows). ``load`` and ``wait`` wait for the writes;
    Python waits for them before it exits. What is written is ``value`` as it is now: its
    frames are copied first (``_snapshot``), so a table changed meanwhile is stored unchanged.
    """
    global _WRITER
    folder = cache_dir()
    path = _entry(kind, data_dir)
    if folder is None or path is None:
        return
    value = _snapshot(value)
    before = _WRITER

    def write() -> None:
        if before is not None:
            before.join()
        _write(folder, path, entry_key, value)

    _WRITER = threading.Thread(target=write, name="opsdiag-cache-writer")
    _WRITER.start()


_WRITER: threading.Thread | None = None  # the last entry write started


def _snapshot(value):
    """``value`` with every DataFrame, dataclass, dict and list in it copied, not the data.

    A frame's shallow copy is copy-on-write (pandas 3): a later change to the original copies
    the changed columns first, so the snapshot keeps what the frame held when it was taken.
    """
    if isinstance(value, (pd.DataFrame, pd.Series)):
        return value.copy(deep=False)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: _snapshot(getattr(value, f.name))
                                            for f in dataclasses.fields(value) if f.init})
    if isinstance(value, dict):
        return {k: _snapshot(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snapshot(v) for v in value]
    return value


def wait() -> None:
    """Return once every entry ``save`` was asked for is written (or given up)."""
    if _WRITER is not None:
        _WRITER.join()


def _write(folder: Path, path: Path, entry_key: str, value) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(entry_key, fh, protocol=pickle.HIGHEST_PROTOCOL)
            _FramePickler(fh, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
        os.replace(tmp, path)
        _prune(folder, keep=path)
    except Exception as exc:  # an unwritable cache never fails a load
        log.debug("cache: not saved in %s (%s)", folder, exc)
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


class _FramePickler(pickle.Pickler):
    """Pickles DataFrames with their text columns as codes and distinct values.

    A Python-backed text column holds a Python string per cell, and pickling a million of them
    one by one (each remembered in the pickler's memo) was most of the cost of writing and
    reading an entry; its codes and its few distinct values are one array and a short list.
    Arrow-backed text with few distinct values (statuses, sources, event names) is stored
    dictionary-encoded by Arrow: writing a megabyte to the cache folder cost ~2.5 ms here, more
    than encoding it, and Arrow encodes while other threads run. Other Arrow-backed text pickles
    as Arrow buffers, as it is. Loading gives back an equal frame (same columns, dtypes, index,
    missing values).
    """

    def reducer_override(self, obj):
        if type(obj) is pd.DataFrame and obj.columns.is_unique:
            return _unpack_frame, (obj.index, obj.columns, [_pack_column(obj[c]) for c in obj.columns], obj.attrs)
        return NotImplemented


def _pack_column(column: pd.Series):
    """``(dtype, codes, distinct values)`` of Python-backed text; ``(dtype, dictionary array,
    None)`` of Arrow-backed text whose values repeat; else ``(None, array, None)`` (other
    Arrow-backed text pickles as Arrow buffers, as it is)."""
    if column.dtype != "str" or len(column) <= 1:
        return None, column.array, None
    arrow = arrow_text(column)
    if arrow is None:
        codes, uniques = pd.factorize(column.to_numpy(dtype=object))  # missing -> -1
        return column.dtype, codes.astype(np.int32), uniques
    if len(arrow) >= _DICTIONARY_MIN_ROWS:
        import pyarrow.compute as pc

        encoded = pc.dictionary_encode(arrow)  # missing values stay missing (null indices)
        chunks = encoded.chunks if hasattr(encoded, "chunks") else [encoded]
        if sum(len(chunk.dictionary) for chunk in chunks) * _DICTIONARY_MIN_REPEATS <= len(arrow):
            # written as the codes and the distinct values; Arrow encodes without holding the GIL
            return column.dtype, encoded, None
    return None, column.array, None


# Arrow text is stored dictionary-encoded from this many rows when each distinct value repeats
# this often on average (statuses, sources, event names: a few bytes per row instead of the text)
_DICTIONARY_MIN_ROWS = 10_000
_DICTIONARY_MIN_REPEATS = 100


def _unpack_frame(index, columns, packed, attrs) -> pd.DataFrame:
    data = {}
    for name, (text, values, uniques) in zip(columns, packed):
        if text is not None and uniques is None:  # dictionary-encoded Arrow text
            values = pd.array(values.cast(values.type.value_type), dtype=text)
        elif text is not None:
            values = pd.array(np.append(uniques, np.nan).astype(object)[values], dtype=text)
        data[name] = values
    frame = pd.DataFrame(data, index=index, columns=columns, copy=False)
    frame.attrs = attrs
    return frame


def _entry(kind: str, data_dir: Path) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    name = hashlib.sha256(str(Path(data_dir).resolve()).encode()).hexdigest()[:24]
    return folder / f"{kind}-{name}.pickle"


def _prune(folder: Path, keep: Path) -> None:
    cutoff = time.time() - MAX_AGE_DAYS * 86400
    for old in folder.glob("*-*.pickle"):
        with contextlib.suppress(OSError):
            if old != keep and old.stat().st_mtime < cutoff:
                old.unlink()


_FINGERPRINT: str | None = None


def _code_fingerprint() -> str:
    """The versions of opsdiag, pandas, numpy and pyarrow, and the bytes of every opsdiag module."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        import numpy
        import pandas
        import pyarrow

        from . import __version__

        package = Path(__file__).resolve().parent
        h = hashlib.sha256(f"{__version__} {pandas.__version__} {numpy.__version__} {pyarrow.__version__}".encode())
        for source in sorted(package.rglob("*.py")):
            h.update(str(source.relative_to(package)).encode() + b"\0" + source.read_bytes())
        _FINGERPRINT = h.hexdigest()
    return _FINGERPRINT
