"""Read a client folder: detect each export by its content, import it, merge into a Dataset.

``FORMATS`` is the registry: adding a format is one line here. Order matters only where two
signatures overlap: the more specific format comes first.
"""

from __future__ import annotations

import gc
import hashlib
import logging
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Collection

import numpy as np
import pandas as pd

from ..errors import InputFormatError, UsageError
from ..schema import KEYS, TABLES, Dataset, SourceFile, Unrecognized, concat, conform, empty_frame
from .. import cache
from ..text import factorizable
from .base import Format, Probe, ReadContext
from .templates import TemplateFormat
from .asana import AsanaFormat
from .github import GitHubFormat
from .linear import LinearFormat
from .shortcut import ShortcutFormat
from .trello import TrelloFormat
from .event_logs import ACTIVITY_LOG, SERVICENOW_LOG, XES_CSV
from .feedback_tools import CANNY, INTERCOM, PRODUCTBOARD, ZENDESK
from .jira_csv import JiraCsvFormat
from .jira_json import JiraJsonFormat

log = logging.getLogger(__name__)

FORMATS: list[Format] = [
    LinearFormat(),
    AsanaFormat(),
    TrelloFormat(),
    GitHubFormat(),
    ShortcutFormat(),
    INTERCOM,
    PRODUCTBOARD,
    CANNY,
    ZENDESK,
    SERVICENOW_LOG,
    ACTIVITY_LOG,
    XES_CSV,
    JiraCsvFormat(),
    JiraJsonFormat(),
    TemplateFormat("transitions"),
    TemplateFormat("field_changes"),
    TemplateFormat("status_durations"),
    TemplateFormat("sprints"),
    TemplateFormat("releases"),
    TemplateFormat("feedback"),
    TemplateFormat("people"),
    TemplateFormat("tools"),
    TemplateFormat("events"),
    TemplateFormat("work_items"),
]


def register(fmt: Format, before: str | None = None) -> None:
    """Add a format to the registry (before the named one, else at the end)."""
    names = [f.name for f in FORMATS]
    FORMATS.insert(names.index(before) if before in names else len(FORMATS), fmt)


# Files a consultant keeps beside the exports that are not data.
SKIP_NAMES = {"engagement.yaml", "engagement.yml", "clients.yaml"}
SKIP_SUFFIXES = {".md", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".pdf", ".docx", ".pptx"}
SKIP_PREFIXES = ("readme", "notes")
DATA_SUFFIXES = {".csv", ".json", ".tsv"}


def is_skipped(path: Path) -> bool:
    """engagement.yaml, images, documents, hidden files, and README/notes text files.

    A ``.csv``/``.json`` file is never skipped by its name (Productboard exports ``notes.csv``).
    """
    name = path.name.lower()
    suffix = path.suffix.lower()
    return (name in SKIP_NAMES or suffix in SKIP_SUFFIXES or name.startswith(".")
            or (name.startswith(SKIP_PREFIXES) and suffix not in DATA_SUFFIXES))


def detect(probe: Probe) -> Format | None:
    """The first registered format whose ``sniff`` accepts the file, or None."""
    for fmt in FORMATS:
        try:
            if fmt.sniff(probe):
                return fmt
        except Exception as exc:  # a sniffer must never take the folder down
            log.debug("%s: sniff by %s failed: %s", probe.path, fmt.name, exc)
    return None


def why_unrecognized(probe: Probe) -> str:
    if probe.raw == b"" or not probe.raw.strip():
        return "empty file"
    if probe.is_binary:
        return "binary content, not a CSV or JSON export"
    if probe.looks_json:
        return "JSON of an unknown shape" if probe.json is not None else "invalid JSON (cut off?)"
    if probe.header:
        shown = ", ".join(probe.header[:6])
        return f"CSV header not recognised ({shown}{', …' if len(probe.header) > 6 else ''})"
    return "not a CSV or JSON export"


def list_files(data_dir: Path) -> list[Path]:
    files = [p for p in sorted(data_dir.rglob("*")) if p.is_file()
             and not any(part.startswith(".") for part in p.relative_to(data_dir).parts)]
    return [p for p in files if not is_skipped(p)]


def read_file(path: Path, timezone: str = "UTC"):
    """Read one file: ``(format, {table: conformed frame}, findings)``; raises InputFormatError."""
    return _read_probe(Probe(path), timezone)


