"""What every chart module shares: a new Axes when none is given, the empty-result panel, tidy spines."""

from __future__ import annotations

GREY = "#9AA5B1"


def axes(ax=None, figsize=(8, 4)):
    """``ax``, or a new Axes from ``pyplot.subplots`` (matplotlib imported on first use)."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


def nothing(ax, title: str, message: str = "No data"):
    """A titled, empty Axes saying there is nothing to show (never raise on an empty result)."""
    ax.set_title(title)
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color=GREY)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def tidy(ax):
    """Hide the top and right spines."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax
