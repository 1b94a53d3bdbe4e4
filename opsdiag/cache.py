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

import atexit
import contextlib
import dataclasses
import hashlib
import logging
import os
import pickle
import signal
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

# numpy and pandas are imported where entries are made or read: the command line imports this
# module to hold entries (``hold``) before it knows whether the command loads a client at all

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
    took as long as the diagnosis that follows); the command line holds it for a process of
    its own instead (``hold``). ``load`` and ``wait`` wait for the writes; Python waits for
    them before it exits. What is written is ``value`` as it is now: its
    frames are copied first (``_snapshot``), so a table changed meanwhile is stored unchanged.
    """
    folder = cache_dir()
    path = _entry(kind, data_dir)
    if folder is None or path is None:
        return
    value = _snapshot(value)
    if _HELD is not None:  # kept for ``write_held`` (the command line: ``hold``)
        _HELD.append((folder, path, entry_key, value))
        return
    _start(folder, path, entry_key, value)


def _start(folder: Path, path: Path, entry_key: str, value) -> None:
    """Write an entry in a new writer thread, after the entries started before it."""
    global _WRITER
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
    import pandas as pd

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
    """Return once every entry ``save`` was asked for is written (or given up), held ones too."""
    _release()
    written()


def written() -> None:
    """Return once the entries being written are written; held entries stay held."""
    if _WRITER is not None:
        _WRITER.join()


# Entries ``save`` keeps for ``write_held``, as (folder, path, key, value); None when entries
# are written as they are saved (the default; see ``hold``).
_HELD: list[tuple[Path, Path, str, object]] | None = None


def hold() -> None:
    """Keep the entries ``save`` is asked for from now on until ``write_held``.

    The command line holds them. Writing the entries of a first read (~120 MB for a million
    status changes) took 0.1–0.3 s of a 1.5 s ``diagnose`` on a 2-core machine: pickling them
    beside the derivation, and filling that much fresh page-cache memory. ``write_held``, as
    the command ends, hands them to a process of their own, so the prompt comes back once the
    answer is printed. Whatever in this process looks in the cache next (``load``, ``stored``,
    ``wait``: a report before its notebooks load the client, the next folder's load) has them
    written first, as without holding, so one client's entries at most are held. Python
    writes what is still held before it exits.
    """
    global _HELD
    if _HELD is None:
        _HELD = []


def _release() -> None:
    """Start writing the held entries (in the writer thread, in order); keep holding new ones."""
    if _HELD:
        held, _HELD[:] = list(_HELD), []
        for entry in held:
            _start(*entry)


def write_held(detach: bool = True) -> None:
    """Write the held entries, by default in a detached child process that goes on after this
    one exits.

    Where no process can be forked for it (not Linux, or the fork fails), or with ``detach``
    off, they are written here before this returns. Call it as the process ends, once its
    output is flushed: the child gets the entries as they are, and nothing else of the parent
    (no terminal, no output pipe, no exit handler). A child still writing after
    ``_DETACHED_LIMIT`` seconds is stopped; what it leaves is a temporary file, never a
    partial entry (entries are renamed into place whole). Python calls it (``detach`` off) as
    it exits.
    """
    global _HELD
    held, _HELD = _HELD or [], None
    if not held:
        return
    written()
    if not (detach and _fork_writer(held)):
        _write_all(held)


atexit.register(write_held, detach=False)


def _write_all(held: list) -> None:
    for entry in held:
        _write(*entry)
_DETACHED_LIMIT = 600


def _fork_writer(held: list) -> bool:
    """Write ``held`` in a forked child; True in the parent when the child is on its way."""
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False
    try:
        with warnings.catch_warnings():  # Python 3.12 warns when threads exist: ours are done
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
    except OSError:
        return False
    if pid:
        return True
    try:  # the child: its own session, no terminal or output pipes, no exit handlers
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        signal.alarm(_DETACHED_LIMIT)
        _write_all(held)
    finally:
        os._exit(0)


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
        import pandas as pd

        if type(obj) is pd.DataFrame and obj.columns.is_unique:
            return _unpack_frame, (obj.index, obj.columns, [_pack_column(obj[c]) for c in obj.columns], obj.attrs)
        return NotImplemented


def _pack_column(column: pd.Series):
    """``(dtype, codes, distinct values)`` of Python-backed text; ``(dtype, dictionary array,
    None)`` of Arrow-backed text whose values repeat; else ``(None, array, None)`` (other
    Arrow-backed text pickles as Arrow buffers, as it is)."""
    import numpy as np
    import pandas as pd

    from .text import arrow_text

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
    import numpy as np
    import pandas as pd

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