def _read_probe(probe: Probe, timezone: str, conformed: bool = True):
    """``read_file`` on a probe the caller keeps (its bytes are hashed without reading twice).

    With ``conformed=False`` the importer's frames are returned as they are (``read_folder``
    conforms them in runs, see ``_conform_runs``).
    """
    fmt = detect(probe)
    if fmt is None:
        return None, {}, []
    return _read_as(fmt, probe, timezone, conformed)


def _read_as(fmt: Format, probe: Probe, timezone: str, conformed: bool = True):
    """``_read_probe`` once the format is known: ``(format, {table: frame}, findings)``."""
    ctx = ReadContext(timezone=timezone, path=str(probe.path))
    try:
        tables = fmt.read(probe, ctx)
    except Exception as exc:
        error = _read_error(fmt, probe.path, exc)
        if error is exc:
            raise
        raise error from None
    if conformed:
        tables = {name: conform(name, frame, fmt.strips_text) for name, frame in tables.items()}
    return fmt, tables, ctx.findings


def _read_error(fmt: Format, path: Path, exc: Exception) -> Exception:
    """The error to report for a file whose import raised ``exc``.

    An ``InputFormatError`` as it is; the errors a malformed value causes (ValueError, KeyError…)
    as an ``InputFormatError`` naming the file and format; anything else is ``exc`` (a bug, raised).
    """
    if isinstance(exc, (ValueError, KeyError, TypeError, IndexError, AttributeError)) \
            and not isinstance(exc, InputFormatError):
        return InputFormatError(path, f"could not be read as {fmt.description or fmt.name}: "
                                f"{type(exc).__name__}: {exc}")
    return exc


def read_folder(data_dir: str | Path, timezone: str = "UTC", progress=None,
                digests: dict[str, str] | None = None) -> Dataset:
    """Read every export in ``data_dir`` into one ``Dataset``.

    Unrecognised files are listed with the reason; files that fail to read are listed as errors
    (message names row and column); the other files are still read. Input files are only read.
    A folder read before with the same file contents comes from the local cache
    (``opsdiag.cache``; ``OPSDIAG_CACHE=off`` turns it off); ``digests`` are the files' sha256
    when the caller has them already (``cache.file_digests``). A folder never read before is
    not hashed first: each file is hashed while the files are imported, and ``Dataset.digests``
    keeps them.
    """
    data_dir = Path(data_dir)
    if not data_dir.exists():
        raise UsageError(f"{data_dir}: no such folder")
    if not data_dir.is_dir():
        raise UsageError(f"{data_dir}: not a folder (give the folder holding the exports)")
    files = list_files(data_dir)
    caching = cache.cache_dir() is not None
    if digests is None and caching and cache.stored("dataset", data_dir):  # read before: unchanged?
        digests = cache.file_digests(data_dir, files)
    entry_key = cache.dataset_key(digests, timezone) if caching and digests is not None else None
    if entry_key and (cached := cache.load("dataset", data_dir, entry_key, Dataset)) is not None:
        return cached  # unchanged exports, read before: nothing to parse (opsdiag/cache.py)
    read: dict[str, list[tuple[str, bool, pd.DataFrame]]] = {t: [] for t in TABLES}
    dataset = Dataset(tables={})  # its tables are the merged ones (below): no empty frames built first
    with ThreadPoolExecutor(1, thread_name_prefix="opsdiag-read-ahead") as reading:
        with _gc_paused():
            _read_files(data_dir, progress(files) if progress else files, timezone, dataset, read, digests,
                        reading, files)
        stripping = {fmt.name for fmt in FORMATS if fmt.strips_text}
        stripped = {source.path for source in dataset.files if source.format in stripping}
        parts = {name: _conform_runs(name, entries, stripped) for name, entries in read.items()}
        merged = {name: _merge(name, frames, dataset) for name, frames in parts.items()}
        dataset.tables.update(merged)
        # the last files' sha256, computed by ``reading`` while the tables were merged
        dataset.digests = {rel: d if isinstance(d, str) else d.result() for rel, d in dataset.digests.items()}
        for source in dataset.files:
            source.sha256 = dataset.digests[source.path]
    if caching:
        cache.save("dataset", data_dir, entry_key or cache.dataset_key(dataset.digests, timezone), dataset)
    return dataset


