"""Read a client folder: detect each export by its content, import it, merge into a Dataset.

``FORMATS`` is the registry: adding a format is one line here. Order matters only where two
signatures overlap: the more specific format comes first.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pandas as pd

from ..errors import InputFormatError, UsageError
from ..schema import KEYS, TABLES, Dataset, SourceFile, Unrecognized, concat, conform
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
    probe = Probe(path)
    fmt = detect(probe)
    if fmt is None:
        return None, {}, []
    ctx = ReadContext(timezone=timezone, path=str(path))
    try:
        tables = fmt.read(probe, ctx)
    except InputFormatError:
        raise
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise InputFormatError(path, f"could not be read as {fmt.description or fmt.name}: "
                               f"{type(exc).__name__}: {exc}") from None
    tables = {name: conform(name, frame) for name, frame in tables.items()}
    return fmt, tables, ctx.findings


def read_folder(data_dir: str | Path, timezone: str = "UTC", progress=None) -> Dataset:
    """Read every export in ``data_dir`` into one ``Dataset``.

    Unrecognised files are listed with the reason; files that fail to read are listed as errors
    (message names row and column); the other files are still read. Input files are only read.
    """
    data_dir = Path(data_dir)
    if not data_dir.exists():
        raise UsageError(f"{data_dir}: no such folder")
    if not data_dir.is_dir():
        raise UsageError(f"{data_dir}: not a folder (give the folder holding the exports)")
    parts: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLES}
    dataset = Dataset()
    files = list_files(data_dir)
    for path in (progress(files) if progress else files):
        rel = str(path.relative_to(data_dir))
        try:
            fmt, tables, findings = read_file(path, timezone)
        except InputFormatError as exc:
            dataset.unrecognized.append(Unrecognized(rel, str(exc), error=True))
            continue
        if fmt is None:
            dataset.unrecognized.append(Unrecognized(rel, why_unrecognized(Probe(path))))
            continue
        has_history = len(tables.get("transitions", ())) > 0
        for name, frame in tables.items():
            frame = frame.assign(_file=rel, _history=has_history) if name == "work_items" else frame
            parts[name].append(frame)
        dataset.quality.extend(findings)
        dataset.files.append(SourceFile(rel, fmt.name, {k: len(v) for k, v in tables.items()},
                                        hashlib.sha256(path.read_bytes()).hexdigest()))
    merged = {name: _merge(name, frames, dataset) for name, frames in parts.items()}
    dataset.tables.update(merged)
    return dataset


def _merge(table: str, frames: list[pd.DataFrame], dataset: Dataset) -> pd.DataFrame:
    """Concatenate one table from every file and de-duplicate it by its key.

    For work items, the row from a source with status history wins and the other rows fill its
    empty fields; keys seen in more than one file are a quality finding.
    """
    frames = [f for f in frames if len(f)]
    if not frames:
        return concat(table, [])
    if table != "work_items":
        merged = concat(table, frames)
        keys = list(KEYS[table])
        if len(keys) > 1 or not merged.duplicated(keys).any():
            return merged.drop_duplicates(keys, keep="first", ignore_index=True)
        # one entity (a release, a sprint, a person) from several files: the most complete row
        # wins and the others fill its empty fields (a releases.csv with planned and released
        # dates is not overridden by a fix version that carries one date)
        filled = merged.notna().sum(axis=1) - merged.map(lambda v: v == ()).sum(axis=1)
        merged = merged.assign(_filled=filled).sort_values("_filled", ascending=False, kind="stable")
        return _first_per_key(table, merged.drop(columns="_filled"), keys)
    items = pd.concat(frames, ignore_index=True)
    per_key_files = items.groupby("item_id")["_file"].nunique()
    shared = per_key_files[per_key_files > 1]
    if len(shared):
        from ..schema import QualityFinding

        dataset.quality.append(QualityFinding(
            "duplicate_keys_across_files", "info", len(shared), list(shared.index[:10]),
            "the same item key arrives from several files; the one with status history wins, "
            "the others fill its empty fields"))
    items = items.sort_values("_history", ascending=False, kind="stable")
    if items["item_id"].duplicated().any():
        return _first_per_key(table, items.drop(columns=["_file", "_history"]), ["item_id"])
    return conform(table, items.drop(columns=["_file", "_history"], errors="ignore"))


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
