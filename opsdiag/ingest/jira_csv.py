"""Jira CSV exports (Cloud and Server, "all fields" and "current fields", English and Spanish UI).

Recognised by the header: an issue key column (``Issue key`` / ``Key`` / ``Clave de
incidencia``) with ``Summary`` / ``Resumen``, or ``Issue Type`` and ``Status`` with a summary or
issue id (a "current fields" export may leave the key out).

What is read, per row (every alias in English and Spanish):

- ``item_id`` = the key, stripped (ASF writes ``HAMA-895 ``); without a key column ids are
  ``<file-stem>-<row>`` (spreadsheet row) and a finding says so; rows without a key are dropped;
- repeated columns (``Labels``, ``Sprint``, ``Fix versions``) become tuples in column order, so
  ``sprints`` lists every sprint the item was carried through;
- dates ``dd/MMM/yy h:mm a``, ``dd/MMM/yy HH:mm``, Spanish months, ``dd/MM/yyyy HH:mm`` (see
  ``dates.parse_dates``) in the engagement timezone. A date that cannot be read is an error
  naming row, item and column; text in a date column (a shifted ``Created``) is a finding;
- ``status_category`` from ``Status Category`` / ``Categoría de estado``, else inferred from the
  status name; ``completed_at`` / ``canceled_at`` / ``started_at`` by ``jira_common.lifecycle``;
- ``estimate`` from ``Custom field (Story Points)``, else ``(Story point estimate)``;
  ``parent_id`` from ``Parent key``, else ``Custom field (Epic Link)``, else the numeric
  ``Parent`` id resolved through ``Issue id``;
- ``Custom field ([CHART] Time in Status)`` → the ``status_durations`` table.

Comments, descriptions, watchers and e-mail addresses are not kept. Footer lines (Server's
``Generated at … by … using JIRA``) and all-empty rows are dropped and noted.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from ..errors import InputFormatError
from .base import Format, Probe, RawTable, ReadContext, read_csv
from .dates import format_jira_dates, parse_dates
from .jira_common import (CATEGORY_LABELS, SOURCE_CSV, decode_time_in_status, infer_status_category,
                          lifecycle, localize_issue_types, map_status_category, strip_emails)

CUSTOM_PREFIXES = ("Custom field", "Campo personalizado")


def custom(name: str) -> tuple[str, ...]:
    """Every header a custom field ``name`` has in the supported UI languages."""
    return tuple(f"{prefix} ({name})" for prefix in CUSTOM_PREFIXES)


KEY = ("Issue key", "Key", "Clave de incidencia", "Clave")
ISSUE_ID = ("Issue id", "ID de la incidencia")
SUMMARY = ("Summary", "Resumen")
ISSUE_TYPE = ("Issue Type", "Tipo de Incidencia")
STATUS = ("Status", "Estado")
CATEGORY = ("Status Category", "Categoría de estado")
CATEGORY_CHANGED = ("Status Category Changed", "Categoría de estado cambiada")
CREATED = ("Created", "Creada")
RESOLVED = ("Resolved", "Resuelta")
PRIORITY = ("Priority", "Prioridad")
RESOLUTION = ("Resolution", "Resolución")
ASSIGNEE = ("Assignee", "Persona asignada")
PROJECT_KEY = ("Project key", "Clave del proyecto")
PROJECT_NAME = ("Project name", "Nombre del proyecto")
LABELS = ("Labels", "Etiquetas")
SPRINT = ("Sprint",)
FIX_VERSIONS = ("Fix versions", "Fix Version/s", "Fix versions/s", "Versiones de corrección",
                "Versión de corrección")
STORY_POINTS = custom("Story Points")
STORY_POINT_ESTIMATE = custom("Story point estimate")
TEAM = custom("Team")
EPIC_LINK = custom("Epic Link")
PARENT_KEY = ("Parent key", "Clave principal")
PARENT_ID = ("Parent", "Principal", "Parent id", "Parent Id")
TIME_IN_STATUS = custom("[CHART] Time in Status")

FOOTER = r"^\s*Generated at .*(JIRA|Jira)"


def _has(header: set[str], names: tuple[str, ...]) -> bool:
    return any(n.lower() in header for n in names)


class JiraCsvFormat(Format):
    """A Jira CSV export → work_items (+ status_durations from ``[CHART] Time in Status``)."""

    name = "jira_csv"
    tables = ("work_items", "status_durations")
    description = "Jira CSV export"

    def sniff(self, probe: Probe) -> bool:
        if probe.looks_json:
            return False
        header = probe.header_set()
        if _has(header, KEY) and _has(header, SUMMARY):
            return True
        return (_has(header, ISSUE_TYPE) and _has(header, STATUS)
                and (_has(header, SUMMARY) or _has(header, ISSUE_ID)))

    def read(self, probe: Probe, ctx: ReadContext) -> dict[str, pd.DataFrame]:
        raw = read_csv(probe, ctx)
        _check_not_cut(probe, raw)
        raw = _drop_footer(raw, ctx)
        ids = _item_ids(raw, probe.path, ctx)
        if ids.isna().any():
            dropped = ids.isna()
            ctx.note("jira_rows_without_key", "warning", [f"row {raw.row_of(i)}" for i in ids.index[dropped][:10]],
                     f"{int(dropped.sum())} row(s) have no issue key; dropped", count=int(dropped.sum()))
            raw = _subset(raw, ~dropped)
            ids = ids[~dropped]
        if raw.frame.empty:
            return {"work_items": pd.DataFrame({"item_id": pd.Series(dtype="str")})}
        repeated = ids[ids.duplicated()]
        if len(repeated):
            ctx.note("jira_duplicate_keys", "warning", repeated.head(10), f"{len(repeated)} key(s) appear on "
                     "several rows of one export; the first row wins", count=len(repeated))

        def dates(names: tuple[str, ...]) -> pd.Series | None:
            column = raw.first(*names)
            if column is None:
                return None
            return parse_dates(raw.col(column), ctx, column=column, raw=raw, items=ids)

        created = dates(CREATED)
        if created is None:
            ctx.note("jira_no_created_column", "warning", [probe.path.name], "the export has no Created "
                     "column: created dates (lead time, arrivals) are unknown", count=len(ids))
        resolved = dates(RESOLVED)
        changed = dates(CATEGORY_CHANGED)
        empty_time = pd.Series(pd.NaT, index=ids.index, dtype="datetime64[us, UTC]")

        status = raw.col(*STATUS)
        resolution = raw.col(*RESOLUTION)
        category = _status_category(raw, status, resolution, ctx)
        dates_frame = lifecycle(category, status, resolution,
                                resolved if resolved is not None else empty_time, changed, ctx, items=ids)
        project = raw.col(*PROJECT_KEY).fillna(ids.str.extract(r"^([A-Za-z][A-Za-z0-9_]*)-\d+$")[0])
        items = pd.DataFrame({
            "item_id": ids,
            "title": raw.col(*SUMMARY),
            "item_type": localize_issue_types(raw.col(*ISSUE_TYPE)),
            "project": project,
            "team": raw.multi(*TEAM).map(lambda t: t[0] if t else None),
            "status": status,
            "status_category": category,
            "created_at": created if created is not None else empty_time,
            **{c: dates_frame[c] for c in dates_frame.columns},
            "resolution": resolution,
            "priority": raw.col(*PRIORITY),
            "estimate": _estimates(raw, ids, ctx),
            "labels": raw.multi(*LABELS),
            "sprints": raw.multi(*SPRINT),
            "releases": raw.multi(*FIX_VERSIONS),
            "assignee": strip_emails(raw.col(*ASSIGNEE)),
            "parent_id": _parents(raw),
            "source": SOURCE_CSV,
        }, index=ids.index)
        out = {"work_items": items}
        durations_column = raw.first(*TIME_IN_STATUS)
        if durations_column is not None:
            out["status_durations"] = decode_time_in_status(ids, raw.col(durations_column), ctx,
                                                            column=durations_column)
        return out


def _subset(raw: RawTable, keep: pd.Series) -> RawTable:
    keep = keep.to_numpy(dtype=bool)
    return RawTable(raw.path, raw.columns, raw.frame[keep], raw.rows[keep])


def _check_not_cut(probe: Probe, raw: RawTable) -> None:
    """A file that stops mid-row: no final line end and a last record shorter than the header.

    Jira ends every record with a line end, so this only costs a second parse of files that
    were cut (or hand-edited); pandas would silently pad the short row with empty cells.
    """
    text = probe.text
    if not text or text.endswith(("\n", "\r")):
        return
    last: list[str] = []
    try:
        for last in csv.reader(io.StringIO(text, newline="")):
            pass
    except csv.Error:
        return
    if len(last) < len(raw.columns):
        raise InputFormatError(probe.path, f"the last row has {len(last)} of {len(raw.columns)} columns and "
                               "no line end: the export looks cut off — export it again",
                               row=int(raw.rows[-1]) if len(raw.rows) else None)


def _drop_footer(raw: RawTable, ctx: ReadContext) -> RawTable:
    """Drop Server's ``Generated at … using JIRA …`` line (first cell only filled)."""
    if raw.frame.empty:
        return raw
    first = raw.frame[0].astype("str")
    candidates = first.str.match(FOOTER, na=False)
    if not candidates.any():
        return raw
    rest = raw.frame.loc[candidates].drop(columns=[0])
    rest_empty = rest.apply(lambda c: c.astype("str").str.strip().eq("")).all(axis=1)
    footer = candidates & rest_empty.reindex(first.index, fill_value=False)
    if not footer.any():
        return raw
    ctx.note("footer_dropped", "info", first[footer].str.slice(0, 60), "footer line(s) written by Jira "
             "after the issues dropped", count=int(footer.sum()))
    return _subset(raw, ~footer)


