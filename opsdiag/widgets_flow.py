"""Flow explorer: filter by team, item type and date window; see cycle time, throughput and aging WIP.

:func:`flow_view` selects rows of the client's ``flow`` table and calls the flow metrics the
report uses (``cycle_times``, ``cycle_time_percentiles``, ``weekly_throughput``, ``aging_wip``);
:class:`FlowExplorer` wires a team list, an item-type list and two dates to it and draws the
results with ``opsdiag.plots``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import ipywidgets as w
import pandas as pd

from . import display as show
from .metrics.flow import aging_wip, cycle_time_percentiles, cycle_times, included, weekly_throughput
from .widgets_base import Explorer, end_of_local_day, figure, local_midnight

NO_VALUE = "(none)"  # label of items without a team or type


@dataclass
class FlowView:
    """What the flow explorer shows for one choice of teams, types and window.

    ``filtered`` are the included items of the chosen teams and types that were in progress
    during the window (started by its end, not finished or canceled before its start);
    ``cycle_times`` the items completed inside the window; ``throughput`` items completed per
    week in the window; ``aging`` the chosen teams' and types' work in progress at ``as_of``,
    compared with the window's cycle-time ``percentiles``.
    """

    filtered: pd.DataFrame
    cycle_times: pd.DataFrame
    percentiles: dict[int, float]
    throughput: pd.DataFrame
    aging: pd.DataFrame


def _labels(values: pd.Series) -> pd.Series:
    return values.astype("object").where(values.notna() & values.astype("str").str.strip().ne(""), NO_VALUE)


def choices(flow: pd.DataFrame, column: str) -> list[str]:
    """Distinct values of ``column`` among included items, sorted; missing ones as ``"(none)"``."""
    rows = included(flow)
    if column not in rows.columns or rows.empty:
        return []
    return sorted(_labels(rows[column]).astype("str").unique())


def select(flow: pd.DataFrame, teams=None, types=None) -> pd.DataFrame:
    """Included rows of ``flow`` whose team is in ``teams`` and item type in ``types``.

    ``None`` keeps every value; ``"(none)"`` matches a missing team or type; an empty list
    keeps nothing.
    """
    rows = included(flow)
    for column, wanted in (("team", teams), ("item_type", types)):
        if wanted is not None:
            rows = rows[_labels(rows[column]).isin(list(wanted))]
    return rows


def flow_view(flow: pd.DataFrame, as_of: pd.Timestamp, *, teams=None, types=None, start=None, end=None,
              timezone: str = "UTC") -> FlowView:
    """Flow metrics of the items chosen by team, type and window (see :class:`FlowView`).

    Parameters
    ----------
    flow : the client's ``flow`` table (``workflow.flow_intervals``).
    as_of : the instant state is taken (aging WIP; the window never runs past it).
    teams, types : values to keep (:func:`select`); None keeps all.
    start, end : window instants (UTC); None: from the first completion, to ``as_of``.
    timezone : weeks start on Monday in this zone.

    Cycle times count items completed with ``start <= completed_at <= end``; throughput the
    same completions per Monday-started week (the week cut by ``end`` is marked partial);
    percentiles are those of the window's cycle times (NaN when none); aging WIP is taken at
    ``as_of``. Empty selections give empty frames.
    """
    rows = select(flow, teams, types)
    end = min(end, as_of) if end is not None else as_of
    finished = rows["completed_at"].fillna(rows["canceled_at"])
    touched = rows["started_at"].notna() & (rows["started_at"] <= end)
    if start is not None:
        touched &= finished.isna() | (finished >= start)
    cycles = cycle_times(rows, start, end)
    percentiles = cycle_time_percentiles(cycles)
    return FlowView(filtered=rows[touched].reset_index(drop=True), cycle_times=cycles, percentiles=percentiles,
                    throughput=weekly_throughput(rows, end, start=start, timezone=timezone),
                    aging=aging_wip(rows, as_of, percentiles))


def default_window(client) -> tuple[dt.date, dt.date]:
    """The engagement's ``window``, else the first start (or creation) in the data to the as-of date."""
    window = client.engagement.window
    rows = included(client.flow)
    first = rows["started_at"].min() if rows["started_at"].notna().any() else rows["created_at"].min()
    start = window.start or (first.tz_convert(client.engagement.timezone).date() if pd.notna(first)
                             else client.as_of_date - dt.timedelta(days=90))
    return start, min(window.end or client.as_of_date, client.as_of_date)


class FlowExplorer(Explorer):
    """Teams, item types and a date window → cycle-time scatter, weekly throughput, aging WIP.

    Attributes
    ----------
    teams, types : ipywidgets.SelectMultiple
        Every value is selected at first.
    start, end : ipywidgets.DatePicker
        The window (local dates in the engagement timezone); default :func:`default_window`.
    view : FlowView
        The latest results; ``filtered``, ``cycle_times``, ``throughput``, ``aging`` and
        ``percentiles`` are also attributes of the explorer.
    """

    heading = "Flow: filter by team, item type and dates"

    def __init__(self, client):
        super().__init__()
        self.client = client
        teams, types = choices(client.flow, "team"), choices(client.flow, "item_type")
        layout = w.Layout(width="16em", height=f"{min(8, max(3, len(teams), len(types))) * 1.6 + 0.5}em")
        self.teams = w.SelectMultiple(options=teams, value=tuple(teams), description="Teams", layout=layout)
        self.types = w.SelectMultiple(options=types, value=tuple(types), description="Item types", layout=layout)
        start, end = default_window(client)
        self.start = w.DatePicker(value=start, description="From")
        self.end = w.DatePicker(value=end, description="To")
        controls = [self.teams, self.types, self.start, self.end]
        self._start([w.HBox([self.teams, self.types, w.VBox([self.start, self.end])])], watch=controls)

    def _compute(self) -> None:
        tz = self.client.engagement.timezone
        start = local_midnight(self.start.value, tz) if self.start.value else None
        end = end_of_local_day(self.end.value, tz) if self.end.value else None
        self.view = flow_view(self.client.flow, self.client.as_of, teams=self.teams.value, types=self.types.value,
                              start=start, end=end, timezone=tz)
        for name in ("filtered", "cycle_times", "percentiles", "throughput", "aging"):
            setattr(self, name, getattr(self.view, name))

    def _render(self) -> list:
        from .plots.flow import plot_aging_wip, plot_cycle_times, plot_weekly_throughput

        view = self.view
        statuses = list(self.client.mapping["status"])
        complete = view.throughput[~view.throughput["partial"]]["throughput"]
        kpis = {"Items in progress or finished in the window": len(view.filtered),
                "Finished in the window": len(view.cycle_times),
                "Median cycle time (days)": view.percentiles.get(50),
                "85% finish within (days)": view.percentiles.get(85),
                "Items per full week (mean)": complete.mean() if len(complete) else None,
                f"In progress at {self.client.as_of_date}": len(view.aging)}
        return [
            show.kpis(kpis, formats={"Median cycle time (days)": "{:.1f}", "85% finish within (days)": "{:.1f}",
                                     "Items per full week (mean)": "{:.1f}"}),
            figure(lambda ax: plot_cycle_times(view.cycle_times, view.percentiles, ax=ax),
                   "Cycle time of each item finished in the window", (8.0, 3.8)),
            figure(lambda ax: plot_weekly_throughput(view.throughput, ax=ax),
                   "Items finished per week in the window", (8.0, 3.4)),
            figure(lambda ax: plot_aging_wip(view.aging, view.percentiles, statuses=statuses, ax=ax),
                   f"Work in progress at {self.client.as_of_date} by status and age", (8.0, 3.8)),
        ]
