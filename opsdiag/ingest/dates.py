"""Locale-aware date parsing shared by the importers (Jira CSV first, others may reuse it).

Tracker exports write dates the way the exporting user's profile shows them, never with a
time zone: ``22/Dec/25 2:38 PM`` (Jira Cloud, English), ``22/Mar/14 07:59`` (Jira Server,
24-hour), ``10/nov/25 4:51 PM`` (Spanish UI, lowercase months), ``11/01/2023 15:22`` (an Excel
re-save, day first), ``Mon Feb 06 2023 05:00:00 GMT+0000 (GMT)`` (JavaScript
``Date.toString()``, Linear). Parsing is vectorised per format: month names are first mapped
to English abbreviations, then each candidate format is one ``pd.to_datetime(format=...)`` over
the values still unparsed. There is no lenient guessing: a value no format accepts is either an
error (it looks like a date) or text in a date column (a finding).
"""

from __future__ import annotations

import re
from typing import Iterable

import numpy as np
import pandas as pd

from ..errors import InputFormatError
from ..text import strip_text
from .base import OFFSET, RawTable, ReadContext, localize, unify_offsets

# Month names of the Spanish (and Portuguese) UI, full and abbreviated, to English abbreviations.
# Tokens that are already English (feb, mar, may, jun, jul, sep, oct, nov) need no entry.
MONTHS_ES = {
    "ene": "Jan", "enero": "Jan", "febrero": "Feb", "marzo": "Mar", "abr": "Apr", "abril": "Apr",
    "mayo": "May", "junio": "Jun", "julio": "Jul", "ago": "Aug", "agosto": "Aug", "sept": "Sep",
    "septiembre": "Sep", "setiembre": "Sep", "octubre": "Oct", "noviembre": "Nov", "dic": "Dec",
    "diciembre": "Dec",
}
MONTHS_PT = {"fev": "Feb", "mai": "May", "set": "Sep", "out": "Oct", "dez": "Dec"}
MONTH_NAMES = {**MONTHS_PT, **MONTHS_ES}

ENGLISH_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SPANISH_MONTHS = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")

# A month token sitting between two date separators: "10/nov/25", "10-nov.-2025", "10 nov 2025".
_MONTH_SLOT = re.compile(r"(?<=[/\- ])(?:" + "|".join(sorted(MONTH_NAMES, key=len, reverse=True))
                         + r")\.?(?=[/\- ]\d)", re.IGNORECASE)
# Spanish UIs may write the meridiem as "p. m." / "a.m."
_MERIDIEM = re.compile(r"\s*\b([ap])\.\s?m\.?$", re.IGNORECASE)
_NUMERIC_DATE = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{2,4}\b")

# Words that make a value "look like a date" even without digits: such a value is an error,
# not text in a date column (``parse_dates``).
DATE_WORDS = frozenset(
    {"yesterday", "today", "tomorrow", "now", "ago", "last", "next", "day", "days", "week",
     "weeks", "month", "months", "year", "years", "ayer", "hoy", "mañana", "ontem", "hoje", "amanhã"}
    | {m.lower() for m in ENGLISH_MONTHS} | set(MONTH_NAMES)
    | {"january", "february", "march", "april", "june", "july", "august", "september",
       "october", "november", "december"})

# Jira CSV: dd/MMM/yy h:mm a (Cloud), dd/MMM/yy HH:mm (Server), with 4-digit years after
# an Excel round trip, and date-only values; numeric dd/MM/yyyy forms are added per column
# by ``numeric_formats`` once the day/month order is known.
JIRA_CSV_FORMATS = (
    "%d/%b/%y %I:%M %p", "%d/%b/%y %H:%M", "%d/%b/%Y %I:%M %p", "%d/%b/%Y %H:%M",
    "%d/%b/%y", "%d/%b/%Y",
)
# JavaScript Date.toString() after ``prepare_js_dates``: "Mon Feb 06 2023 05:00:00 +0000"
JS_DATE_FORMATS = ("%a %b %d %Y %H:%M:%S %z",)


def normalize_months(text: pd.Series) -> pd.Series:
    """Map Spanish/Portuguese month names in the month slot to English abbreviations.

    ``10/nov/25 4:51 PM`` stays (``nov`` is English too), ``05/ene/26 9:00 AM`` becomes
    ``05/Jan/26 9:00 AM``, ``3 de abril de 2025`` is not touched (no slot). Only the token
    between two date separators is replaced, so words elsewhere in a value are left alone.
    Missing values stay missing.
    """
    text = text.astype("str")
    # most exports are English: replace (a Python callback per match) only where a token matches
    hit = text.str.contains(_MONTH_SLOT, na=False)
    if not hit.any():
        return text
    return text.mask(hit, text[hit].str.replace(_MONTH_SLOT, lambda m: MONTH_NAMES[m.group(0).rstrip(".").lower()],
                                                regex=True))