def _item_ids(raw: RawTable, path: Path, ctx: ReadContext) -> pd.Series:
    if raw.first(*KEY) is not None:
        return raw.col(*KEY)
    ids = pd.Series([f"{path.stem}-{row}" for row in raw.rows], index=raw.frame.index, dtype="str")
    ctx.note("jira_no_key_column", "warning", ids.head(3), "the export has no Issue key column: items "
             "are named <file>-<row>; they cannot be matched with other exports of the same issues",
             count=len(ids))
    return ids


def _status_category(raw: RawTable, status: pd.Series, resolution: pd.Series, ctx: ReadContext) -> pd.Series:
    inferred = infer_status_category(status, resolution)
    column = raw.first(*CATEGORY)
    if column is None:
        if status.notna().any():
            ctx.note("status_category_inferred", "info", [], "no Status Category column: the category "
                     "is inferred from status names and resolutions", count=int(status.notna().sum()))
        return inferred
    given = raw.col(column)
    mapped = map_status_category(given)
    unknown = given.notna() & mapped.isna()
    if unknown.any():
        ctx.note("unknown_status_category", "warning", given[unknown].unique()[:10],
                 f"{column!r} values not recognised; inferred from the status name instead",
                 count=int(unknown.sum()))
    return mapped.fillna(inferred).astype("str")


