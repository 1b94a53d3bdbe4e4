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


def short_money(value: float) -> str:
    """An axis label for money: 0, 950, 12.5k, 3M, 1.25M (no scientific offset)."""
    v = float(value)
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= size:
            return f"{v / size:.2f}".rstrip("0").rstrip(".") + suffix
    return f"{v:.0f}"


def money_axis(ax, axis: str = "x"):
    """Tick labels of ``axis`` as ``short_money`` (a million reads 1M, not 1 with a 1e6 offset)."""
    from matplotlib.ticker import FuncFormatter

    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(FuncFormatter(lambda v, _: short_money(v)))
    return ax
