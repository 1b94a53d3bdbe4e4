"""What every importer shares: the file probe, the read context, robust CSV and time parsing.

An importer is a ``Format``: ``sniff(probe)`` says from the content (header signature or JSON
shape, never the file name) whether the file is its format, and ``read(probe, ctx)`` returns
``{table_name: frame}`` in canonical column names. Problems with single values go to
``ctx.note(...)`` as quality findings; a file that cannot be read raises ``InputFormatError``
naming row and column, and the folder reader carries on with the other files.
"""

from __future__ import annotations

import csv
import io
import json
import re
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from ..errors import InputFormatError
from ..schema import QualityFinding
from ..text import arrow_text, is_clean, strip_text

HEAD_BYTES = 64 * 1024


class Probe:
    """Lazy, cached views of one file, shared by every format's ``sniff`` and the chosen ``read``."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._ahead: tuple[Future, Future] | None = None  # see ``read_ahead``

    def read_ahead(self, executor: Executor) -> None:
        """Read the file, and parse it as ``read_csv`` does by default, in ``executor``.

        ``read_folder`` hands over the next files while it imports one: pyarrow's parse lets
        other threads run, so it overlaps the Python-side work on the file before. ``raw`` and
        ``read_csv`` take the results; what failed there is done again when asked for, and
        fails as it would have.
        """
        data = executor.submit(self.path.read_bytes)
        self._ahead = (data, executor.submit(_parse_ahead, data))

    def parsed_ahead(self) -> tuple[int, pd.DataFrame | None, int] | None:
        """``(skip, records, quotes)`` from ``read_ahead`` (``_parse_ahead``); None when not parsed ahead."""
        if self._ahead is None:
            return None
        try:
            return self._ahead[1].result()
        except Exception:  # parsed again by the caller, which raises what it raises
            return None

    @cached_property
    def head(self) -> bytes:
        if "raw" in self.__dict__:  # the whole file is read already (to hash it): not opened again
            return self.raw[:HEAD_BYTES]
        with open(self.path, "rb") as fh:
            return fh.read(HEAD_BYTES)

    @cached_property
    def raw(self) -> bytes:
        if self._ahead is not None:
            try:
                return self._ahead[0].result()
            except Exception:  # read again below: the error is raised here, as without read-ahead
                pass
        return self.path.read_bytes()

    @cached_property
    def encoding(self) -> str:
        """``utf-8-sig`` when the whole file decodes as UTF-8, else ``cp1252`` (Excel re-saves)."""
        try:
            self.raw.decode("utf-8-sig")
            return "utf-8-sig"
        except UnicodeDecodeError:
            return "cp1252"

    @cached_property
    def text(self) -> str:
        return self.raw.decode(self.encoding, errors="replace")

    @cached_property
    def text_head(self) -> str:
        return self.head.decode("utf-8-sig", errors="replace")

    @cached_property
    def is_binary(self) -> bool:
        if b"\x00" in self.head:
            return True
        sample = self.head[:4096]
        if not sample:
            return False
        try:
            sample.decode("utf-8")
            return False
        except UnicodeDecodeError as exc:
            if exc.start > len(sample) - 4:  # a multi-byte character cut by the sample end
                return False
        bad = sum(b < 9 or 13 < b < 32 for b in sample)
        printable = sum(32 <= b < 127 or b in (9, 10, 13) for b in sample)
        return bad > 0 or printable < 0.7 * len(sample)

    @cached_property
    def looks_json(self) -> bool:
        return self.text_head.lstrip()[:1] in ("{", "[")

    @cached_property
    def json(self):
        """The parsed JSON document (whole file), or None when it is not JSON."""
        if not self.looks_json:
            return None
        try:
            return json.loads(self.text)
        except ValueError:
            return None

    @cached_property
    def head_rows(self) -> list[list[str]]:
        """The first CSV records of the head (up to 20), cells stripped; [] when not CSV-like."""
        if self.is_binary or self.looks_json:
            return []
        text = self.text_head
        if len(self.head) == HEAD_BYTES:  # drop the partial last line
            text = text[: text.rfind("\n") + 1] or text
        try:
            rows = []
            for row in csv.reader(io.StringIO(text, newline="")):
                rows.append([c.strip() for c in row])
                if len(rows) >= 20:
                    break
            return rows
        except csv.Error:
            return []

    @cached_property
    def header(self) -> list[str]:
        """The first non-blank CSV record (the header of an ordinary export)."""
        for row in self.head_rows:
            if any(row):
                return row
        return []

    def header_set(self) -> set[str]:
        return {c.lower() for c in self.header}


@dataclass
class ReadContext:
    """What an importer needs beyond the file: the engagement timezone and a findings sink."""

    timezone: str = "UTC"
    findings: list[QualityFinding] = field(default_factory=list)
    path: str = ""

    def note(self, check: str, severity: str, examples: Iterable = (), message: str = "",
             count: int | None = None) -> None:
        examples = [str(e) for e in examples]
        self.findings.append(QualityFinding(check=check, severity=severity,
                                            count=len(examples) if count is None else int(count),
                                            examples=examples[:10], message=message,
                                            path=self.path or None))


class Format:
    """Base class of an importer; subclasses set ``name``/``tables`` and implement both methods."""

    name: str = ""
    tables: tuple[str, ...] = ()
    description: str = ""
    # True when ``read`` returns its text columns stripped, empty text as missing (``strip_text``):
    # ``conform`` then takes them as they are instead of checking a million ids again
    strips_text: bool = False

    def sniff(self, probe: Probe) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def read(self, probe: Probe, ctx: ReadContext) -> dict[str, pd.DataFrame]:  # pragma: no cover
        raise NotImplementedError

    def batch_reader(self):
        """A reader of many files of this format at once, or None (each file is ``read`` alone).

        ``read_folder`` hands it consecutive files: ``add(probe, ctx)`` per file, then
        ``finish()`` returns per file its tables or the exception reading it alone would raise
        (``jira_json.SearchPages``).
        """
        return None


# --- CSV -------------------------------------------------------------------------------------

@dataclass
class RawTable:
    """A CSV read as text with its header kept verbatim (repeated names are not renamed).

    ``frame`` has positional integer columns; ``columns`` the header names; ``rows`` the
    spreadsheet row number of each record (the header is row ``header_row + 1``).
    """

    path: str
    columns: list[str]
    frame: pd.DataFrame
    rows: np.ndarray
    _stripped: dict = field(default_factory=dict, repr=False, compare=False)

    def positions(self, *names: str) -> list[int]:
        wanted = {n.lower() for n in names}
        return [i for i, c in enumerate(self.columns) if c.lower() in wanted]

    def has(self, *names: str) -> bool:
        return bool(self.positions(*names))

    def first(self, *names: str) -> str | None:
        """The first header among ``names`` (aliases, any language) present in the file."""
        for n in names:
            if self.positions(n):
                return self.columns[self.positions(n)[0]]
        return None

    def col(self, *names: str) -> pd.Series:
        """The first column matching any alias, as stripped text ('' → NA); all-NA when absent."""
        pos = self.positions(*names)
        if not pos:
            return pd.Series(pd.NA, index=self.frame.index, dtype="str")
        # keep the first alias' order: prefer names earlier in the argument list
        for n in names:
            p = self.positions(n)
            if p:
                pos = p
                break
        if pos[0] not in self._stripped:  # callers ask for the id column more than once
            self._stripped[pos[0]] = strip_text(self.frame[pos[0]])
        return self._stripped[pos[0]].copy(deep=False)  # copy-on-write: callers cannot alter the cache

    def text(self, *names: str) -> pd.Series:
        """The first column matching any alias exactly as read (not stripped; all-NA when absent)."""
        for n in names:
            pos = self.positions(n)
            if pos:
                return self.frame[pos[0]]
        return pd.Series(pd.NA, index=self.frame.index, dtype="str")

    def multi(self, *names: str, split: str | None = None) -> pd.Series:
        """Every column with one of these names (Jira repeats ``Labels``) joined into tuples.

        ``split`` additionally splits each cell on a separator (Linear's comma-joined labels).
        """
        pos = self.positions(*names)
        if not pos:
            return pd.Series([()] * len(self.frame), index=self.frame.index, dtype="object")
        block = self.frame[pos].astype("str")
        # rows repeat a few label/sprint combinations: join each distinct row of cells once
        rows = pd.Series(list(zip(*(block[c].to_numpy(dtype=object) for c in block.columns))), dtype=object)
        codes, uniques = pd.factorize(rows)
        joined = np.empty(len(uniques) + 1, dtype=object)
        for i, row in enumerate(uniques):  # one at a time: a list of tuples would broadcast
            cells = []
            for v in row:
                if v is None or v != v:
                    continue
                parts = v.split(split) if split else [v]
                cells.extend(p.strip() for p in parts if p and p.strip())
            joined[i] = tuple(dict.fromkeys(cells))
        joined[-1] = ()
        return pd.Series(joined[codes], index=self.frame.index, dtype="object")

    def row_of(self, index) -> int:
        return int(self.rows[self.frame.index.get_loc(index)])


def read_csv(probe: Probe, ctx: ReadContext, header_row: int | None = None) -> RawTable:
    """Read a CSV export robustly: encoding fallback, BOM, repeated headers, blank rows.

    Every value is text. ``header_row`` is the number of physical lines above the header (spacer
    rows, a source URL line) to skip; by default the empty or separator-only lines at the top. Records whose cells are all
    empty (Excel artefacts) are dropped and noted. A file that ends inside a quoted cell is an
    ``InputFormatError``.
    """
    if probe.is_binary:
        raise InputFormatError(probe.path, "not a text CSV file (binary content)")
    # parse the bytes, unless the text is decoded already or was handed over trimmed by an
    # importer (``probe.text`` set); pyarrow checks the bytes are UTF-8 as it reads them, so
    # the whole file is not decoded first
    text = probe.__dict__.get("text")
    frame = quotes = None  # quotes: the quote characters in the file, counted once
    if text is None:
        skip = _leading_lines(_text_head(probe, "utf-8-sig")) if header_row is None else header_row
        ahead = probe.parsed_ahead()
        if ahead is not None and ahead[0] == skip:
            _, frame, quotes = ahead
        else:
            quotes = _quote_count(probe.raw)
            frame = _arrow_records(probe.raw, skip, quoted=quotes > 0)
    if frame is None:  # pandas' C parser (2-3x quicker on bytes than on a decoded str)
        if probe.encoding == "cp1252":
            ctx.note("encoding_fallback", "info", [probe.path.name],
                     "file is not UTF-8; read as Windows-1252 (an Excel re-save)", count=1)
        skip = _leading_lines(_text_head(probe) if text is None else text) if header_row is None else header_row
        frame = _c_records(probe, text, skip)
    if frame.empty:
        raise InputFormatError(probe.path, "the file is empty")
    if quotes is None:
        quotes = _quote_count(text)
    if quotes % 2 == 1:  # the last quoted cell never closed
        raise InputFormatError(probe.path, "the file ends inside a quoted cell: the export looks "
                               "truncated — export it again", row=skip + len(frame) + 1)
    nonblank, clean = _nonblank_rows(frame)
    if not nonblank[0]:
        raise InputFormatError(probe.path, "the file has no header row")
    columns = [str(c).strip().lstrip("\ufeff") for c in frame.iloc[0].tolist()]
    body = frame.iloc[1:]
    keep = nonblank[1:]
    dropped = int((~keep).sum())
    rows = np.arange(skip + 2, skip + 2 + len(body))
    if dropped:
        ctx.note("blank_rows_dropped", "info", [], f"{dropped} all-empty rows dropped", count=dropped)
        rows, body = rows[keep], body[keep]
    body.columns = range(body.shape[1])
    # a column with no empty or padded cell is its own stripped text (``RawTable.col``)
    return RawTable(path=str(probe.path), columns=columns, frame=body, rows=rows,
                    _stripped={column: body[column] for column in clean})


def _parse_ahead(data: Future) -> tuple[int, pd.DataFrame | None, int] | None:
    """``read_csv``'s default parse of bytes read ahead: ``(skip, _arrow_records(bytes, skip, …),
    _quote_count(bytes))``; None for content that is not parsed as CSV (JSON, binary)."""
    raw = data.result()
    head = raw[:HEAD_BYTES]
    if b"\x00" in head or head.decode("utf-8-sig", errors="replace").lstrip()[:1] in ("{", "["):
        return None
    skip = _leading_lines(_decoded_head(raw, "utf-8-sig"))
    quotes = _quote_count(raw)
    return skip, _arrow_records(raw, skip, quoted=quotes > 0), quotes


def _arrow_records(data: bytes, skip: int, quoted: bool = True) -> pd.DataFrame | None:
    """Every record of UTF-8 CSV bytes as text, read by pyarrow's multi-threaded parser.

    The same frame as ``_c_records`` (positional columns, ``""`` for empty cells, blank lines
    kept as records) at a fraction of the time, with Arrow-backed text. None when pyarrow would
    read the file differently or not at all (records of unequal length, an empty file): the C
    parser then reads it and says what is wrong. ``quoted=False`` says the bytes hold no quote
    character, so no value holds a line break: pyarrow then splits the file among its threads
    at any line end (~25 % quicker than looking for line breaks inside quotes).
    """
    import pyarrow as pa
    from pyarrow import csv as pacsv

    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(skip_rows=skip, autogenerate_column_names=True),
            parse_options=pacsv.ParseOptions(newlines_in_values=quoted, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types=_text_columns(), strings_can_be_null=False,
                                                 quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_columns > _MAX_COLUMNS:  # the columns past it were not read as text
        return None
    frame = table.to_pandas()
    frame.columns = range(frame.shape[1])
    return frame


@lru_cache(maxsize=1)
def _text_columns() -> dict:
    """pyarrow ``column_types`` reading every column as text (names as autogenerated: ``f0``, ``f1`` …)."""
    import pyarrow as pa

    return {f"f{i}": pa.large_string() for i in range(_MAX_COLUMNS)}


_MAX_COLUMNS = 4096


def _c_records(probe: Probe, text: str | None, skip: int) -> pd.DataFrame:
    """Every record as text with pandas' C parser (any encoding; ragged records padded)."""
    source, decoding = (io.StringIO(text), {}) if text is not None else (
        io.BytesIO(probe.raw), {"encoding": probe.encoding, "encoding_errors": "replace"})
    try:
        return pd.read_csv(source, header=None, dtype=str, keep_default_na=False, na_filter=False,
                           skip_blank_lines=False, engine="c", skiprows=skip, **decoding)
    except pd.errors.ParserError as exc:
        raise InputFormatError(probe.path, f"malformed CSV ({exc}); the export looks cut off or "
                               "has an unclosed quote — export it again") from None
    except pd.errors.EmptyDataError:
        raise InputFormatError(probe.path, "the file is empty") from None


