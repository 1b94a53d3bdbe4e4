"""Customer-feedback exports → the ``feedback`` table: Zendesk, Intercom, Productboard, Canny.

No real export of these tools was available, so each reader follows the vendor's documented
export columns and is liberal in what it accepts: header aliases (any case), ISO 8601 with or
without offset, ``… UTC``, Unix epoch seconds, US ``03/01/2024 14:30`` and spelled-out dates.
Naive timestamps are read in the engagement timezone.

How a row becomes canonical (one rule set for all four tools, ``FeedbackSpec`` holds what differs):

- ``feedback_id`` = ``<tool>-<export id>`` (``zendesk-4512``); ``source`` = the tool.
- ``customer`` = the organisation / company column; without one, the domain of the requester's
  e-mail. E-mail addresses are never kept: e-mail columns are only read for that domain, and
  addresses inside titles and descriptions are replaced by ``[email]``.
- ``title`` = subject / title; ``text`` = the first 500 characters of the description (kept only
  for keyword themes; comment threads are not read).
- ``account_arr`` = an ARR column, else 12 × an MRR / monthly-spend column, in cents precision.
- ``tags`` = the tags column as a tuple (Zendesk: space-separated; the others: comma-separated).
  Productboard feature names that hold no issue key are kept as tags ``feature:<name>``.
- ``linked_item_ids`` = issue references in the explicit link columns (``Linked Jira issues``,
  ``Jira Issue``, ``Linked issues`` …, and Productboard features): Jira/Linear keys (also inside
  ``…/browse/KEY`` URLs, upper-cased) and GitHub ``owner/repo#12`` / ``…/issues/12`` URLs.
  Keys mentioned in titles or text are linked later by ``opsdiag.linking.link_feedback``.
- ``triaged_at`` = the earliest explicit triage timestamp: ``Initially assigned at``,
  ``Assigned at``, first reply / first admin reply / first response, ``Processed at``,
  ``Triaged at`` (Zendesk also ``created + First reply time in minutes``). A row without one whose
  status is past the tool's initial status (Zendesk *new*, Intercom *open*, Productboard
  *unprocessed*, Canny *open*) gets the earliest of its solved, status-changed and updated
  times — an upper bound on when someone first acted on it. Initial-status rows stay untriaged.
- ``solved_at`` = the earliest of ``Solved at``/``Resolved at``/``Closed at``/``Completed at``;
  without one, a row in a solved status (Zendesk solved/closed, Intercom closed, Canny
  complete/closed) takes its status-changed, else updated time. A row whose status is known and
  not a solved one (a reopened ticket) has no solved_at.

The ``write_*_csv`` functions turn a canonical feedback frame back into a realistic export of
each tool (sample clients, round-trip tests). Each tool's columns, sniff and writer live in its
own module (``zendesk.py``, ``intercom.py``, ``productboard.py``, ``canny.py``).
"""

from __future__ import annotations

import importlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputFormatError
from .base import Format, Probe, RawTable, ReadContext, parse_numbers, parse_times, read_csv

log = logging.getLogger(__name__)

TEXT_CHARS = 500
EMAIL_PATTERN = r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+"
OFFSET_PATTERN = r"(?:Z|[+-]\d{2}:?\d{2})$"
# GitHub ``owner/repo#12`` or ``…/owner/repo/issues/12``; then a Jira/Linear key
REPO_REF = r"(?P<repo>[\w.-]+/[\w.-]+)(?:/issues/|/pull/|#)(?P<number>\d+)"
LINK_PATTERN = REPO_REF + r"|(?<![\w-])(?P<key>[A-Za-z][A-Za-z0-9]+-\d+)(?!\w)"  # link columns: any case
NAME_PATTERN = REPO_REF + r"|(?<![\w-])(?P<key>[A-Z][A-Z0-9]+-\d+)(?!\w)"  # feature names: upper case

TITLE = ("Subject", "Title", "Ticket subject", "Conversation title", "Note title", "Post title", "Summary")
TEXT = ("Description", "Details", "Note text", "Note content", "Content", "Body", "Initial message",
        "First message", "Conversation body", "Message", "Text")
STATUS = ("Status", "State", "Ticket status", "Conversation state", "Note state")
CREATED = ("Created at", "Created", "Created at (UTC)", "Created date", "Date created",
           "Conversation started at", "Submitted at", "Date")
