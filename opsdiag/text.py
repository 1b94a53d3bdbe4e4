"""Vectorised text helpers that stay quick on Arrow-backed strings.

With pyarrow installed, pandas keeps ``str`` columns as Arrow arrays. A few pandas paths then
convert every cell to a Python object (``to_numpy(dtype=object)``) or walk the values in
Python (``isin`` with many candidates); on a million-row history those dominated. These
helpers give the same results with Arrow's kernels, and fall back to pandas for anything else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import pyarrow as pa


def arrow_text(series) -> pa.Array | pa.ChunkedArray | None:
    """The Arrow array behind Arrow-backed text (a Series, an Index or a pandas array), else None."""
    values = series if isinstance(series, pd.api.extensions.ExtensionArray) else getattr(series, "array", None)
    if not isinstance(values, pd.arrays.ArrowStringArray):
        return None
    import pyarrow as pa

    return pa.array(values)


def _may_be_space(edge_bytes: np.ndarray) -> bool:
    """True when one of the first or last bytes of values may be trimmed: a byte up to the space
    (ASCII whitespace, the separators Python's ``str.strip`` also removes, other control bytes)
    or any byte of a multi-byte character (Unicode whitespace perhaps)."""
    # bytes 0-32 and 128-255 wrap to 95 and above when 33 is taken away, the others to 0-94
    return bool(len(edge_bytes)) and int((edge_bytes - np.uint8(33)).max()) >= 95


def is_clean(arrow: pa.Array | pa.ChunkedArray) -> bool:
    """True when no value of Arrow text is empty or may start or end with whitespace.

    Read from the arrays' offsets and bytes (the first and last byte of every value) without
    building any string: a clean million-value column is checked in milliseconds, where
    trimming it copies every value. A control byte or a multi-byte character at either end
    counts as possible whitespace (the column is then trimmed, as when unsure).
    """
    import pyarrow as pa

    for chunk in arrow.chunks if isinstance(arrow, pa.ChunkedArray) else [arrow]:
        if not len(chunk) or chunk.null_count == len(chunk):
            continue
        wide = pa.types.is_large_string(chunk.type)
        _, offsets, data = chunk.buffers()
        offsets = np.frombuffer(offsets, dtype=np.int64 if wide else np.int32)[chunk.offset:chunk.offset + len(chunk) + 1]
        starts, ends = offsets[:-1], offsets[1:]
        if chunk.null_count:  # a missing value's offsets say nothing
            valid = np.asarray(chunk.is_valid(), dtype=bool)
            starts, ends = starts[valid], ends[valid]
        if (ends <= starts).any():  # an empty value becomes missing
            return False
        data = np.frombuffer(data, dtype=np.uint8)
        if _may_be_space(data[starts]) or _may_be_space(data[ends - 1]):
            return False
    return True


def strip_text(series: pd.Series) -> pd.Series:
    """Text with surrounding whitespace removed and empty strings as missing (dtype ``str``).

    The same as ``s.astype("str").str.strip()`` then masking ``""``. Arrow-backed text is
    trimmed by Arrow's kernels; Python strings in one pass over an object array (pandas' string
    methods call a Python function per cell through several layers, which dominated reading a
    million-row export).
    """
    text = series.astype("str")
    arrow = arrow_text(text)
    if arrow is not None:
        import pyarrow as pa
        import pyarrow.compute as pc

        if is_clean(arrow):  # nothing to trim or mask: the same text, no copy
            return pd.Series(text.array, index=series.index, name=series.name, copy=False)
        trimmed = pc.utf8_trim_whitespace(arrow)
        empty = pc.equal(trimmed, "")
        if pc.any(empty).as_py():
            trimmed = pc.if_else(empty, pa.scalar(None, trimmed.type), trimmed)
        return pd.Series(pd.array(trimmed, dtype="str"), index=series.index, name=series.name)
    values = text.to_numpy(dtype=object)
    try:
        out = np.fromiter(map(str.strip, values), dtype=object, count=len(values))
    except TypeError:  # a missing cell (NaN) among the strings: strip the strings only
        out = np.array([v.strip() if isinstance(v, str) else v for v in values], dtype=object)
    out[out == ""] = np.nan
    return pd.Series(pd.array(out, dtype="str"), index=series.index, name=series.name)


def isin_text(series: pd.Series, candidates) -> np.ndarray:
    """``series.isin(candidates).to_numpy()``; Arrow's hash lookup when both are Arrow-backed text.

    pandas builds the candidate set of Arrow-backed text in Python, one value at a time, which
    took half a second for 100,000 item ids. A missing value matches a missing candidate, as in
    pandas.
    """
    values, wanted = arrow_text(series), arrow_text(candidates)
    if values is None or wanted is None:
        return series.isin(candidates).to_numpy(dtype=bool)
    import pyarrow.compute as pc

    # the value set may repeat values: is_in hashes it into a set of its own
    return np.asarray(pc.is_in(values, value_set=wanted.cast(values.type)), dtype=bool)


def take_text(values: np.ndarray, codes: np.ndarray):
    """``values[codes]`` as a ``str`` array (``codes`` are positions in ``values``; -1 is missing).

    The distinct values are converted once and taken by Arrow: a million rows several times
    quicker than through pandas' ``take``.
    """
    text = pd.array(values, dtype="str")
    arrow = arrow_text(text)
    if arrow is None:
        return text.take(codes, allow_fill=True)
    import pyarrow as pa

    missing = codes < 0
    positions = pa.array(codes, mask=missing) if missing.any() else codes  # a missing position takes a missing value
    return pd.array(arrow.take(positions), dtype="str")


def first_positions(values, keys: pd.Series) -> np.ndarray:
    """The position of each of ``values``' first occurrence in ``keys``; -1 where absent.

    ``values`` is a Series, an Index or an array; a missing value matches a missing key, as in
    ``pandas.Index.get_indexer``. When ``keys`` are Arrow-backed text and ``values`` text,
    Arrow's hash lookup (``index_in``) does it: pandas hashes a Python object per key, ~45 ms
    for 100,000 item ids.
    """
    keys_text = arrow_text(keys)
    if keys_text is not None:
        wanted = arrow_text(values)
        if wanted is None and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
            import pyarrow as pa

            wanted = pa.array(np.asarray(values, dtype=object), type=keys_text.type, from_pandas=True)
        if wanted is not None:
            import pyarrow.compute as pc

            found = pc.index_in(wanted.cast(keys_text.type), value_set=keys_text)
            return np.asarray(found.fill_null(-1), dtype=np.intp)
    keys = pd.Series(keys)
    once = np.flatnonzero(~keys.duplicated().to_numpy())
    found = pd.Index(keys.iloc[once]).get_indexer(pd.Index(np.asarray(values, dtype=object), dtype=object))
    return np.append(once, -1)[found]


def unique_positions(keys: pd.Series, values) -> np.ndarray | None:
    """Position in ``keys`` of each of ``values`` (-1 where absent); None when a key repeats.

    ``pd.Index(keys).get_indexer(values)`` after an ``is_unique`` test (a missing value matches
    a missing key), by Arrow's hash kernels for Arrow-backed text.
    """
    text = arrow_text(keys)
    if text is None:
        unique = pd.Index(keys).is_unique
    else:
        import pyarrow.compute as pc

        unique = len(pc.unique(text)) == len(text)
    return first_positions(values, keys) if unique else None


def factorizable(column: pd.Series):
    """What ``pandas.factorize`` takes quickest: Arrow-backed text as it is (Arrow dictionary-encodes
    it), Python-backed text as an object array (quicker than pandas' string array), else the column."""
    if column.dtype == "str" and arrow_text(column) is None:
        return column.to_numpy(dtype=object)
    return column