@contextmanager
def _gc_paused():
    """Pause Python's cycle collector while exports are parsed.

    Parsing a JSON page allocates a million dicts and lists at once; each automatic collection
    walks every live container, which made a thousand Jira pages ~15 % slower. Nothing is lost:
    cycles are collected when the collector resumes.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read_files(data_dir: Path, files, timezone: str, dataset: Dataset,
                read: dict[str, list[tuple[str, bool, pd.DataFrame]]], digests: dict[str, str] | None = None,
                reading: Executor | None = None, ahead: list[Path] = ()) -> None:
    """Read each file into ``read`` (unconformed frames per table) and ``dataset`` (files, findings).

    ``reading`` reads and parses the next ``READ_AHEAD`` files of ``ahead`` (the list ``files``
    iterates, which may be a progress display) while one is imported (``Probe.read_ahead``):
    files are still imported, and their findings, errors and progress recorded, one by one in
    order. A file's sha256 not in ``digests`` is computed by ``reading`` too, queued after the
    next files to read ahead (hashlib lets other threads run): a hash does not slow the parse
    the import waits for, and runs while the main thread works. Every file's sha256, or the
    future computing it, ends up in ``dataset.digests`` (the caller waits for them).

    Consecutive files of a format with a ``batch_reader`` (Jira REST pages) are read as one run:
    the reader flattens each page as it comes and builds the tables once for the run, and every
    file still gets its own frames, row counts, findings, error and place in file order.
    """
    run = None  # (format, reader, [(rel, path, context)]) of the files read together
    digests = digests or {}
    probes: dict[Path, Probe] = {}  # the files handed to ``reading``, not imported yet
    unhashed: list[tuple[str, bytes]] = []  # the file before, hashed once the next files are queued
    for position, path in enumerate(files):
        if reading is not None:
            for upcoming in ahead[position:position + 1 + READ_AHEAD]:
                if upcoming not in probes:
                    probes[upcoming] = Probe(upcoming)
                    probes[upcoming].read_ahead(reading)
        _hash(unhashed, dataset, reading)
        rel = str(path.relative_to(data_dir))
        probe = probes.pop(path, None) or Probe(path)
        dataset.digests[rel] = digests.get(rel)
        if not dataset.digests[rel]:
            unhashed.append((rel, probe.raw))
        fmt = detect(probe)
        if run is not None and fmt is not run[0]:
            _finish_run(run, dataset, read)
            run = None
        reader = run[1] if run is not None else fmt.batch_reader() if fmt is not None else None
        if reader is not None:
            run = run or (fmt, reader, [])
            ctx = ReadContext(timezone=timezone, path=str(path))
            run[1].add(probe, ctx)  # the page's parsed JSON is dropped with the probe
            run[2].append((rel, path, ctx))
            continue
        if fmt is None:
            dataset.unrecognized.append(Unrecognized(rel, why_unrecognized(probe)))
            continue
        try:
            _, tables, findings = _read_as(fmt, probe, timezone, conformed=False)
        except InputFormatError as exc:
            dataset.unrecognized.append(Unrecognized(rel, str(exc), error=True))
            continue
        _keep(rel, fmt, tables, findings, dataset, read)
    if run is not None:
        _finish_run(run, dataset, read)
    _hash(unhashed, dataset, reading)


# Files read and parsed ahead of the one being imported (``_read_files``): enough that a big
# file after a few small ones is read and parsed while those are imported.
READ_AHEAD = 4


def _finish_run(run, dataset: Dataset, read: dict[str, list[tuple[str, bool, pd.DataFrame]]]) -> None:
    """Record a run of files read together, file by file, as ``_read_files`` records one file."""
    fmt, reader, members = run
    for (rel, path, ctx), result in zip(members, reader.finish()):
        if isinstance(result, Exception):
            error = _read_error(fmt, path, result)
            if not isinstance(error, InputFormatError):
                raise error
            dataset.unrecognized.append(Unrecognized(rel, str(error), error=True))
            continue
        _keep(rel, fmt, result, ctx.findings, dataset, read)


def _hash(files: list[tuple[str, bytes]], dataset: Dataset, executor: Executor | None) -> None:
    """Put the sha256 of each ``(path, bytes)`` of ``files`` in ``dataset.digests`` (a future when
    ``executor`` computes it) and empty ``files``."""
    for rel, data in files:
        dataset.digests[rel] = executor.submit(_sha256, data) if executor is not None else _sha256(data)
    files.clear()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _keep(rel: str, fmt: Format, tables: dict[str, pd.DataFrame], findings: list,
          dataset: Dataset, read: dict[str, list[tuple[str, bool, pd.DataFrame]]]) -> None:
    """Record one file's frames, findings and ``SourceFile`` (its sha256 set by ``read_folder``)."""
    has_history = len(tables.get("transitions", ())) > 0
    for name, frame in tables.items():
        read[name].append((rel, has_history, frame))
    dataset.quality.extend(findings)
    dataset.files.append(SourceFile(rel, fmt.name, {k: len(v) for k, v in tables.items()}))