UPDATED = ("Updated at", "Updated", "Updated at (UTC)", "Last updated", "Last updated at",
           "Last activity at")
STATUS_CHANGED = ("Status changed at", "Status updated at", "Status change date")
CUSTOMER = ("Organization", "Organisation", "Organization name", "Company", "Company name",
            "Account", "Account name", "Customer")
EMAIL = ("Requester email", "Requester e-mail", "User email", "User e-mail", "Customer email",
         "Author email", "Contact email", "Email", "E-mail")
ARR = ("Account ARR", "ARR", "Company ARR", "Organization ARR", "Annual revenue",
       "Company annual revenue")
MRR = ("Company MRR", "MRR", "Account MRR", "Organization MRR", "Company monthly spend",
       "Monthly spend")
CHANNEL = ("Via", "Channel", "Source type", "Initiated via", "Source", "Board")
TAGS = ("Tags", "Tag", "Labels")
FEATURES = ("Features", "Linked features", "Feature")
LINKS = ("Linked Jira issues", "Jira issues", "Jira issue", "Jira Issue Key", "Jira keys",
         "Linked issues", "Linked issue", "Linear issue", "Linear issues", "GitHub issue",
         "GitHub issues", "Linked work items", "Work items")
TRIAGED = ("Triaged at", "Initially assigned at", "Assigned at", "First assignment at",
           "First admin reply at", "First response at", "First reply at", "First replied at",
           "Processed at")
FIRST_REPLY_MINUTES = ("First reply time in minutes", "First response time in minutes")
SOLVED = ("Solved at", "Resolved at", "Closed at", "Last closed at", "Completed at", "Completed date")


@dataclass(frozen=True)
class FeedbackSpec:
    """What differs between the feedback tools; everything else is the shared rule set."""

    source: str
    description: str
    ids: tuple[str, ...]
    initial_statuses: frozenset
    solved_statuses: frozenset
    tag_separator: str = ","
    channels: tuple[str, ...] = CHANNEL  # columns giving the channel, first present wins


class FeedbackFormat(Format):
    """One feedback tool's CSV export, read with the shared rules of this module."""

    tables = ("feedback",)

    def __init__(self, spec: FeedbackSpec, sniff):
        self.spec = spec
        self.name = f"{spec.source}_csv"
        self.description = spec.description
        self._sniff = sniff

    def sniff(self, probe: Probe) -> bool:
        return bool(probe.header) and self._sniff(probe.header_set())

    def read(self, probe: Probe, ctx: ReadContext) -> dict[str, pd.DataFrame]:
        return {"feedback": read_feedback(read_csv(probe, ctx), self.spec, ctx)}


def read_feedback(raw: RawTable, spec: FeedbackSpec, ctx: ReadContext) -> pd.DataFrame:
    """The canonical feedback rows of one export (rules in the module docstring)."""
    id_column = raw.first(*spec.ids)
    if id_column is None:
        raise InputFormatError(raw.path, f"no id column (expected one of {', '.join(spec.ids)})",
                               column=spec.ids[0])
    ids = raw.col(id_column).str.replace(r"\.0$", "", regex=True)  # Excel turns 4512 into 4512.0
    if ids.isna().any():
        first = ids[ids.isna()].index[0]
        raise InputFormatError(raw.path, "empty id", row=raw.row_of(first), column=id_column)
    feedback_ids = spec.source + "-" + ids

    def times(names, strict=False) -> pd.Series:
        column = raw.first(*names)
        if column is None:
            return pd.Series(pd.NaT, index=raw.frame.index, dtype="datetime64[us, UTC]")
        text = _prepare_dates(raw.col(column))
        # values with and without an offset are parsed apart, so naive ones get the local zone
        aware = text.str.contains(OFFSET_PATTERN).fillna(False).astype(bool)
        parts = [parse_times(text[part], ctx, column=column, raw=raw, items=feedback_ids, strict=strict)
                 for part in (aware, ~aware) if part.any()]
        if not parts:
            return pd.Series(pd.NaT, index=raw.frame.index, dtype="datetime64[us, UTC]")
        return pd.concat(parts).reindex(raw.frame.index)

    def earliest(names) -> pd.Series:
        present = [c for c in dict.fromkeys(raw.columns[p] for p in raw.positions(*names))]
        columns = [times((c,)) for c in present]
        if not columns:
            return times(())
        return pd.concat(columns, axis=1).min(axis=1).astype("datetime64[us, UTC]")

    created = times(CREATED, strict=True)
    if raw.first(*CREATED) is None or created.isna().any():
        missing = created.isna()
        ctx.note("feedback_without_created", "warning", feedback_ids[missing],
                 "feedback rows without a creation date cannot be aged", count=int(missing.sum()))
    status = raw.col(*STATUS)
    key = status.str.lower()
    updated, changed = times(UPDATED), times(STATUS_CHANGED)

    triaged = earliest(TRIAGED)
    minutes_column = raw.first(*FIRST_REPLY_MINUTES)
    if minutes_column is not None:
        minutes = parse_numbers(raw.col(minutes_column), ctx, column=minutes_column, raw=raw,
                                items=feedback_ids)
        replied = created + pd.to_timedelta(minutes, unit="m")
        triaged = pd.concat([triaged, replied], axis=1).min(axis=1).astype("datetime64[us, UTC]")

    solved = earliest(SOLVED)
    in_solved = key.isin(spec.solved_statuses)
    solved = solved.where(solved.notna() | ~in_solved, changed.fillna(updated))
    solved = solved.where(key.isna() | in_solved)

    past_initial = key.notna() & ~key.isin(spec.initial_statuses)
    fallback = pd.concat([solved, changed, updated], axis=1).min(axis=1).astype("datetime64[us, UTC]")
    inferred = triaged.isna() & past_initial & fallback.notna()
    triaged = triaged.where(~inferred, fallback)
    if inferred.any():
        ctx.note("triage_time_inferred", "info", feedback_ids[inferred],
                 f"{int(inferred.sum())} {spec.source} rows have no assignment or reply time; "
                 "triaged_at is taken from their solved/updated time (an upper bound)",
                 count=int(inferred.sum()))

    tags = raw.multi(*TAGS, split=spec.tag_separator)
    links = _explicit_links(raw.multi(*LINKS))
    features = raw.multi(*FEATURES, split=",")
    if raw.has(*FEATURES):
        tags, links = _merge_features(tags, links, features)

    frame = pd.DataFrame({
        "feedback_id": feedback_ids, "source": spec.source, "created_at": created,
        "customer": _customer(raw), "account_arr": _arr(raw, ctx, feedback_ids),
        "channel": raw.col(*spec.channels), "title": _redact(raw.col(*TITLE)),
        "text": _redact(raw.col(*TEXT)).str.slice(0, TEXT_CHARS),  # redact first: no cut addresses
        "tags": tags, "status": status, "triaged_at": triaged, "solved_at": solved,
        "linked_item_ids": links,
    }, index=raw.frame.index)
    return frame


def _prepare_dates(text: pd.Series) -> pd.Series:
    """Rewrite what ``parse_times`` would miss: ``… UTC``/``… GMT`` suffixes and epoch seconds."""
    text = text.str.replace(r"\s+(?:UTC|GMT|Z)$", "+00:00", regex=True)
    epoch = text.str.fullmatch(r"\d{10}(?:\.\d+)?").fillna(False).astype(bool)
    if epoch.any():
        seconds = pd.to_numeric(text[epoch], errors="coerce")
        as_iso = pd.to_datetime(seconds, unit="s", utc=True).dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        text = text.astype("object")
        text[epoch] = as_iso
    return text


def _redact(values: pd.Series) -> pd.Series:
    return values.str.replace(EMAIL_PATTERN, "[email]", regex=True)


def _customer(raw: RawTable) -> pd.Series:
    """Organisation/company; an e-mail there, or the requester's e-mail, gives its domain."""
    named = raw.col(*CUSTOMER)
    named_domain = named.str.extract(r"@([\w.-]+)$", expand=False).str.lower()
    named = named.where(named_domain.isna(), named_domain)
    email = raw.col(*EMAIL).str.extract(r"@([\w.-]+\.[\w-]+)\s*$", expand=False).str.lower()
    return named.fillna(email)


def _arr(raw: RawTable, ctx: ReadContext, ids: pd.Series) -> pd.Series:
    """Annual recurring revenue: an ARR column, else 12 × MRR/monthly spend (2 decimals)."""
    def money(names):
        column = raw.first(*names)
        if column is None:
            return pd.Series(np.nan, index=raw.frame.index)
        text = raw.col(column).str.replace(r"[$€£¥\s]|[A-Z]{3}$", "", regex=True)
        return parse_numbers(text, ctx, column=column, raw=raw, items=ids)
    return money(ARR).fillna(money(MRR) * 12).round(2)


def _links_long(cells: pd.Series, pattern: str = LINK_PATTERN) -> pd.Series:
    """Issue references in text cells: one row per reference, indexed by the cell's label."""
    labels = cells.index
    found = cells.reset_index(drop=True).str.extractall(pattern)
    if found.empty:
        return pd.Series([], dtype="str")
    refs = (found["repo"] + "#" + found["number"]).fillna(found["key"].str.upper())
    refs.index = labels[found.index.get_level_values(0)]
    return refs


def _explicit_links(cells: pd.Series) -> pd.Series:
    """Link-column cells (tuples of raw text) → tuples of issue ids."""
    return _tuples(_links_long(cells.map(" ".join)), cells.index)


def _tuples(refs: pd.Series, index: pd.Index) -> pd.Series:
    """Long (index → value) → one de-duplicated tuple per index (empty tuple where none)."""
    long = pd.DataFrame({"row": refs.index, "ref": refs.to_numpy()}).drop_duplicates()
    grouped = long.groupby("row", sort=False)["ref"].agg(tuple)
    out = pd.Series([()] * len(index), index=index, dtype="object")
    out.loc[grouped.index] = grouped
    return out


def _merge_features(tags: pd.Series, links: pd.Series, features: pd.Series):
    """Productboard features: issue refs in their names → links; other names → ``feature:`` tags."""
    names = features.explode().dropna()
    refs = _links_long(names, NAME_PATTERN)
    plain = names[~names.str.contains(re.sub(r"\(\?P<\w+>", "(?:", NAME_PATTERN))]
    merged = pd.concat([links.explode().dropna(), refs])
    return tags + _tuples("feature:" + plain, tags.index), _tuples(merged, tags.index)


# --- helpers of the writers (zendesk.py, intercom.py, productboard.py, canny.py) -----------

def time_text(values: pd.Series, fmt: str) -> pd.Series:
    values = pd.to_datetime(values, utc=True)
    return values.dt.strftime(fmt).where(values.notna(), "")


def plain_text(values: pd.Series) -> pd.Series:
    return values.astype("object").where(values.notna(), "").astype("str")


def joined_text(values: pd.Series, separator: str, space: str | None = None) -> pd.Series:
    def join(cell) -> str:
        items = [str(v) for v in (cell if isinstance(cell, (tuple, list)) else ())]
        return separator.join(v.replace(" ", space) if space else v for v in items)
    return values.map(join).astype("str")


def export_ids(feedback: pd.DataFrame, source: str) -> pd.Series:
    return feedback["feedback_id"].astype("str").str.replace(f"^{source}-", "", regex=True)


def made_up_contacts(customer: pd.Series) -> tuple[pd.Series, pd.Series]:
    """A made-up contact name and e-mail per row (``contact3@acme-robotics.example``)."""
    number = pd.Series(np.arange(1, len(customer) + 1), index=customer.index).astype("str")
    slug = customer.astype("str").str.lower().str.replace(r"[^a-z0-9]+", "-", regex=True).str.strip("-")
    email = ("contact" + number + "@" + slug + ".example").where(customer.notna(), "")
    return ("Contact " + number).where(customer.notna(), ""), email


def money_text(values: pd.Series, divisor: float = 1.0) -> pd.Series:
    return values.map(lambda v: "" if pd.isna(v) else repr(round(float(v) / divisor, 6)))


def latest_time(*columns: pd.Series) -> pd.Series:
    return pd.concat([pd.to_datetime(c, utc=True) for c in columns], axis=1).max(axis=1)


def write_export(columns: dict[str, pd.Series], path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(columns).to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
    return path


# The formats and writers live in one module per tool; they are re-exported here (lazily, because
# those modules import this one): ``from opsdiag.ingest.feedback_tools import write_zendesk_csv``.
_TOOL_MODULES = {"ZENDESK": "zendesk", "write_zendesk_csv": "zendesk",
                 "INTERCOM": "intercom", "write_intercom_csv": "intercom",
                 "PRODUCTBOARD": "productboard", "write_productboard_csv": "productboard",
                 "CANNY": "canny", "write_canny_csv": "canny"}


def __getattr__(name: str):
    if name in _TOOL_MODULES:
        module = importlib.import_module(f"{__package__}.{_TOOL_MODULES[name]}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["FeedbackSpec", "FeedbackFormat", "read_feedback", *_TOOL_MODULES]