def normalize_meridiem(text: pd.Series) -> pd.Series:
    """``4:51 p. m.`` → ``4:51 PM`` (the Spanish UI's meridiem); other values unchanged."""
    text = text.astype("str")
    hit = text.str.contains(". m", regex=False, na=False) | text.str.contains(".m", regex=False, na=False)
    if not hit.any():
        return text
    return text.mask(hit, text[hit].str.replace(_MERIDIEM, lambda m: f" {m.group(1).upper()}M", regex=True))


def prepare_js_dates(text: pd.Series) -> pd.Series:
    """JavaScript ``Date.toString()`` text to a strptime-friendly form.

    ``Mon Feb 06 2023 05:00:00 GMT+0000 (GMT)`` → ``Mon Feb 06 2023 05:00:00 +0000``; parse
    the result with ``JS_DATE_FORMATS`` (the offset is kept, so the zone is exact).
    """
    text = text.astype("str").str.replace(r"\s*\([^)]*\)\s*$", "", regex=True)
    return text.str.replace(r"\bGMT(?=[+-]\d{4})", "", regex=True).str.replace(r"\s+", " ", regex=True)


def day_order(text: pd.Series) -> tuple[str, bool]:
    """Whether numeric dates like ``11/01/2023`` in one column are day-first or month-first.

    Returns ``(order, ambiguous)``: ``"dmy"`` when some first number exceeds 12 (or no value
    decides it: Jira's own convention is day first), ``"mdy"`` when only some second number
    exceeds 12. ``ambiguous`` is True when no value decided it.
    """
    parts = text.astype("str").str.extract(_NUMERIC_DATE).dropna()
    if parts.empty:
        return "dmy", False
    first = parts[0].astype(int)
    second = parts[1].astype(int)
    if (first > 12).any():
        return "dmy", False
    if (second > 12).any():
        return "mdy", False
    return "dmy", True


def numeric_formats(order: str) -> tuple[str, ...]:
    """strptime formats for numeric dates (``11/01/2023 15:22``) in the given day order."""
    d, m = ("%d", "%m") if order == "dmy" else ("%m", "%d")
    return tuple(f"{a}/{b}/{y}{t}" for a, b in [(d, m)] for y in ("%Y", "%y")
                 for t in (" %H:%M", " %H:%M:%S", " %I:%M %p", ""))


def looks_like_date(text: pd.Series) -> pd.Series:
    """True where a value holds a digit or a date word (``yesterday``, ``nov``, ``hoy``).

    Used to tell a bad date (an error) from text in a date column (a shifted column, a
    person's name: a finding).
    """
    text = text.astype("str")
    has_digit = text.str.contains(r"\d", regex=True, na=False)
    words = text.str.lower().str.findall(r"[^\W\d_]+")
    has_word = words.map(lambda ws: isinstance(ws, list) and any(w in DATE_WORDS for w in ws))
    return has_digit | has_word.astype(bool)


def _attempt(chunk: pd.Series, fmt: str, ctx: ReadContext, column: str) -> pd.Series | None:
    try:
        got = pd.to_datetime(chunk, errors="coerce", format=fmt)
    except (ValueError, TypeError, OverflowError):
        try:  # values with different offsets (some naive): unify in UTC
            got = unify_offsets(chunk, ctx, column, fmt)
        except (ValueError, TypeError, OverflowError):
            return None
    if not got.notna().any():
        return None
    if isinstance(got.dtype, pd.DatetimeTZDtype):
        return got.dt.tz_convert("UTC")
    return localize(got, ctx.timezone, ctx, column)


def _iso_at_once(text: pd.Series, ctx: ReadContext, column: str) -> pd.Series | None:
    """ISO 8601 as the only candidate (REST timestamps): every value parsed in one call, or None.

    A value ISO 8601 accepts holds no month name and no meridiem, so ``normalize_months`` and
    ``normalize_meridiem`` would leave it as it is: when every value parses, the full path of
    ``parse_dates`` gives this same result (and the same DST findings, kept aside until then).
    Saves their fixed cost on each of a thousand Jira pages.
    """
    aside = ReadContext(timezone=ctx.timezone, path=ctx.path)
    got = _attempt(text, "ISO8601", aside, column)
    if got is None or got.isna().any():
        return None
    ctx.findings.extend(aside.findings)
    return got




