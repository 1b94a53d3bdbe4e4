"""Link customer feedback to the work items it asked for.

The rule (``link_feedback``), applied after a client folder is read:

1. Explicit links already parsed by the importers (Zendesk ``Linked Jira issues``, Canny
   ``Jira Issue``, Productboard features naming a key, ``linked_item_ids`` in feedback.csv) are
   kept as they are, first and in their order, even when the item is not in the export (the
   funnel metric checks existence).
2. Issue keys written in the title, the kept text or a tag are added when they name an
   existing work item: ``[A-Z][A-Z0-9]+-\\d+`` as a whole word (``PROJ-12``), matched case-sensitively
   against ``items.item_id`` — so ``covid-19`` or ``utf-8`` never link, and neither does a key
   that is not in the export.
3. GitHub references: ``owner/repo#12`` links when it is an item id; a bare ``#12`` links only
   when exactly one work item id ends in ``#12`` (one repository in the export). With several
   repositories it is ambiguous and ignored.

Found ids follow the explicit ones in order of appearance (title, text, tags), without repeats.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .text import isin_text

KEY = r"(?<![\w-])(?P<key>[A-Z][A-Z0-9]+-\d+)(?!\w)"
REPO_REF = r"(?<![\w./-])(?P<repo_ref>[\w.-]+/[\w.-]+#\d+)(?!\w)"
BARE_NUMBER = r"(?<![\w/#])#(?P<number>\d+)(?!\w)"
REFERENCE = f"{KEY}|{REPO_REF}|{BARE_NUMBER}"


def link_feedback(feedback: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """The feedback frame with ``linked_item_ids`` completed from references in its text.

    Parameters
    ----------
    feedback : canonical ``feedback`` frame (``linked_item_ids`` holds the explicit links).
    items : canonical ``work_items`` frame (only ``item_id`` is used).

    Returns
    -------
    A copy of ``feedback`` (same index and columns) whose ``linked_item_ids`` tuples are the
    explicit links followed by the item ids referenced in title, text and tags (rule in the
    module docstring). Empty feedback is returned unchanged; without items only explicit
    links remain.
    """
    out = feedback.copy()
    if out.empty:
        return out
    # the explicit links as they are kept: missing ones left out, as text, each once
    if "linked_item_ids" in out:
        linked = _per_cell(out["linked_item_ids"], _kept_links)
    else:
        linked = [()] * len(out)

    text = _column_text(out, "title") + "\n" + _column_text(out, "text") + "\n" + _tag_text(out)
    text = text.reset_index(drop=True)
    # every reference holds a "#" or an upper-case word and a "-": only rows with one are searched
    # by Python's regex (this test runs on all rows at once, in Arrow's regex kernel)
    maybe = text.str.contains(r"[A-Z][A-Z0-9]+-|#", regex=True).to_numpy(dtype=bool)
    found = text[maybe].str.extractall(REFERENCE)  # level 0 = row position
    if not found.empty:
        ids = pd.Index(items["item_id"].dropna().astype("str").unique() if len(items) else [], dtype="str")
        by_number = found["number"].map(_unique_by_number(ids)).astype("str")
        refs = found["key"].fillna(found["repo_ref"]).fillna(by_number)
        refs.index = found.index.get_level_values(0)
        refs = refs[isin_text(refs, ids)]
        rows = refs.index.to_numpy()
        # the ids found follow the explicit links of their row, each id once
        found_ids = _group_tuples(rows, refs.astype("str").to_numpy(dtype=object), len(out))
        for row in np.unique(rows).tolist():
            linked[row] = tuple(dict.fromkeys(linked[row] + found_ids[row]))
    out["linked_item_ids"] = pd.Series(linked, index=out.index, dtype="object")
    return out


def linked_share(feedback: pd.DataFrame) -> float:
    """Share of feedback rows linked to at least one work item.

    ``count(rows with non-empty linked_item_ids) / count(rows)``, a fraction in [0, 1]. Counts
    links as they stand (call ``link_feedback`` first to include references found in text).
    Empty feedback gives NaN (not assessed, never "healthy").
    """
    if feedback is None or len(feedback) == 0 or "linked_item_ids" not in feedback:
        return float("nan")
    linked = feedback["linked_item_ids"].map(lambda v: isinstance(v, (tuple, list)) and len(v) > 0)
    return float(linked.mean())


def _column_text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series("", index=frame.index)
    return frame[column].fillna("").astype("str")


def _tag_text(frame: pd.DataFrame) -> pd.Series:
    if "tags" not in frame:
        return pd.Series("", index=frame.index)
    joined = _per_cell(frame["tags"], lambda v: " ".join(map(str, v)) if isinstance(v, (tuple, list)) else "")
    return pd.Series(joined, index=frame.index, dtype="str")


def _kept_links(cell) -> tuple:
    """A cell of explicit links as ``link_feedback`` keeps them: its non-missing values as
    text, each once, in order (``()`` for a cell that is not a tuple or list)."""
    if not isinstance(cell, (tuple, list)):
        return ()
    if not all(type(v) is str for v in cell):  # (canonical cells hold text only)
        cell = [str(v) for v in cell if not (pd.api.types.is_scalar(v) and pd.isna(v))]
    return tuple(dict.fromkeys(cell))


def _per_cell(cells: pd.Series, convert) -> list:
    """``[convert(cell) for cell in cells]``, converted once per distinct cell: a column of
    tuples repeats a few (tags, an item's links). Cells are told apart by equality, as
    canonical tuples of text are."""
    values = cells.to_numpy(dtype=object)
    try:
        codes, distinct = pd.factorize(values, use_na_sentinel=False)
    except TypeError:  # an unhashable cell (a list)
        return [convert(cell) for cell in values]
    converted = [convert(cell) for cell in distinct]
    return [converted[code] for code in codes.tolist()]


def _group_tuples(rows: np.ndarray, values: np.ndarray, n: int) -> list[tuple]:
    """One tuple per row position ``0..n-1`` of the ``values`` at that position, in order."""
    out = [()] * n
    if not len(rows):
        return out
    order = np.argsort(rows, kind="stable")
    rows, values = rows[order], values[order]
    bounds = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1], True])  # one run per row with values
    for row, start, end in zip(rows[bounds[:-1]].tolist(), bounds[:-1].tolist(), bounds[1:].tolist()):
        out[row] = tuple(values[start:end])
    return out


def _unique_by_number(ids: pd.Index) -> dict[str, str]:
    """``"12" → "owner/repo#12"`` for issue numbers that exactly one item id ends with."""
    ids = pd.Series(ids, dtype="str")
    ids = ids[ids.str.contains("#", regex=False).to_numpy(dtype=bool)]  # the others end in no "#12"
    numbers = ids.str.extract(r"#(\d+)$", expand=False)
    owners = pd.DataFrame({"number": numbers, "item_id": ids}).dropna()
    unique = owners.groupby("number")["item_id"].agg(["count", "first"])
    unique = unique[unique["count"] == 1]
    return dict(zip(unique.index, unique["first"]))
