"""Escaped HTML display helpers for the notebooks: tables, markdown, figures, callouts, KPIs.

Every piece of client text (item titles, customer names, statuses …) is escaped with
``html.escape`` before it reaches HTML, so an item titled ``<script>`` shows as text on every
page. Each helper returns a :class:`Rich` object: an ``IPython.display.HTML`` whose plain-text
``repr`` is a readable console fallback. Figures are inline PNG (base64) with alt text, so the
rendered report is one self-contained file.

The ``*_html`` functions return the HTML string; the report's index pages reuse them.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import math
import numbers
import re
from typing import Any, Callable, Mapping

import pandas as pd
from IPython.display import HTML, Markdown

TONES = ("info", "good", "warn", "bad")
MISSING = "–"

# Inline styles, so the helpers look right in JupyterLab too (the report CSS refines them).
_TONE_COLOURS = {"info": ("#0B5FFF", "#EEF3FF"), "good": ("#1A7F37", "#EAF6EC"),
                 "warn": ("#9A6700", "#FFF6DB"), "bad": ("#CF222E", "#FDECEC")}
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


class Rich(HTML):
    """An HTML display object with a plain-text fallback for consoles and ``text/plain``."""

    def __init__(self, html_text: str, text: str):
        super().__init__(html_text)
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(self.text)


class RichMarkdown(Markdown):
    """A Markdown display object whose plain-text fallback is the (unescaped) text."""

    def __init__(self, markdown_text: str, text: str):
        super().__init__(markdown_text)
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(self.text)


def escape(value: Any) -> str:
    """``value`` as HTML-escaped text (quotes included); None and NaN become ``""``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def format_value(value: Any, fmt: str | Callable[[Any], str] | None = None) -> str:
    """One cell as display text (not yet escaped).

    Missing values (None, NaN, NaT) show as an en dash; timestamps as ``YYYY-MM-DD`` (with
    ``HH:MM`` when not midnight); floats with one decimal and thousands separators; tuples
    and lists as comma-separated text. ``fmt`` is a ``str.format`` spec such as ``"{:,.0f}"``
    or a callable, applied to non-missing values.
    """
    if isinstance(value, (tuple, list)):
        return ", ".join(format_value(v) for v in value)
    try:
        if pd.isna(value):
            return MISSING
    except (TypeError, ValueError):
        pass
    if fmt is not None:
        return fmt(value) if callable(fmt) else fmt.format(value)
    if isinstance(value, pd.Timestamp):
        if value.hour == value.minute == value.second == 0:
            return value.strftime("%Y-%m-%d")
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, pd.Timedelta):
        return f"{value / pd.Timedelta(days=1):,.1f} d"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return f"{value:,}"
    if isinstance(value, numbers.Real):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.1f}"
    return str(value)


def _frame_text(frame: pd.DataFrame, formats: Mapping | None) -> pd.DataFrame:
    formats = formats or {}
    return pd.DataFrame({c: frame[c].map(lambda v, f=formats.get(c): format_value(v, f))
                         for c in frame.columns}, index=frame.index)


def _shown(df: pd.DataFrame, max_rows: int) -> tuple[pd.DataFrame, str]:
    frame = df if isinstance(df.index, pd.RangeIndex) else df.reset_index()
    note = ""
    if max_rows is not None and len(frame) > max_rows:
        note = f"showing {max_rows:,} of {len(frame):,} rows"
        frame = frame.head(max_rows)
    return frame, note


def table_html(df: pd.DataFrame, caption: str | None = None, max_rows: int = 25,
               formats: Mapping[str, str | Callable] | None = None) -> str:
    """An escaped HTML ``<table>`` of ``df`` (see :func:`table`)."""
    frame, note = _shown(df, max_rows)
    text = _frame_text(frame, formats)
    numeric = {c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c].dtype)
               and not pd.api.types.is_bool_dtype(frame[c].dtype)}
    parts = ['<table class="opsdiag-table" style="border-collapse:collapse;margin:0.5em 0">']
    if caption:
        parts.append(f'<caption style="text-align:left;font-weight:600;padding:0.3em 0">{escape(caption)}</caption>')
    cell = 'style="padding:0.25em 0.6em;border-bottom:1px solid #ddd;text-align:{}"'
    header = "".join(f"<th {cell.format('right' if c in numeric else 'left')}>{escape(c)}</th>"
                     for c in frame.columns)
    parts.append(f"<thead><tr>{header}</tr></thead><tbody>")
    if frame.empty:
        parts.append(f'<tr><td colspan="{max(1, len(frame.columns))}" {cell.format("left")}>'
                     "no rows</td></tr>")
    # one <tr> per displayed row (at most max_rows): presentation, not a loop over the data
    for row in text.itertuples(index=False):
        cells = "".join(f"<td {cell.format('right' if c in numeric else 'left')}>{escape(v)}</td>"
                        for c, v in zip(frame.columns, row))
        parts.append(f"<tr>{cells}</tr>")
    parts.append("</tbody></table>")
    if note:
        parts.append(f'<p class="opsdiag-note" style="color:#666;font-size:0.9em">{escape(note)}</p>')
    return "".join(parts)


def table_text(df: pd.DataFrame, caption: str | None = None, max_rows: int = 25,
               formats: Mapping | None = None) -> str:
    """The plain-text rendering of :func:`table` (caption, aligned columns, row note)."""
    frame, note = _shown(df, max_rows)
    text = _frame_text(frame, formats)
    body = text.to_string(index=False) if not frame.empty else "(no rows)"
    return "\n".join(part for part in (caption, body, note) if part)