def _estimates(raw: RawTable, ids: pd.Series, ctx: ReadContext) -> pd.Series:
    """Story points: ``Story Points``, else ``Story point estimate``; non-numbers noted."""
    out = pd.Series(float("nan"), index=ids.index, dtype="float64")
    for names in (STORY_POINTS, STORY_POINT_ESTIMATE):
        column = raw.first(*names)
        if column is None:
            continue
        text = raw.col(column).str.replace(",", ".", regex=False)
        number = pd.to_numeric(text, errors="coerce")
        bad = text.notna() & number.isna()
        if bad.any():
            ctx.note("estimate_not_a_number", "warning", ids[bad].head(5),
                     f"{column!r}: {int(bad.sum())} value(s) are not numbers; ignored", count=int(bad.sum()))
        out = out.fillna(number)
    return out


def _parents(raw: RawTable) -> pd.Series:
    """Parent key, else Epic Link, else the numeric parent id mapped to a key via ``Issue id``."""
    parent = raw.col(*PARENT_KEY).fillna(raw.col(*EPIC_LINK))
    if raw.first(*PARENT_ID) is not None:
        numeric = raw.col(*PARENT_ID)
        keys = raw.col(*KEY) if raw.first(*KEY) is not None else None
        if keys is not None and raw.first(*ISSUE_ID) is not None:
            by_id = pd.Series(keys.to_numpy(), index=raw.col(*ISSUE_ID).to_numpy())
            by_id = by_id[by_id.index.notna() & ~by_id.index.duplicated()]
            numeric = numeric.map(by_id).fillna(numeric)
        parent = parent.fillna(numeric)
    return parent


# --- writer ----------------------------------------------------------------------------------

