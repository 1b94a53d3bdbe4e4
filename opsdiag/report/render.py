"""Executed notebooks -> client-ready HTML pages (nbconvert, custom template, no external resources).

A page is JupyterLab's HTML template (``templates/opsdiag`` extends ``lab``) with: no code
input, no prompts, no stderr or warnings, no widget or JavaScript outputs, cells removed by
the ``remove-cell`` / ``remove-input`` / ``remove-output`` tags, a cover (client, consultant,
date, run parameters from papermill's metadata), a navigation bar between the report's pages,
a table of contents (from the headings' ids), the client's brand colour and logo, print CSS and ``lang="en"``. Nothing
loads from the network: require.js, MathJax, mermaid and the widget manager are left out, and
any ``<script src>`` or remote stylesheet that slips in through an output is dropped, so every
page is one self-contained file that opens offline.
"""

from __future__ import annotations

import base64
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..display import escape, format_value
from ..errors import ConfigError

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "opsdiag"

# phase name -> (notebook stem, page title); the order is the report's order
PHASES: dict[str, tuple[str, str]] = {
    "diagnose": ("01_diagnose", "Diagnose"),
    "design": ("02_design", "Design"),
    "deploy": ("03_deploy", "Deploy"),
    "scale": ("04_scale", "Scale"),
}
INDEX_PAGE = "index.html"
DEFAULT_BRAND = "#0B5FFF"

_HEX_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_HEADING = re.compile(r"<h([12])\b([^>]*)>(.*?)</h\1>", re.S)
_ID = re.compile(r'\bid="([^"]+)"')
_TOC_SLOT = re.compile(r'<div class="opsdiag-toc-slot">\s*</div>')
_TAG = re.compile(r"<[^>]+>")
_ANCHOR = re.compile(r'<a\b[^>]*class="anchor-link"[^>]*>.*?</a>', re.S)
_SCRIPT_SRC = re.compile(r"<script\b[^>]*\bsrc\s*=[^>]*>.*?</script\s*>", re.S | re.I)
_REMOTE_LINK = re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']?(?:https?:)?//[^>]*>", re.I)
_REMOTE_EMBED = re.compile(r"<(?:img|iframe|audio|video|source|embed)\b[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//[^>]*>"
                           r"(?:\s*</(?:iframe|audio|video)>)?", re.I)
_OBJECT_REPR = re.compile(r"^\s*\[?\s*<[^<>\n]* at 0x[0-9a-fA-F]+>\s*\]?\s*$|^\s*<Figure size [^>]*>\s*$", re.S)
_REMOTE_IMPORT = re.compile(r"@import\s+url\(\s*[\"']?(?:https?:)?//[^)]*\)\s*;?", re.I)
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"


@dataclass
class PageContext:
    """What every page of one client's report shows around the notebook content.

    ``pages`` lists ``(label, href)`` for the navigation bar; ``href`` is None for a phase not
    rendered in this run. ``parameters`` are the run's notebook parameters (cover).
    """

    client: str
    title: str = "Product operations diagnostic"
    consultant: str = ""
    as_of: str = ""
    brand_color: str = DEFAULT_BRAND
    logo_uri: str | None = None
    pages: list[tuple[str, str | None]] = field(default_factory=list)
    parameters: dict = field(default_factory=dict)


def brand_colour(value: str | None) -> str:
    """``value`` when it is a ``#rgb`` / ``#rrggbb`` colour, else the default (never raw CSS)."""
    if value and _HEX_COLOUR.fullmatch(str(value).strip()):
        return str(value).strip()
    if value:
        log.warning("report.brand_color %r is not a #rrggbb colour; using %s", value, DEFAULT_BRAND)
    return DEFAULT_BRAND


def brand_css(colour: str | None) -> str:
    return f":root {{ --opsdiag-brand: {brand_colour(colour)}; }}"


def logo_data_uri(path: str | Path | None, base_dir: str | Path | None = None) -> str | None:
    """The logo file as a ``data:image/png|jpeg;base64,`` URI (PNG or JPEG only, by content).

    Raises
    ------
    ConfigError : the file is missing or is not a PNG/JPEG image (SVG could carry scripts).
    """
    if not path:
        return None
    logo = Path(path)
    if not logo.is_absolute() and base_dir is not None:
        logo = Path(base_dir) / logo
    if not logo.is_file():
        raise ConfigError(f"report.logo: {logo} not found (expected a PNG or JPEG file)")
    data = logo.read_bytes()
    if data.startswith(_PNG_MAGIC):
        mime = "image/png"
    elif data.startswith(_JPEG_MAGIC):
        mime = "image/jpeg"
    else:
        raise ConfigError(f"report.logo: {logo.name} is not a PNG or JPEG image (only those are embedded)")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def nav_html(pages: list[tuple[str, str | None]], current: str | None) -> str:
    """The bar linking the report's pages; ``current`` is the href of this page."""
    items = []
    for label, href in pages:
        if href is None:
            items.append(f'<li><span class="opsdiag-disabled" title="not rendered in this run">'
                         f"{escape(label)}</span></li>")
        else:
            mark = ' aria-current="page"' if href == current else ""
            items.append(f'<li><a href="{escape(href)}"{mark}>{escape(label)}</a></li>')
    return f'<nav class="opsdiag-nav" aria-label="Report pages"><ol>{"".join(items)}</ol></nav>'


def parameters_html(parameters: dict) -> str:
    """The run's parameters as a small escaped table (cover, collapsed)."""
    if not parameters:
        return ""
    rows = "".join(f"<tr><th scope=\"row\">{escape(k)}</th><td>{escape(_param_text(v))}</td></tr>"
                   for k, v in parameters.items())
    return (f'<details class="opsdiag-parameters"><summary>Run parameters</summary>'
            f'<table class="opsdiag-table">{rows}</table></details>')


def _param_text(value) -> str:
    if value is None or value == "":
        return "(default)"
    return format_value(value) if not isinstance(value, str) else value


def cover_html(ctx: PageContext, page_title: str) -> str:
    """The cover block: logo, report title, client and page, consultant, date, parameters."""
    logo = (f'<img class="opsdiag-logo" src="{ctx.logo_uri}" alt="{escape(ctx.client)} logo">'
            if ctx.logo_uri else "")
    facts = [("Client", ctx.client), ("Consultant", ctx.consultant or "–"),
             ("Data as of", ctx.as_of or "–"), ("Prepared with", f"opsdiag {__version__}")]
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts)
    return (f'<header class="opsdiag-cover">{logo}<p class="opsdiag-kicker">{escape(ctx.title)}</p>'
            f'<p class="opsdiag-cover-title">{escape(ctx.client)} — {escape(page_title)}</p>'
            f"<dl>{rows}</dl>{parameters_html(ctx.parameters)}</header>")


def footer_html(ctx: PageContext) -> str:
    return (f'<footer class="opsdiag-footer">{escape(ctx.title)} · {escape(ctx.client)} · data as of '
            f"{escape(ctx.as_of or '–')} · prepared with opsdiag {escape(__version__)}. "
            "Confidential: prepared for the client named above.</footer>")


def toc_html(body: str) -> str:
    """A table of contents of the ``<h1>``/``<h2>`` headings (with ids) found in ``body``."""
    entries = []
    for level, attributes, inner in _HEADING.findall(body):
        anchor = _ID.search(attributes)
        text = _TAG.sub("", _ANCHOR.sub("", inner)).strip()
        if anchor and text:
            anchor = anchor.group(1)
            entries.append(f'<li class="opsdiag-toc-{level}"><a href="#{anchor}">{text}</a></li>')
    if not entries:
        return ""
    return (f'<nav class="opsdiag-toc" aria-label="Contents"><h2>Contents</h2>'
            f'<ol>{"".join(entries)}</ol></nav>')


def insert_toc(page: str) -> str:
    """Replace the template's empty ``opsdiag-toc-slot`` element with the page's contents."""
    match = _TOC_SLOT.search(page)
    if match is None:
        return page
    return page[:match.start()] + toc_html(page[match.end():]) + page[match.end():]


def drop_external_resources(page: str) -> str:
    """Remove ``<script src=…>``, remote stylesheets, remote images/frames and CSS ``@import``s.

    A safety net for outputs that embed them: the page must render offline and load nothing.
    """
    cleaned = _SCRIPT_SRC.sub("", page)
    cleaned = _REMOTE_LINK.sub("", cleaned)
    cleaned = _REMOTE_EMBED.sub("", cleaned)
    cleaned = _REMOTE_IMPORT.sub("", cleaned)
    if cleaned != page:
        log.warning("dropped external scripts/stylesheets from a report page (it must open offline)")
    return cleaned


