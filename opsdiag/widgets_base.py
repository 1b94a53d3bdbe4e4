"""What every explorer shares: a VBox of controls above one ``ipywidgets.Output``.

An explorer is a widget (``ipywidgets.VBox``) whose callbacks only read its controls, call the
same pure functions the reports use, keep the results as plain attributes (``.ranking``,
``.filtered`` …, inspectable in tests) and show them in its ``Output``. The output is written
as display data (escaped HTML tables, figures as inline PNG) straight into the ``Output``
widget's ``outputs``, so nothing is printed and no IPython shell is needed to update it. An
error is logged and shown inside the output as a red box, so it is visible in JupyterLab.

``snapshot()`` returns the static HTML (tables and PNG figures) of the explorer's default state,
for rendered reports where a live widget would be an empty area.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from typing import Any, Callable

import ipywidgets as w
import pandas as pd

from . import display as show

log = logging.getLogger(__name__)

__all__ = ["Explorer", "figure", "local_midnight", "end_of_local_day"]


def figure(draw: Callable, alt: str, size: tuple[float, float] = (8.0, 3.6)) -> show.Rich:
    """Draw ``draw(ax)`` on a new off-screen figure and return it as an inline PNG ``Rich``.

    A ``matplotlib.figure.Figure`` is made directly (not through pyplot), so callbacks never
    touch the notebook's current figure and no window or inline output appears twice.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=size)
    draw(fig.subplots())
    return show.figure(fig, alt)


def local_midnight(day: dt.date, timezone: str) -> pd.Timestamp:
    """The first instant of ``day`` in ``timezone``, in UTC (a window's start)."""
    return pd.Timestamp(day).tz_localize(timezone, nonexistent="shift_forward", ambiguous=False).tz_convert("UTC")


def end_of_local_day(day: dt.date, timezone: str) -> pd.Timestamp:
    """The last instant of ``day`` in ``timezone``, in UTC (a window's end; as ``load_client``)."""
    from .client import end_of_day

    return end_of_day(day, timezone)


def _bundle(item: Any) -> dict:
    """One display-data output for ``Output.outputs`` (HTML + text, or plain text)."""
    if isinstance(item, (show.Rich, show.RichMarkdown)):
        key = "text/html" if isinstance(item, show.Rich) else "text/markdown"
        data = {key: item.data, "text/plain": item.text}
    else:
        data = {"text/plain": str(item)}
    return {"output_type": "display_data", "data": data, "metadata": {}}


class Explorer(w.VBox):
    """Base of every explorer: controls on top, one Output below, results as attributes.

    Subclasses build their controls, call ``_start(controls)`` and implement ``_compute()``
    (call pure functions, store results as attributes) and ``_render()`` (return display
    objects from those attributes). Any control change calls :meth:`refresh`.

    Attributes
    ----------
    output : ipywidgets.Output
        Where results and errors are shown.
    error : Exception or None
        The error of the last refresh (also logged and shown in ``output``), else None.
    """

    heading = ""

    def _start(self, controls: list[w.Widget], watch: list[w.Widget] | None = None) -> None:
        self.output = w.Output(layout=w.Layout(width="100%"))
        self.error: Exception | None = None
        title = w.HTML(f"<h3 style='margin:0.3em 0'>{show.escape(self.heading)}</h3>") if self.heading else None
        self.children = [c for c in (title, *controls, self.output) if c is not None]
        for control in watch if watch is not None else controls:
            control.observe(self.refresh, names="value")
        self.refresh()
        self._default_outputs = self.output.outputs

    def _compute(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _render(self) -> list:  # pragma: no cover - abstract
        raise NotImplementedError

    @contextlib.contextmanager
    def paused(self):
        """Change several controls at once: one refresh at the end instead of one per control."""
        self._paused = True
        try:
            yield self
        finally:
            self._paused = False
        self.refresh()

    def refresh(self, *_change) -> None:
        """Recompute from the controls and redraw the output (errors are shown, not raised)."""
        if getattr(self, "_paused", False):
            return
        try:
            self._compute()
            items = self._render()
            self.error = None
        except Exception as exc:  # shown to the consultant in the notebook, with the traceback logged
            log.exception("%s: could not update", type(self).__name__)
            self.error = exc
            items = [show.callout(f"Could not update: {type(exc).__name__}", str(exc), tone="bad")]
        self.output.outputs = tuple(_bundle(item) for item in items)

    def shown_html(self) -> str:
        """The HTML now shown in the output (every display item, in order)."""
        return "".join(o["data"].get("text/html", "") for o in self.output.outputs)

    def snapshot(self) -> show.Rich:
        """Static HTML (escaped tables, inline PNG figures) of the explorer's default state.

        For rendered reports: a live widget without a kernel is an empty area, this is not.
        """
        heading = f"<h4>{show.escape(self.heading)}</h4>" if self.heading else ""
        html = "".join(o["data"].get("text/html", "") for o in self._default_outputs)
        text = "\n".join(o["data"].get("text/plain", "") for o in self._default_outputs)
        return show.Rich(f'<div class="opsdiag-explorer-snapshot">{heading}{html}</div>',
                         f"{self.heading}\n{text}".strip())
