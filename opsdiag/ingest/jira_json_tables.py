"""Jira REST pages as plain lists (``_Page``) → the canonical tables, built once for a run of pages.

``jira_json`` flattens each page's JSON into a ``_Page`` (the only per-issue Python loop);
``_build`` turns a run of them into work_items, transitions, field_changes, sprints and
releases, one frame per table, then splits the frames per page: each page gets the rows,
findings and error it has when read alone (rows de-duplicated and sorted within the page).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain

import numpy as np
import pandas as pd

from ..workflow_calendar import sorted_codes
from .base import ReadContext
from .dates import parse_page_dates
from .jira_common import SOURCE_JSON, PageNotes, infer_status_category, lifecycle, map_status_category, strip_emails

# changelog field (lower case) -> canonical field_changes.field
CHANGE_FIELDS = {"priority": "priority", "sprint": "sprint", "fix version": "fix_version", "flagged": "flagged"}


@dataclass
class _Page:
    """One page as plain lists: work item rows, flat changelog items, sprint and release objects."""

    ctx: ReadContext
    kind: str  # "issues" (search pages, issues) or "changelog"
    changes: list[tuple]  # (item_id, created, field, fromString, toString) per changelog item
    rows: list[tuple] = field(default_factory=list)  # ITEM_COLUMNS per issue
    sprints: list[dict] = field(default_factory=list)
    releases: list[dict] = field(default_factory=list)
    truncated: list[str] = field(default_factory=list)  # issues carrying part of their changelog
    no_estimate: bool = False  # no custom field is known to hold story points


ITEM_COLUMNS = ("item_id", "title", "item_type", "project", "team", "status", "category", "created_at",
                "resolved", "changed", "resolution", "priority", "estimate", "labels", "sprints", "releases",
                "assignee", "parent_id")


def _field_names(given: pd.Series) -> pd.Series:
    """Changelog field names in lower case, stripped ('' when missing); once per distinct name."""
    values = given.to_numpy(dtype=object)
    try:
        codes, names = pd.factorize(values)
    except TypeError:  # an unhashable value (a list): name by name
        codes, names = None, ()
    if codes is None or not all(isinstance(name, str) for name in names):
        return pd.Series([str(v or "").strip().lower() for v in values], index=given.index, dtype=object)
    lower = np.array([name.strip().lower() for name in names] + [""], dtype=object)
    out = lower[codes]
    for row in np.flatnonzero(codes < 0):  # None (or NaN): what str(value or "") gives
        out[row] = str(values[row] or "").strip().lower()
    return pd.Series(out, index=given.index, dtype=object)


def _build(pages: list[_Page]) -> list[dict[str, pd.DataFrame] | Exception]:
    """``_tables`` of the pages; when that fails, each page alone, so the error names its page."""
    if not pages:
        return []
    try:
        return _tables(pages)
    except Exception as exc:  # a value pandas cannot handle: find the page (read alone it fails too)
        if len(pages) == 1:
            return [exc]
        for page in pages:
            page.ctx.findings.clear()
        return [_build([page])[0] for page in pages]


def _tables(pages: list[_Page]) -> list[dict[str, pd.DataFrame] | Exception]:
    """Every page's tables from one frame per table; per page, the rows, findings and error it has alone.

    Each frame holds the pages' rows in page order with ``_of_page`` (each row's page), so
    de-duplication and sorting are per page and ``PageNotes`` notes each page's own findings.
    """
    contexts = [page.ctx for page in pages]
    failed: dict[int, Exception] = {}  # page -> the InputFormatError reading it alone raises
    for page in pages:
        if page.truncated:
            page.ctx.note("changelog_truncated", "warning", page.truncated, f"{len(page.truncated)} issue(s) "
                          "carry only part of their history in this page; add their /issue/KEY/changelog pages "
                          "(opsdiag jira-export fetches them)", count=len(page.truncated))
        if page.no_estimate and page.rows:
            page.ctx.note("jira_story_points_unknown", "info", [], "the page has no 'names' map naming the "
                          "Story Points field (request it with expand=names): estimates are empty", count=1)
    transitions, changes = _changes(_concat([page.changes for page in pages]),
                                    _of_page([len(page.changes) for page in pages]), contexts, failed)
    items = _frame(_concat([page.rows for page in pages]), ITEM_COLUMNS)
    items_page = _of_page([len(page.rows) for page in pages])
    items["source"] = SOURCE_JSON
    history = _in_history(items["item_id"], items_page, transitions)
    out = {"transitions": transitions, "field_changes": changes,
           "work_items": _work_items(items, items_page, history, contexts, failed)}
    sprints = _concat([page.sprints for page in pages])
    out["sprints"] = _sprints(sprints, _of_page([len(page.sprints) for page in pages]), contexts, failed)
    out["releases"] = _releases(_concat([page.releases for page in pages]),
                                _of_page([len(page.releases) for page in pages]), contexts, failed)
    split = {name: _split(frame, len(pages)) for name, frame in out.items()}
    results = []
    for number, page in enumerate(pages):
        if number in failed:
            results.append(failed[number])
            continue
        names = ("transitions", "field_changes") if page.kind == "changelog" else tuple(out)
        results.append({name: split[name][number] for name in names})
    return results


def _concat(lists: list[list]) -> list:
    return list(chain.from_iterable(lists))


def _frame(rows: list[tuple], columns) -> pd.DataFrame:
    """Rows of plain values as a frame of object columns, values kept as they are (no inference)."""
    if not rows:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in columns})
    return pd.DataFrame({column: np.fromiter(values, dtype=object, count=len(rows))
                         for column, values in zip(columns, zip(*rows))})


def _of_page(counts: list[int]) -> np.ndarray:
    """Each row's page number, for rows laid out page after page."""
    return np.repeat(np.arange(len(counts)), counts)