def _client_ready_preprocessor():
    from nbconvert.preprocessors import Preprocessor

    class ClientReadyPreprocessor(Preprocessor):
        """Drop what a client must not see: stderr, warnings, errors, scripts, widget views and
        bare object reprs (``[<matplotlib.lines.Line2D at 0x…>]``).

        Code cells left with no output are removed (no empty output areas); papermill's
        injected-parameters cell and the widget state go too.
        """

        def preprocess(self, nb, resources):
            nb.metadata.pop("widgets", None)
            kept = []
            for cell in nb.cells:
                tags = set(cell.get("metadata", {}).get("tags", []))
                if tags & {"injected-parameters", "parameters", "papermill-error-cell-tag"}:
                    continue
                if cell.cell_type == "code":
                    cell.outputs = [o for o in cell.get("outputs", []) if _client_ready(o)]
                    if not cell.outputs:
                        continue
                kept.append(cell)
            nb.cells = kept
            return nb, resources

    return ClientReadyPreprocessor


def _client_ready(output) -> bool:
    kind = output.get("output_type")
    if kind == "error":
        return False
    if kind == "stream":
        return output.get("name") == "stdout" and bool(output.get("text", "").strip())
    data = output.get("data", {})
    if "application/vnd.jupyter.widget-view+json" in data or "application/javascript" in data:
        return False
    text = str(data.get("text/plain", ""))
    if set(data) <= {"text/plain"} and (re.match(r"\s*(<[\w.]*Warning|[\w.]*Warning:)", text)
                                        or _OBJECT_REPR.match(text)):
        return False  # a warning, or a bare object repr such as "<Figure size 640x480 with 1 Axes>"
    return bool(data)


def html_exporter():
    """The configured ``HTMLExporter`` (template ``opsdiag``, inputs and prompts excluded)."""
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.enabled = True  # one of HTMLExporter's default preprocessors
    config.TagRemovePreprocessor.remove_cell_tags = {"remove-cell", "injected-parameters"}
    config.TagRemovePreprocessor.remove_input_tags = {"remove-input"}
    config.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output"}
    exporter = HTMLExporter(config=config, template_name=TEMPLATE_NAME,
                            extra_template_basedirs=[str(TEMPLATES_DIR)])
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.exclude_anchor_links = False  # keeps heading ids for the contents (the CSS hides the ¶)
    exporter.embed_images = True
    exporter.language_code = "en"
    exporter.register_preprocessor(_client_ready_preprocessor()(), enabled=True)
    return exporter


def render_notebook(nb, ctx: PageContext, page_title: str, href: str) -> str:
    """One executed notebook as a client-ready HTML page (a string)."""
    import copy

    nb = copy.deepcopy(nb)
    parameters = dict(nb.metadata.get("papermill", {}).get("parameters") or ctx.parameters or {})
    page_ctx = PageContext(**{**ctx.__dict__, "parameters": parameters})
    resources = {
        "metadata": {"name": f"{ctx.client} — {page_title}"},
        "opsdiag": {
            "brand_css": brand_css(ctx.brand_color),
            "nav_html": nav_html(ctx.pages, href),
            "cover_html": cover_html(page_ctx, page_title),
            "footer_html": footer_html(ctx),
        },
    }
    nb.metadata.pop("title", None)
    body, _ = html_exporter().from_notebook_node(nb, resources=resources)
    return drop_external_resources(insert_toc(body))


def render_notebook_file(ipynb: str | Path, html_path: str | Path, ctx: PageContext,
                         page_title: str) -> Path:
    """Read an executed ``.ipynb`` and write its page to ``html_path``."""
    import nbformat

    nb = nbformat.read(str(ipynb), as_version=4)
    page = render_notebook(nb, ctx, page_title, Path(html_path).name)
    Path(html_path).write_text(page, encoding="utf-8")
    return Path(html_path)


def pages_jinja():
    """A Jinja environment (autoescaping on) for the report's own pages: index and batch index."""
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR / "pages")),
                              autoescape=True, trim_blocks=True, lstrip_blocks=True,
                              undefined=jinja2.StrictUndefined)


def page_css(colour: str | None) -> str:
    """The inline CSS of a standalone page (index): opsdiag.css plus the brand colour."""
    css = (TEMPLATES_DIR / TEMPLATE_NAME / "static" / "opsdiag.css").read_text(encoding="utf-8")
    return css + "\n" + brand_css(colour)
