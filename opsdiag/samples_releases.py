"""Synthetic releases for the sample clients: planned/actual dates and each item's fix version.

Used only by ``opsdiag.samples``; draws come from the caller's generator, in a fixed order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .samples_flow import DAY, FAR_FUTURE, FLOW_TYPES, WORKFLOW, FlowSpec, _days
from .schema import conform


def releases_for(spec: FlowSpec, rng: np.random.Generator, items: pd.DataFrame, sprints: pd.DataFrame,
                 as_of: pd.Timestamp) -> tuple[pd.DataFrame, pd.Series]:
    """A release per team every second sprint (Thursday of week two, date only) and fix versions.

    Healthy releases ship on their planned date. With ``release_slip_weeks`` each release slips
    by a gamma-distributed delay (a fifth ship on time), never sooner than 3 days after the team's
    previous release; a release not shipped by ``as_of`` stays unreleased (overdue), and so do the
    last ``overdue_releases`` planned before ``as_of`` (and every release after them). A done story,
    task or bug belongs to the first release of its team shipped on or after its completion (or
    the first unreleased one); unfinished committed items to the team's first unreleased release.
    """
    frames = []
    for team, team_sprints in sprints.groupby("team", sort=False):
        planned = (team_sprints["start"].iloc[::2] + pd.Timedelta(days=10)).dt.normalize()
        planned = planned[planned <= as_of + 28 * DAY].reset_index(drop=True)
        slip = np.zeros(len(planned))
        if spec.release_slip_weeks:
            slip = rng.gamma(2.0, spec.release_slip_weeks * 3.5, len(planned)).round()
            slip[rng.random(len(planned)) < 0.2] = 0.0
        released = list(planned + _days(slip))
        for i in range(1, len(released)):  # a release never ships before the one planned before it
            released[i] = max(released[i], released[i - 1] + 3 * DAY)
        released = pd.Series(released)
        shipped = released <= as_of
        if spec.overdue_releases:
            past = np.flatnonzero(planned < as_of - 5 * DAY)[-spec.overdue_releases:]
            shipped.iloc[past[0]:] = False
        frames.append(pd.DataFrame({
            "release": [f"{team} 1.{k}" for k in range(len(planned))], "team": team,
            "planned_date": planned, "released_date": released.where(shipped),
            "status": np.where(shipped, "released", "unreleased")}))
    releases = conform("releases", pd.concat(frames, ignore_index=True))
    fix = pd.Series([()] * len(items), index=items.index, dtype=object)
    flow = items["item_type"].isin(FLOW_TYPES)
    for team, rel in releases.groupby("team", sort=False):
        effective = rel["released_date"].fillna(FAR_FUTURE).to_numpy()
        done = items.index[flow & items["team"].eq(team) & items["completed_at"].notna()]
        position = np.searchsorted(effective, items.loc[done, "completed_at"].to_numpy(), side="left")
        fix.loc[done] = [(rel["release"].iloc[p],) for p in np.minimum(position, len(rel) - 1)]
        opened = items.index[flow & items["team"].eq(team) & items["status"].map(
            lambda s: WORKFLOW[s][0]).eq("committed")]
        unreleased = rel[rel["released_date"].isna()]
        if len(unreleased):
            fix.loc[opened] = [(unreleased["release"].iloc[0],)] * len(opened)
    return releases, fix