def _split(frame: pd.DataFrame, count: int) -> list[pd.DataFrame]:
    """One frame per page from a frame in page order with its ``_of_page`` column (then dropped)."""
    bounds = np.searchsorted(frame["_of_page"].to_numpy(), np.arange(count + 1))
    frame = frame.drop(columns="_of_page")
    return [frame.iloc[bounds[i]:bounds[i + 1]] for i in range(count)]


def _times(values: pd.Series, pages: np.ndarray, contexts: list[ReadContext], failed: dict, column: str,
           items: pd.Series | None = None) -> pd.Series:
    return parse_page_dates(values, pages, contexts, failed, column=column, items=items)


def _in_history(ids: pd.Series, pages: np.ndarray, transitions: pd.DataFrame) -> np.ndarray:
    """Whether each item has a status change in the same page (a page's changelog is its own)."""
    if transitions.empty:
        return np.zeros(len(ids), dtype=bool)
    codes, keys = pd.factorize(pd.concat([ids, transitions["item_id"]], ignore_index=True))
    span = len(keys) + 1
    mine = pages.astype(np.int64) * span + codes[:len(ids)]
    changed = transitions["_of_page"].to_numpy().astype(np.int64) * span + codes[len(ids):]
    return np.isin(mine, changed)


def _work_items(frame: pd.DataFrame, pages: np.ndarray, history: np.ndarray, contexts: list[ReadContext],
                failed: dict) -> pd.DataFrame:
    """Fields → work items; the lifecycle fallbacks are noted only for items without a changelog."""
    if frame.empty:
        return frame.assign(_of_page=pages)
    ids = frame["item_id"].astype("str")
    for column in ("created_at", "resolved", "changed"):
        frame[column] = _times(frame[column], pages, contexts, failed, column, ids)
    status, resolution = frame["status"].astype("str"), frame["resolution"].astype("str")
    category = map_status_category(frame["category"]).fillna(infer_status_category(status, resolution))
    frame["status_category"] = category.astype("str")
    history = pd.Series(history, index=frame.index)
    dates = lifecycle(category.where(~history), status, resolution, frame["resolved"], frame["changed"],
                      PageNotes(contexts, pages), items=ids)
    if history.any():  # a changelog decides these items' dates downstream; keep the fields as given
        dates.loc[history] = lifecycle(category[history], status[history], resolution[history],
                                       frame.loc[history, "resolved"], frame.loc[history, "changed"],
                                       ReadContext(timezone=contexts[0].timezone), items=ids[history])
    frame[dates.columns] = dates
    frame["assignee"] = strip_emails(frame["assignee"])
    return frame.drop(columns=["category", "resolved", "changed"]).assign(_of_page=pages)