def parse_page_dates(values: pd.Series, pages: np.ndarray, contexts: list[ReadContext], failed: dict,
                     *, column: str, items: pd.Series | None = None) -> pd.Series:
    """``parse_dates(..., formats=(), numeric=False)`` of many pages' values in one pass.

    Row ``i`` belongs to page ``pages[i]``, whose findings go to ``contexts[pages[i]]``. The
    result is what parsing each page's rows alone gives: REST timestamps are ISO 8601, so
    every value is parsed at once (offsets kept, naive values in the engagement timezone);
    a page with a value that is not ISO 8601, or a naive local time in a DST change, is parsed
    again alone by ``parse_dates`` (the same findings and errors). A page whose values raise
    ``InputFormatError`` is recorded in ``failed`` (``{page: error}``, the first error kept)
    and its rows are missing. Returns ``datetime64[us, UTC]`` on ``values``' index.
    """
    timezone = contexts[0].timezone if contexts else "UTC"
    text = strip_text(values)
    present = text.notna().to_numpy()
    parsed = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[us]")
    alone = np.zeros(len(contexts), dtype=bool)  # pages to parse alone
    rows = np.flatnonzero(present)
    if len(rows):
        chunk = text.iloc[rows]
        owner = pages[rows]
        try:
            got = pd.to_datetime(chunk, errors="coerce", format="ISO8601", utc=True)
            got = got.astype("datetime64[us, UTC]").dt.tz_localize(None).to_numpy()
            if timezone != "UTC":
                got = _local_pages(chunk, owner, got, timezone, alone)
            alone[owner[np.isnat(got)]] = True
            parsed[rows] = got
        except (ValueError, TypeError, OverflowError):
            alone[owner] = True
    if alone.any():
        order = np.argsort(pages, kind="stable")
        bounds = np.searchsorted(pages[order], np.arange(len(contexts) + 1))
        for page in np.flatnonzero(alone).tolist():  # the few pages with unusual dates
            if page in failed:
                continue
            mine = order[bounds[page]:bounds[page + 1]]
            try:
                got = parse_dates(values.iloc[mine].astype("str"), contexts[page], column=column, formats=(),
                                  numeric=False, items=None if items is None else items.iloc[mine])
            except InputFormatError as exc:
                failed[page] = exc
                parsed[mine] = np.datetime64("NaT")
                continue
            parsed[mine] = got.dt.tz_localize(None).to_numpy()
    return pd.Series(parsed, index=values.index).dt.tz_localize("UTC")


def _local_pages(chunk: pd.Series, owner: np.ndarray, got: np.ndarray, timezone: str,
                 alone: np.ndarray) -> np.ndarray:
    """``got`` (every value read as UTC) with its naive values read in ``timezone``.

    Values with an offset (``base.OFFSET``; a value the pattern misses is only read by the
    slower per-page path) keep it, as in ``parse_dates``. Pages with a local time that does
    not exist or repeats (noted by ``localize``) are marked in ``alone``.
    """
    naive = ~chunk.str.contains(OFFSET, na=False).to_numpy()
    if not naive.any():
        return got
    try:
        local = pd.to_datetime(chunk[naive], errors="coerce", format="ISO8601")
        if isinstance(local.dtype, pd.DatetimeTZDtype):  # an offset the pattern missed
            raise ValueError("offset")
        strict = local.dt.tz_localize(timezone, nonexistent="NaT", ambiguous="NaT")
    except (ValueError, TypeError, OverflowError):
        alone[owner[naive]] = True
        return got
    alone[owner[naive][(strict.isna() & local.notna()).to_numpy()]] = True
    got = got.copy()
    got[naive] = strict.dt.tz_convert("UTC").astype("datetime64[us, UTC]").dt.tz_localize(None).to_numpy()
    return got


def parse_dates(values: pd.Series, ctx: ReadContext, *, column: str,
                formats: Iterable[str] = JIRA_CSV_FORMATS, raw: RawTable | None = None,
                items: pd.Series | None = None, strict: bool = True, iso: bool = True,
                numeric: bool = True) -> pd.Series:
    """Parse one text column of dates to ``datetime64[us, UTC]``, without lenient guessing.

    Month names are normalised (``normalize_months``, ``normalize_meridiem``), then each format
    in ``formats`` is tried on the values still unparsed, then numeric ``dd/MM/yyyy`` forms in
    the column's day order (``day_order``; an undecidable column is taken day-first and noted)
    and ISO 8601. Naive values are local times in ``ctx.timezone`` (DST gaps shifted and
    noted); values with an offset keep it. Empty cells are missing.

    A value no format accepts is handled by what it looks like:

    - it holds a digit or a date word (``31/Feb/24 10:00 AM``, ``yesterday``): with ``strict``
      an ``InputFormatError`` naming the spreadsheet row (from ``raw``), the item (from
      ``items``) and ``column``; without ``strict`` it becomes missing and is noted;
    - it is plain text (a person's name in a shifted ``Created`` column): it becomes missing
      and one ``date_column_holds_text`` finding names the column.
    """
    text = values.astype("str").str.strip()
    text = text.mask(text.eq(""))
    present = text.notna()
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]")
    if not present.any():
        return parsed
    if not formats and not numeric and iso and text.index.is_unique:
        quick = _iso_at_once(text[present], ctx, column)
        if quick is not None:
            return quick.reindex(text.index).astype("datetime64[us, UTC]").rename(None)
    text = normalize_meridiem(normalize_months(text)).where(present)
    todo = present.copy()
    decided = {"ambiguous": False}

    def candidates():
        yield from formats
        if numeric:  # numeric forms, in the day order of the values still unparsed
            order, decided["ambiguous"] = day_order(text[todo])
            yield from numeric_formats(order)
        if iso:
            yield "ISO8601"

    used_numeric = False
    for fmt in candidates():
        if not todo.any():
            break
        got = _attempt(text[todo], fmt, ctx, column)
        if got is None:
            continue
        ok = got.notna()
        parsed.loc[ok[ok].index] = got[ok].astype("datetime64[us, UTC]")
        todo &= parsed.isna()
        used_numeric |= "%m" in fmt
    if used_numeric and decided["ambiguous"]:
        example = text[present & text.str.match(_NUMERIC_DATE, na=False)]
        ctx.note("ambiguous_day_month", "info", [column],
                 f"{column!r}: numeric dates such as {example.iloc[0]!r} never show a day "
                 "above 12; read as day first (dd/MM/yyyy), Jira's convention", count=1)
    if not todo.any():
        return parsed
    datelike = looks_like_date(text[todo])
    bad = datelike[datelike].index
    textual = datelike[~datelike].index
    if len(textual):
        examples = (items[textual] if items is not None else text[textual]).astype(str)
        ctx.note("date_column_holds_text", "warning", examples.head(5),
                 f"{column!r} should hold dates but {len(textual)} value(s) are text, e.g. "
                 f"{text[textual[0]]!r}; read as missing (a shifted or hand-edited column?)",
                 count=len(textual))
    if len(bad):
        first = bad[0]
        message = (f"{len(bad)} value(s) are not dates, e.g. {text[first]!r} (expected a date "
                   "such as 22/Dec/25 2:38 PM, 22/Mar/14 07:59 or 2024-03-01 14:30)")
        if strict:
            item = None if items is None else items.get(first)
            raise InputFormatError(ctx.path or (raw.path if raw is not None else ""), message,
                                   row=raw.row_of(first) if raw is not None else None, column=column,
                                   item=None if item is None or item != item else str(item))
        examples = (items[bad] if items is not None else text[bad]).astype(str)
        ctx.note("unparseable_dates", "warning", examples.head(5), f"{column!r}: {message}",
                 count=len(bad))
    return parsed


def format_jira_dates(values: pd.Series, locale: str = "en") -> pd.Series:
    """Timestamps as a Jira CSV writes them: ``22/Dec/25 2:38 PM`` (``locale="es"``:
    ``22/dic/25 2:38 PM``). Missing values become empty strings. Times are written as given
    (convert to the wanted zone first); seconds are dropped, as in Jira.
    """
    ts = pd.to_datetime(values, utc=True)
    day = ts.dt.strftime("%d")
    months = ENGLISH_MONTHS if locale == "en" else SPANISH_MONTHS
    month = ts.dt.month.map(lambda m: months[int(m) - 1] if m == m else "")
    hour = ((ts.dt.hour + 11) % 12 + 1).astype("Int64").astype("str")
    out = (day + "/" + month + "/" + ts.dt.strftime("%y") + " " + hour + ":" + ts.dt.strftime("%M")
           + " " + ts.dt.strftime("%p"))
    return out.where(ts.notna(), "").astype("str")


def format_rest_timestamp(value) -> str | None:
    """One timestamp as Jira's REST API writes it: ``2018-02-20T09:58:06.000+0000`` (in UTC).

    Naive values are taken as UTC; missing values (None, NaN, NaT) give None.
    """
    if value is None or (not isinstance(value, (tuple, list, dict)) and pd.isna(value)):
        return None
    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}+0000"