def _nonblank_rows(frame: pd.DataFrame) -> tuple[np.ndarray, list]:
    """Rows with at least one cell that is not empty after stripping (missing cells count),
    and the columns found to have no empty or padded cell on the way (``is_clean``).

    Column by column, only over the rows not yet known to hold something: the first column
    (usually an id) settles almost every row, so a million-row file is one pass, not one per column.
    """
    nonblank = np.zeros(len(frame), dtype=bool)
    clean = []
    for column in frame.columns:  # a loop over columns, each vectorised over the open rows
        todo = np.flatnonzero(~nonblank)
        if not len(todo):
            break
        cells = frame[column] if len(todo) == len(frame) else frame[column].iloc[todo]
        arrow = arrow_text(cells)
        if arrow is not None and is_clean(arrow):  # no cell empty or padded: each holds something
            nonblank[todo] = True
            if len(todo) == len(frame):
                clean.append(column)
            continue
        # a cell holds something unless it is empty or all whitespace; a missing cell (a short
        # record) counts as holding something
        nonblank[todo] = cells.str.strip().ne("").to_numpy(dtype=bool)
    return nonblank, clean


def _text_head(probe: Probe, encoding: str | None = None) -> str:
    """The first ``HEAD_BYTES`` characters of ``probe.text`` (decoded as ``encoding``, by default
    the file's) without decoding the whole file.

    Four bytes per character at most, so decoding ``4 × HEAD_BYTES`` bytes yields them all.
    """
    return _decoded_head(probe.raw, encoding or probe.encoding)


