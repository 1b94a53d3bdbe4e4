"""opsdiag.display: every piece of client text escaped, plain-text fallbacks, inline figures."""

import base64
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from opsdiag import display as show  # noqa: E402

XSS = "<script>alert(1)</script>"


def test_table_escapes_cells_headers_and_caption():
    df = pd.DataFrame({"title": [XSS, "plain"], "<b>col</b>": [1, 2]})
    out = show.table(df, caption="<i>cap</i>")
    html = out._repr_html_()
    assert "<script>" not in html and "<b>col</b>" not in html and "<i>cap</i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;col&lt;/b&gt;" in html and "&lt;i&gt;cap&lt;/i&gt;" in html
    # the console fallback shows the raw text
    assert XSS in repr(out) and "<i>cap</i>" in repr(out)


def test_table_formats_values_and_truncates():
    df = pd.DataFrame({
        "n": [1234567, 2, 3],
        "days": [1.25, float("nan"), 2000.4],
        "at": pd.to_datetime(["2026-03-02", "2026-03-02 14:30", None], utc=True, format="ISO8601"),
        "labels": [("api", "web"), (), ("x",)],
    })
    html = show.table(df, max_rows=2, formats={"days": "{:.2f}"})._repr_html_()
    assert "1,234,567" in html
    assert "1.25" in html and ">–<" in html  # NaN -> en dash, format applied
    assert "2026-03-02<" in html and "2026-03-02 14:30" in html
    assert "api, web" in html
    assert "2000.40" not in html  # third row cut by max_rows
    assert "showing 2 of 3 rows" in html
    assert html.count("<tr>") == 3  # header + 2 rows


def test_table_of_empty_frame_says_no_rows():
    out = show.table(pd.DataFrame(columns=["a", "b"]))
    assert "no rows" in out._repr_html_()
    assert "(no rows)" in repr(out)


def test_table_shows_a_named_index_as_column():
    df = pd.DataFrame({"v": [1, 2]}, index=pd.Index(["x<", "y"], name="key"))
    html = show.table(df)._repr_html_()
    assert ">key<" in html and "x&lt;" in html


def test_markdown_escapes_values_not_template():
    out = show.markdown("Customer **{name}** waited {days} days", name="<b>x</b>", days=3.5)
    assert out.data == "Customer **&lt;b&gt;x&lt;/b&gt;** waited 3\\.5 days"
    assert repr(out) == "Customer **<b>x</b>** waited 3.5 days"


def test_markdown_neutralises_links_in_values():
    out = show.markdown("{v}", v="[click](javascript:alert(1))")
    assert "[" not in out.data.replace("\\[", "") and "](" not in out.data


def test_figure_is_inline_png_with_escaped_alt():
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [0, 1])
    out = show.figure(fig, alt='cycle "time" <trend>')
    html = out._repr_html_()
    match = re.search(r'src="data:image/png;base64,([^"]+)"', html)
    assert match and base64.b64decode(match.group(1)).startswith(b"\x89PNG")
    assert 'alt="cycle &quot;time&quot; &lt;trend&gt;"' in html
    assert not plt.fignum_exists(fig.number)  # closed: the inline backend will not show it twice
    assert repr(out) == '[figure: cycle "time" <trend>]'


def test_figure_requires_alt_text():
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="alt"):
        show.figure(fig, alt=" ")
    plt.close(fig)


def test_callout_escapes_and_checks_tone():
    html = show.callout(XSS, "first\n\nsecond <b>", tone="warn")._repr_html_()
    assert "<script>" not in html and "&lt;b&gt;" in html
    assert html.count("<p") == 2 and "opsdiag-warn" in html
    with pytest.raises(ValueError, match="tone"):
        show.callout("t", tone="purple")


def test_kpis_cards_and_text():
    out = show.kpis({"Items": 1200, "Median <days>": 6.54, "Missing": None})
    html = out._repr_html_()
    assert "1,200" in html and "6.5" in html and "Median &lt;days&gt;" in html and ">–<" in html
    assert repr(out) == "Items: 1,200\nMedian <days>: 6.5\nMissing: –"


def test_format_value_cases():
    assert show.format_value(None) == "–"
    assert show.format_value(pd.NaT) == "–"
    assert show.format_value(True) == "yes"
    assert show.format_value(12.345) == "12.3"
    assert show.format_value(12345.6) == "12,346"
    assert show.format_value(pd.Timedelta(hours=36)) == "1.5 d"
    assert show.format_value(0.5, lambda v: f"{v:.0%}") == "50%"