def table(df: pd.DataFrame, caption: str | None = None, max_rows: int = 25,
          formats: Mapping[str, str | Callable] | None = None) -> Rich:
    """Display ``df`` as an escaped HTML table.

    Parameters
    ----------
    df : the frame; a non-default index is shown as leading column(s).
    caption : shown above the table (escaped).
    max_rows : at most this many rows are shown, with a "showing N of M rows" note.
    formats : column -> ``str.format`` spec (``"{:,.0f}"``) or callable; other cells use
        :func:`format_value`.

    Returns
    -------
    Rich : ``text/html`` with every header and cell escaped, ``text/plain`` fallback. An empty
    frame gives a table saying "no rows".
    """
    return Rich(table_html(df, caption, max_rows, formats), table_text(df, caption, max_rows, formats))


def escape_markdown(value: Any) -> str:
    """``value`` as text that markdown shows literally: HTML-escaped, markdown syntax backslashed."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(_MARKDOWN_SPECIALS.sub(r"\\\1", str(value)), quote=True)


def markdown(text: str, **values: Any) -> RichMarkdown:
    """Markdown ``text`` with ``{name}`` placeholders filled from ``values``, each escaped.

    The template text is the notebook author's (trusted); every value is client data, so it
    is HTML-escaped and its markdown syntax neutralised before ``str.format`` interpolation:
    a customer named ``<b>x</b>`` or ``[x](javascript:…)`` shows literally.
    """
    escaped = {k: escape_markdown(v) if isinstance(v, str) else escape_markdown(format_value(v))
               for k, v in values.items()}
    plain = {k: v if isinstance(v, str) else format_value(v) for k, v in values.items()}
    return RichMarkdown(text.format(**escaped), text.format(**plain))


def figure_html(fig, alt: str, dpi: int = 110) -> str:
    """An ``<img>`` with the figure as inline base64 PNG and escaped ``alt`` text."""
    fig = getattr(fig, "figure", fig)  # an Axes gives its Figure
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (f'<figure class="opsdiag-figure" style="margin:0.5em 0">'
            f'<img src="data:image/png;base64,{data}" alt="{escape(alt)}" style="max-width:100%">'
            f"</figure>")


def figure(fig, alt: str, dpi: int = 110) -> Rich:
    """Display a matplotlib figure (or Axes) as an inline PNG ``<img>`` with alt text.

    The figure is closed afterwards so the notebook's inline backend does not show it twice.
    ``alt`` is required: it describes the chart for screen readers and the text fallback.
    """
    if not alt or not str(alt).strip():
        raise ValueError("figure(...) needs alt text describing the chart")
    markup = figure_html(fig, alt, dpi)
    import matplotlib.pyplot as plt

    plt.close(getattr(fig, "figure", fig))
    return Rich(markup, f"[figure: {alt}]")


def callout_html(title: str, body: str = "", tone: str = "info") -> str:
    """A coloured box with an escaped title and body (see :func:`callout`)."""
    if tone not in TONES:
        raise ValueError(f"callout tone {tone!r}: expected one of {', '.join(TONES)}")
    border, background = _TONE_COLOURS[tone]
    body_html = "".join(f"<p style=\"margin:0.3em 0 0\">{escape(p)}</p>"
                        for p in str(body or "").split("\n\n") if p.strip())
    return (f'<div class="opsdiag-callout opsdiag-{tone}" role="note" style="border-left:4px solid '
            f'{border};background:{background};padding:0.6em 0.9em;margin:0.6em 0">'
            f"<strong>{escape(title)}</strong>{body_html}</div>")


def callout(title: str, body: str = "", tone: str = "info") -> Rich:
    """Display a highlighted note. ``tone`` is info | good | warn | bad; text is escaped."""
    return Rich(callout_html(title, body, tone), f"[{tone}] {title}" + (f"\n{body}" if body else ""))


def kpis_html(values: Mapping[str, Any], formats: Mapping[str, str | Callable] | None = None) -> str:
    """A row of KPI cards, label above value, all escaped (see :func:`kpis`)."""
    formats = formats or {}
    cards = "".join(
        '<div class="opsdiag-kpi" style="border:1px solid #ddd;border-radius:6px;padding:0.5em 0.9em;'
        'min-width:9em"><div class="opsdiag-kpi-label" style="color:#555;font-size:0.85em">'
        f"{escape(label)}</div><div class=\"opsdiag-kpi-value\" style=\"font-size:1.5em;font-weight:600\">"
        f"{escape(format_value(value, formats.get(label)))}</div></div>"
        for label, value in values.items())
    return f'<div class="opsdiag-kpis" style="display:flex;flex-wrap:wrap;gap:0.6em;margin:0.6em 0">{cards}</div>'


def kpis(values: Mapping[str, Any], formats: Mapping[str, str | Callable] | None = None) -> Rich:
    """Display headline numbers as cards: ``{"Items": 120, "Median cycle time (days)": 6.5}``.

    Missing values show as an en dash; ``formats`` maps a label to a format spec or callable.
    """
    text = "\n".join(f"{label}: {format_value(value, (formats or {}).get(label))}"
                     for label, value in values.items())
    return Rich(kpis_html(values, formats), text)