def _conform_runs(table: str, entries: list[tuple[str, bool, pd.DataFrame]],
                  stripped: Collection[str] = ()) -> list[pd.DataFrame]:
    """Conformed frames of one table, in file order, from ``(file, has_history, frame)`` entries.

    ``conform`` works value by value within a column, so frames with the same columns and
    dtypes (a thousand Jira search pages) give the same rows conformed together as one by one:
    consecutive such frames are concatenated and conformed once, which saves its fixed cost per
    file. The text of the ``stripped`` files is taken as it is (``Format.strips_text``). Work
    items carry ``_file`` and ``_history`` for ``_merge``. Empty frames are dropped (``_merge``
    ignores them).
    """
    runs: list[list[tuple[str, bool, pd.DataFrame]]] = []
    signature = None
    for entry in entries:
        frame = entry[2]
        if not len(frame):
            continue
        mine = (tuple(frame.columns), tuple(str(d) for d in frame.dtypes),
                entry[0] in stripped) if frame.columns.is_unique else None
        if runs and mine is not None and mine == signature:
            runs[-1].append(entry)
        else:
            runs.append([entry])
        signature = mine
    out = []
    for run in runs:
        frames = [frame for _, _, frame in run]
        merged = conform(table, frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True),
                         stripped=all(rel in stripped for rel, _, _ in run))
        if table == "work_items":
            lengths = [len(frame) for frame in frames]
            merged = merged.assign(_file=np.repeat(np.array([rel for rel, _, _ in run], dtype=object), lengths),
                                   _history=np.repeat(np.array([h for _, h, _ in run], dtype=bool), lengths))
        out.append(merged)
    return out


def _merge(table: str, frames: list[pd.DataFrame], dataset: Dataset) -> pd.DataFrame:
    """Concatenate one table from every file and de-duplicate it by its key.

    For work items, the row from a source with status history wins and the other rows fill its
    empty fields; keys seen in more than one file are a quality finding.
    """
    frames = [f for f in frames if len(f)]
    if not frames:
        return concat(table, [])
    if table != "work_items":
        merged = _concat_conformed(table, frames)
        keys = list(KEYS[table])
        duplicated = _duplicated(merged, keys)
        if len(keys) > 1 or not duplicated.any():  # drop_duplicates(keys, keep="first"), quicker
            return merged[~duplicated].reset_index(drop=True) if duplicated.any() else merged.reset_index(drop=True)
        # one entity (a release, a sprint, a person) from several files: the most complete row
        # wins and the others fill its empty fields (a releases.csv with planned and released
        # dates is not overridden by a fix version that carries one date)
        lists = [c for c, kind in TABLES[table].items() if kind == "list"]  # () is an empty field
        filled = merged.notna().sum(axis=1) - merged[lists].map(lambda v: v == ()).sum(axis=1)
        merged = merged.assign(_filled=filled).sort_values("_filled", ascending=False, kind="stable")
        return _first_per_key(table, merged.drop(columns="_filled"), keys)
    items = pd.concat(frames, ignore_index=True)
    if items["_file"].nunique() > 1:  # else no key can come from several files
        per_key_files = items.groupby("item_id")["_file"].nunique()
        shared = per_key_files[per_key_files > 1]
    else:
        shared = ()
    if len(shared):
        from ..schema import QualityFinding

        dataset.quality.append(QualityFinding(
            "duplicate_keys_across_files", "info", len(shared), list(shared.index[:10]),
            "the same item key arrives from several files; the one with status history wins, "
            "the others fill its empty fields"))
    items = items.sort_values("_history", ascending=False, kind="stable")
    if items["item_id"].duplicated().any():
        return _first_per_key(table, items.drop(columns=["_file", "_history"]), ["item_id"])
    return _concat_conformed(table, [items.drop(columns=["_file", "_history"], errors="ignore")])