def _changes(flat: list[tuple], pages: np.ndarray, contexts: list[ReadContext],
             failed: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Changelog items → transitions (status items) and field_changes (the fields that matter).

    Per page, as each page alone: duplicates dropped (first kept), rows sorted by item then time.
    """
    frame = _frame(flat, ["item_id", "at", "field", "from_value", "to_value"])
    if frame.empty:
        return (pd.DataFrame(columns=["item_id", "at", "from_status", "to_status", "source", "_of_page"]),
                pd.DataFrame(columns=["item_id", "at", "field", "from_value", "to_value", "_of_page"]))
    frame["field"] = _field_names(frame["field"])
    frame["at"] = _times(frame["at"], pages, contexts, failed, "created", frame["item_id"])
    items = sorted_codes(frame["item_id"])[0]  # codes that sort as the ids do
    stamps = frame["at"].dt.tz_localize(None).to_numpy().view(np.int64)
    after = np.where(frame["at"].isna().to_numpy(), np.iinfo(np.int64).max, stamps)  # NaT last, as sort_values

    def per_page(rows: np.ndarray, *keys: np.ndarray) -> np.ndarray:
        """``rows`` without repeats of (page, item, time, *keys) (first kept), sorted by page, item, time.

        Sorted first (stable, so each page/item/time group keeps the original order); repeats
        can only sit in a group of several rows, and only those rows are compared.
        """
        for key in keys:  # an unhashable value fails here, as in drop_duplicates (the page is an error)
            if pd.api.types.infer_dtype(key[rows], skipna=True) not in ("string", "empty"):
                pd.factorize(key[rows])
        rows = rows[np.lexsort((after[rows], items[rows], pages[rows]))]
        same = ((pages[rows][1:] == pages[rows][:-1]) & (items[rows][1:] == items[rows][:-1])
                & (stamps[rows][1:] == stamps[rows][:-1]))
        grouped = np.zeros(len(rows), dtype=bool)
        grouped[1:] |= same
        grouped[:-1] |= same
        if not grouped.any():
            return rows
        within = np.flatnonzero(grouped)
        repeat = _duplicated([pages[rows[within]], items[rows[within]], stamps[rows[within]],
                              *(k[rows[within]] for k in keys)])
        keep = np.ones(len(rows), dtype=bool)
        keep[within[repeat]] = False
        return rows[keep]

    field_name = frame["field"]
    to_value = frame["to_value"].to_numpy()
    status = per_page(np.flatnonzero(field_name.eq("status").to_numpy()), to_value)
    transitions = pd.DataFrame({"item_id": frame["item_id"].iloc[status].array, "at": frame["at"].iloc[status].array,
                                "from_status": frame["from_value"].iloc[status].array,
                                "to_status": frame["to_value"].iloc[status].array, "source": SOURCE_JSON,
                                "_of_page": pages[status]})
    frame["field"] = field_name.map(CHANGE_FIELDS)
    other = per_page(np.flatnonzero(field_name.isin(CHANGE_FIELDS).to_numpy()), frame["field"].to_numpy(), to_value)
    changes = frame.iloc[other].assign(_of_page=pages[other])
    return transitions, changes


def _duplicated(keys: list[np.ndarray]) -> np.ndarray:
    """``duplicated`` (first occurrence kept; missing equals missing) over rows of key arrays.

    Each key becomes integer codes, combined into one integer per row while they fit in 63 bits.
    """
    combined = np.zeros(len(keys[0]), dtype=np.int64)
    span = 1
    for key in keys:
        codes, uniques = pd.factorize(key)
        span *= len(uniques) + 1
        if span >= 2 ** 62:
            return pd.DataFrame({i: pd.factorize(k)[0] for i, k in enumerate(keys)}).duplicated().to_numpy()
        combined = combined * (len(uniques) + 1) + (codes + 1)
    return pd.Series(combined).duplicated().to_numpy()


def _first_in_page(values: pd.Series, pages: np.ndarray) -> np.ndarray:
    """Rows holding the first occurrence of their value within their page (rows in page order).

    ``drop_duplicates`` on the one column, page by page: names are compared as codes; other
    values (a name that is an object or a list) page by page, as pandas compares them.
    """
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return ~_duplicated([pages, values.to_numpy(dtype=object)])
    keep = np.ones(len(values), dtype=bool)
    bounds = np.flatnonzero(np.diff(pages, prepend=-1, append=-1))
    for start, stop in zip(bounds[:-1], bounds[1:]):  # one pass per page, only for odd values
        keep[start:stop] = ~values.iloc[start:stop].duplicated().to_numpy()
    return keep


def _sprints(rows: list[dict], pages: np.ndarray, contexts: list[ReadContext], failed: dict) -> pd.DataFrame:
    """Sprint objects that carry dates or a state → the sprints table (one row per name and page)."""
    frame = pd.DataFrame(rows, columns=["id", "name", "state", "start", "end"]).assign(_of_page=pages)
    frame = frame[frame["start"].notna() | frame["end"].notna() | frame["state"].notna()]
    frame = frame[_first_in_page(frame["name"], frame["_of_page"].to_numpy())]
    if frame.empty:
        return pd.DataFrame(columns=["sprint", "team", "start", "end", "state", "_of_page"])
    kept = frame["_of_page"].to_numpy()
    return pd.DataFrame({"sprint": frame["name"], "team": None,
                         "start": _times(frame["start"], kept, contexts, failed, "startDate", frame["name"]),
                         "end": _times(frame["end"], kept, contexts, failed, "endDate", frame["name"]),
                         "state": frame["state"], "_of_page": kept})


def _releases(rows: list[dict], pages: np.ndarray, contexts: list[ReadContext], failed: dict) -> pd.DataFrame:
    """Fix versions → releases: ``releaseDate`` is released when ``released``, else planned."""
    frame = pd.DataFrame(rows, columns=["name", "released", "archived", "releaseDate"]).assign(_of_page=pages)
    frame = frame[_first_in_page(frame["name"], pages)]
    if frame.empty:
        return pd.DataFrame(columns=["release", "team", "planned_date", "released_date", "status", "_of_page"])
    kept = frame["_of_page"].to_numpy()
    date = _times(frame["releaseDate"], kept, contexts, failed, "releaseDate", frame["name"])
    released = frame["released"].astype("object").eq(True)
    status = pd.Series("unreleased", index=frame.index).mask(released, "released")
    status = status.mask(frame["archived"].astype("object").eq(True), "archived")
    return pd.DataFrame({"release": frame["name"], "team": None, "planned_date": date.where(~released),
                         "released_date": date.where(released), "status": status, "_of_page": kept})
