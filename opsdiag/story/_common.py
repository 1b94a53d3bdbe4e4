"""Helpers shared by the page modules."""

from __future__ import annotations

from .. import display


def rich(parts: list[str], text: str) -> display.Rich:
    """One display object from HTML fragments (each already escaped by ``display``)."""
    return display.Rich("".join(parts), text)


def close_figures() -> None:
    """Close every pyplot figure once its PNG is inlined (the notebook must not show it twice)."""
    import matplotlib.pyplot as plt

    plt.close("all")


def figure(ax, alt: str) -> str:
    """The inline PNG ``<img>`` of the figure an Axes (or an array of Axes) belongs to."""
    first = ax.flat[0] if hasattr(ax, "flat") else ax
    return display.figure_html(first.figure, alt)