def _decoded_head(data: bytes, encoding: str) -> str:
    return data[: 4 * HEAD_BYTES].decode(encoding, errors="replace")[:HEAD_BYTES]


def _leading_lines(text: str) -> int:
    """Physical lines before the header: empty or separator-only lines (Excel spacer rows)."""
    skip = 0
    for line in text[:HEAD_BYTES].splitlines():
        if line.strip().strip(",;\t").strip():
            break
        skip += 1
    return skip


def _quote_count(data: bytes | str) -> int:
    """The quote characters in a file's bytes or text: an odd count means the last quoted cell
    never closed; none means no value holds a line break (``_arrow_records``)."""
    # the byte 0x22 is the quote in UTF-8 and cp1252 alike (never part of a multi-byte character)
    if isinstance(data, str):
        return data.count('"')
    if b'"' not in data:  # a search for one byte, quicker again than counting (ids, times, numbers)
        return 0
    # numpy compares a block of bytes at once, several times quicker than ``bytes.count``;
    # blocks of 1 MiB keep the comparison's mask small
    values = np.frombuffer(data, dtype=np.uint8)
    return sum(int(np.count_nonzero(values[start:start + _QUOTE_BLOCK] == 0x22))
               for start in range(0, len(values), _QUOTE_BLOCK))