HEADERS_ES = {
    "Summary": "Resumen", "Issue key": "Clave de incidencia", "Issue id": "ID de la incidencia",
    "Issue Type": "Tipo de Incidencia", "Status": "Estado", "Project key": "Clave del proyecto",
    "Project name": "Nombre del proyecto", "Priority": "Prioridad", "Resolution": "Resolución",
    "Assignee": "Persona asignada", "Created": "Creada", "Updated": "Actualizada", "Resolved": "Resuelta",
    "Fix versions": "Versiones de corrección", "Labels": "Etiquetas", "Description": "Descripción",
    "Custom field (Story Points)": "Campo personalizado (Story Points)",
    "Custom field (Team)": "Campo personalizado (Team)", "Parent": "Principal",
    "Parent key": "Clave principal", "Status Category": "Categoría de estado",
    "Status Category Changed": "Categoría de estado cambiada",
}


def write_jira_csv(items: pd.DataFrame, path: str | Path, locale: str = "en") -> Path:
    """Write canonical work items as a Jira Cloud "all fields" CSV export.

    Repeated ``Fix versions`` / ``Labels`` / ``Sprint`` columns (as many as the longest tuple),
    dates as ``dd/MMM/yy h:mm a`` in UTC, ``Resolved`` = completed or canceled date, ``Status
    Category Changed`` = that date for done items and ``started_at`` for items in progress,
    numeric ``Issue id`` from 10000, CRLF line ends and a multi-line ``Description``. With
    ``locale="es"`` headers, month names and status categories are those of the Spanish UI.
    Returns the path written.
    """
    if locale not in ("en", "es"):
        raise ValueError(f"locale must be 'en' or 'es', not {locale!r}")
    items = items.reset_index(drop=True)
    n = len(items)

    def get(column: str) -> pd.Series:
        if column in items:
            return items[column]
        return pd.Series([() if column in ("labels", "sprints", "releases") else None] * n, dtype="object")

    def when(values: pd.Series) -> pd.Series:
        return format_jira_dates(pd.to_datetime(values, utc=True), locale)

    keys = get("item_id").astype("str")
    issue_ids = pd.Series(range(10000, 10000 + n)).astype("str")
    id_of = dict(zip(keys, issue_ids))
    category = get("status_category")
    finished = pd.to_datetime(get("completed_at"), utc=True).fillna(pd.to_datetime(get("canceled_at"), utc=True))
    started = pd.to_datetime(get("started_at"), utc=True)
    created = pd.to_datetime(get("created_at"), utc=True)
    changed = finished.where(category.eq("done")).fillna(started.where(category.eq("in_progress")))
    updated = pd.concat([created, started, finished], axis=1).max(axis=1)
    label_index = 1 if locale == "en" else 2
    columns: list[tuple[str, pd.Series]] = [
        ("Summary", get("title")), ("Issue key", keys), ("Issue id", issue_ids),
        ("Issue Type", get("item_type")), ("Status", get("status")), ("Project key", get("project")),
        ("Project name", get("project")), ("Priority", get("priority")), ("Resolution", get("resolution")),
        ("Assignee", get("assignee")), ("Created", when(created)), ("Updated", when(updated)),
        ("Resolved", when(finished)),
    ]
    columns += _repeated("Fix versions", get("releases"))
    columns += _repeated("Labels", get("labels"))
    columns.append(("Description", get("title").astype("str") + "\n\nAcceptance:\n- done when shipped"))
    columns += _repeated("Sprint", get("sprints"))
    estimate = pd.to_numeric(get("estimate"), errors="coerce")
    parent = get("parent_id")
    columns += [
        ("Custom field (Story Points)", estimate.map(lambda v: "" if v != v else f"{v:.1f}")),
        ("Custom field (Team)", get("team")),
        ("Parent", parent.map(lambda p: id_of.get(p, ""))), ("Parent key", parent),
        ("Status Category", category.map(lambda c: CATEGORY_LABELS[c][label_index] if c in CATEGORY_LABELS else "")),
        ("Status Category Changed", when(changed)),
    ]
    names = [HEADERS_ES.get(name, name) if locale == "es" else name for name, _ in columns]
    frame = pd.concat([s.reset_index(drop=True).astype("object").where(s.reset_index(drop=True).notna(), "")
                       for _, s in columns], axis=1)
    frame.columns = names
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\r\n", encoding="utf-8")
    return path


def _repeated(name: str, values: pd.Series) -> list[tuple[str, pd.Series]]:
    """One column per value (left-packed, as Jira does), at least one column."""
    tuples = values.map(lambda v: tuple(v) if isinstance(v, (tuple, list)) else ())
    width = max([len(t) for t in tuples] + [1])
    return [(name, tuples.map(lambda t, i=i: t[i] if i < len(t) else "")) for i in range(width)]