def _duplicated(frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """``frame.duplicated(keys)`` (first occurrence kept, missing equals missing) as an array.

    Each key column is factorized once (``text.factorizable``) and the codes combined into one
    integer per row; falls back to pandas when the combination would not fit in 63 bits. With
    several keys, only the rows whose timestamp (or first key) occurs more than once can be
    duplicates: the others are settled by that one cheap column first (a million status changes
    share few exact times; ``_repeated``).
    """
    if len(keys) > 1 and len(frame):
        first = next((k for k in keys if pd.api.types.is_datetime64_any_dtype(frame[k].dtype)), keys[0])
        column = frame[first]
        if pd.api.types.is_datetime64_any_dtype(column.dtype):  # NaT is one int64 value: missing equals missing
            values = column.array.asi8
        else:
            values = pd.factorize(factorizable(column))[0]
        shared = _repeated(values)
        if not shared.all():  # a duplicate row and its first occurrence share every key
            out = np.zeros(len(frame), dtype=bool)
            rows = np.flatnonzero(shared)
            out[rows] = _duplicated(frame[keys].iloc[rows], [k for k in keys if k != first] + [first])
            return out
    combined = np.zeros(len(frame), dtype=np.int64)
    span = 1
    for key in keys:
        column = frame[key]
        codes, uniques = pd.factorize(factorizable(column))
        span *= len(uniques) + 1
        if span >= 2 ** 62:
            return frame.duplicated(keys).to_numpy()
        combined = combined * (len(uniques) + 1) + (codes + 1)
    return pd.Series(combined).duplicated(keep="first").to_numpy()


def _repeated(values: np.ndarray) -> np.ndarray:
    """Where integer ``values`` hold a value that occurs more than once (``duplicated(keep=False)``).

    The values that repeat are found by sorting (numpy sorts a million integers in a fraction of
    the time hashing them takes). These are few, so the rows that hold one are looked up only
    among the rows whose hash bucket holds one (``_buckets``): a few percent of the rows.
    """
    ordered = np.sort(values)
    repeats = ordered[1:][ordered[1:] == ordered[:-1]]
    out = np.zeros(len(values), dtype=bool)
    if len(repeats):
        marked = np.zeros(_BUCKETS, dtype=bool)
        marked[_buckets(repeats)] = True
        rows = np.flatnonzero(marked[_buckets(values)])
        out[rows] = pd.Series(values[rows]).isin(repeats).to_numpy(dtype=bool)
    return out


_BUCKETS = 1 << 20


def _buckets(values: np.ndarray) -> np.ndarray:
    """A hash of each integer in ``range(_BUCKETS)``: equal values, equal buckets (the low 32
    bits times Knuth's multiplicative constant, the top 20 bits of the product)."""
    hashed = values.astype(np.uint32)  # the low 32 bits
    hashed *= np.uint32(2654435761)
    hashed >>= np.uint32(12)
    return hashed


def _concat_conformed(table: str, frames: list[pd.DataFrame]) -> pd.DataFrame:
    """``concat(table, frames)`` for frames ``read_file`` already conformed.

    ``conform`` is idempotent, so when the concatenation kept exactly the canonical columns and
    dtypes it is skipped (re-stripping a million ids cost more than reading them); anything
    else goes through ``conform`` as before.
    """
    merged = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    canonical = empty_frame(table).dtypes
    if list(merged.columns) == list(canonical.index) and list(merged.dtypes) == list(canonical):
        return merged.reset_index(drop=True)
    return conform(table, merged)


def _first_per_key(table: str, frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One row per key: the first row's values, its empty fields filled from the later rows."""
    list_cols = [c for c, k in TABLES[table].items() if k == "list"]
    frame = frame.copy()
    for c in list_cols:
        frame[c] = frame[c].map(lambda v: v if v else None)
    frame = frame.groupby(keys, sort=False, as_index=False).first()
    for c in list_cols:
        frame[c] = frame[c].map(lambda v: v if isinstance(v, tuple) else ())
    return conform(table, frame)