_QUOTE_BLOCK = 1 << 20


# --- time ------------------------------------------------------------------------------------

def localize(values: pd.Series, tz: str, ctx: ReadContext | None = None, column: str = "") -> pd.Series:
    """Give naive timestamps the engagement timezone and convert to UTC.

    A local time that does not exist (spring forward) is shifted forward; one that repeats
    (fall back) is taken as the later, standard-time instant. Both are noted as findings.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC")
    if tz == "UTC":
        return values.dt.tz_localize("UTC")
    strict = values.dt.tz_localize(tz, nonexistent="NaT", ambiguous="NaT")
    shifted = strict.isna() & values.notna()
    out = values.dt.tz_localize(tz, nonexistent="shift_forward",
                                ambiguous=np.zeros(len(values), dtype=bool))
    if shifted.any() and ctx is not None:
        ctx.note("dst_shifted", "info", values[shifted].astype(str).head(5),
                 f"{int(shifted.sum())} local times in {column!r} fall in a DST change; shifted",
                 count=int(shifted.sum()))
    return out.dt.tz_convert("UTC")


# An explicit UTC offset after a time of day (``10:00:00.000+0000``, ``10:00Z``): such a value
# is read with its offset whatever the engagement timezone; any other value is a local time.
OFFSET = re.compile(r"\d:\d\d(?::\d\d(?:[.,]\d*)?)?\s*(?:Z|[+-]\d\d(?::?\d\d)?)$")


def unify_offsets(text: pd.Series, ctx: ReadContext, column: str, fmt: str) -> pd.Series:
    """Parse a column whose values carry different UTC offsets, some none, to UTC.

    Values with an offset keep it; naive values are local times in ``ctx.timezone`` (pandas,
    asked to unify mixed values, would read them as UTC). Raises what ``pandas.to_datetime``
    raises when the values do not parse together.
    """
    got = pd.to_datetime(text, errors="coerce", utc=True, format=fmt)
    if ctx.timezone == "UTC":
        return got
    naive = (~text.str.contains(OFFSET, na=False) & got.notna()).to_numpy()
    if not naive.any():
        return got
    try:
        local = pd.to_datetime(text[naive], errors="coerce", format=fmt)
    except (ValueError, TypeError, OverflowError):
        return got
    if isinstance(local.dtype, pd.DatetimeTZDtype):  # an offset or zone name the pattern missed
        return got
    got = got.copy()
    got[naive] = localize(local, ctx.timezone, ctx, column).astype(got.dtype)
    return got


def parse_times(values: pd.Series, ctx: ReadContext, *, column: str, raw: RawTable | None = None,
                formats: Iterable[str] = (), dayfirst: bool = False,
                items: pd.Series | None = None, prepare: Callable[[pd.Series], pd.Series] | None = None,
                strict: bool = True) -> pd.Series:
    """Parse a text column of timestamps to UTC, naming the first bad value's row and column.

    Tries each explicit ``format`` (strptime codes) in turn on the values still unparsed, then
    ISO 8601, then a day-first/month-first inference. Values with an explicit offset keep it;
    naive ones are read in ``ctx.timezone``, also beside values with an offset. With ``strict`` an unparseable non-empty value
    raises ``InputFormatError``; otherwise it becomes missing and is noted.
    """
    formats = list(formats)
    if not formats and prepare is None:
        # Arrow's ISO 8601 parser takes no surrounding whitespace and no empty value, so text it
        # parses as read is text that stripping leaves as it is: the usual export needs no strip
        iso = _iso_with_offsets(values)
        if iso is not None:
            return pd.Series(iso, index=values.index).dt.tz_localize("UTC")
    text = strip_text(values)
    if prepare is not None:
        text = prepare(text)
    present = text.notna().to_numpy()
    # positional work arrays (naive UTC microseconds); the Series is built once at the end
    parsed = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[us]")
    todo = present.copy()
    if not formats:
        iso = _iso_with_offsets(text)
        if iso is not None:
            parsed, todo = iso, np.zeros(len(text), dtype=bool)
    attempts = formats + ["ISO8601", None]
    for fmt in attempts:
        if not todo.any():
            break
        rows = np.flatnonzero(todo)
        chunk = text if len(rows) == len(text) else text.iloc[rows]
        try:
            if fmt is None:
                got = pd.to_datetime(chunk, errors="coerce", dayfirst=dayfirst, format="mixed")
            else:
                got = pd.to_datetime(chunk, errors="coerce", format=fmt)
        except (ValueError, TypeError, OverflowError):
            # mixed offsets: each value with its own offset, naive ones local (``unify_offsets``)
            try:
                got = unify_offsets(chunk, ctx, column, fmt or "mixed")
            except (ValueError, TypeError, OverflowError):
                continue
        if isinstance(got.dtype, pd.DatetimeTZDtype):
            got = got.dt.tz_convert("UTC")
        elif got.notna().any():
            got = localize(got, ctx.timezone, ctx, column)
        else:
            continue
        ok = got.notna().to_numpy()
        got = got.astype("datetime64[us, UTC]").dt.tz_localize(None).to_numpy()
        if len(rows) == len(parsed) and ok.all():  # every value parsed at once (the usual case)
            parsed, todo = got, np.zeros(len(parsed), dtype=bool)
            continue
        parsed[rows[ok]] = got[ok]
        todo[rows[ok]] = False
    bad = pd.Series(todo & present, index=text.index)
    if bad.any():
        first = bad[bad].index[0]
        row = raw.row_of(first) if raw is not None else None
        item = None if items is None else items.get(first)
        message = (f"{int(bad.sum())} value(s) are not dates, e.g. {text[first]!r}"
                   f" (expected a date such as 2024-03-01 14:30)")
        if strict:
            raise InputFormatError(ctx.path or (raw.path if raw else ""), message, row=row,
                                   column=column, item=None if item is None or item != item else str(item))
        examples = (items[bad] if items is not None else text[bad]).astype(str).head(5)
        ctx.note("unparseable_dates", "warning", examples, f"{column!r}: {message}", count=int(bad.sum()))
    return pd.Series(parsed, index=text.index).dt.tz_localize("UTC")


def _iso_with_offsets(text: pd.Series) -> np.ndarray | None:
    """Arrow-backed ISO 8601 text where every value has a UTC offset, parsed by Arrow (naive UTC
    microseconds); None for anything else (naive values, other layouts, nanoseconds), which
    ``parse_times`` then parses with pandas. Both give the same instants; Arrow's parser takes
    a fraction of the time and needs no Python object per value.
    """
    arrow = arrow_text(text)
    if arrow is None:
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    first = arrow.slice(0, 1)
    try:
        if first.null_count == 0:  # a failing cast reads every value first: try one (naive exports)
            pc.cast(first, pa.timestamp("us", tz="UTC"))
        parsed = pc.cast(arrow, pa.timestamp("us", tz="UTC"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return np.asarray(parsed.cast(pa.timestamp("us")), dtype="datetime64[us]")


def parse_numbers(values: pd.Series, ctx: ReadContext, *, column: str, raw: RawTable | None = None,
                  items: pd.Series | None = None) -> pd.Series:
    """Parse a text column of numbers; a non-empty value that is not a number is an error."""
    # a column repeats few distinct values (estimates, seats, costs): each is parsed once
    codes, distinct = pd.factorize(values.astype("str"))
    text = pd.Series(distinct).str.strip().str.replace(",", "", regex=False)
    text = text.mask(text.eq(""))
    parsed = pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64")
    failed = np.isnan(parsed) & text.notna().to_numpy(dtype=bool)
    bad = pd.Series(np.append(failed, False)[codes], index=values.index)  # code -1: missing
    if bad.any():
        first = bad[bad].index[0]
        row = raw.row_of(first) if raw is not None else None
        item = None if items is None else items.get(first)
        raise InputFormatError(ctx.path or (raw.path if raw else ""),
                               f"{values[first]!r} is not a number (expected e.g. 95 or 12.5)",
                               row=row, column=column,
                               item=None if item is None or item != item else str(item))
    return pd.Series(np.append(parsed, np.nan)[codes], index=values.index, name=values.name)


def read_json(probe: Probe):
    """The parsed JSON document, or an ``InputFormatError`` saying why it is not JSON."""
    if not probe.looks_json:
        raise InputFormatError(probe.path, "not a JSON document")
    try:
        return json.loads(probe.text)
    except ValueError as exc:
        raise InputFormatError(probe.path, f"invalid JSON ({exc}); the file looks cut off") from None
