"""What the cost formulas read and return: assumptions, ``CostInputs`` and ``CostFigure``.

``assumptions`` turns the engagement's ``costs`` block into named ``Assumption`` objects with
their ranges; ``CostInputs`` holds the client's tables, ``as_of`` and one scenario's assumption
values, the data-only results every scenario shares (``memo``) and what every formula needs
(each person's rate, the annualisation factor); each formula returns a ``CostFigure``. The
formulas are in ``cost_people`` and ``cost_delay``; ``opsdiag.cost`` registers and evaluates them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
import pandas as pd

from .text import arrow_text

DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class Assumption:
    """A named input of the cost model, with the config key it comes from and its range."""

    id: str
    value: float
    low: float
    high: float
    unit: str
    source: str
    description: str

    def as_dict(self) -> dict:
        return {"id": self.id, "value": self.value, "low": self.low, "high": self.high,
                "unit": self.unit, "source": self.source, "description": self.description}


def assumptions(costs) -> dict[str, Assumption]:
    """Every assumption of the model from the engagement's ``costs`` block (DESIGN §6)."""
    r = costs.range_pct
    out: dict[str, Assumption] = {}

    def add(id_, value, unit, source, description, ranged=False):
        value = float(value)
        low, high = (value * (1 - r), value * (1 + r)) if ranged else (value, value)
        out[id_] = Assumption(id_, value, low, high, unit, source, description)

    for role, rate in sorted(costs.rates.items()):
        add(f"rate.{role}", rate, "per hour", f"costs.rates.{role}", f"hourly rate of a {role} person", True)
    add("rate.default", costs.default_rate, "per hour", "costs.default_rate",
        "hourly rate of a role without its own rate", True)
    add("cost_of_delay_per_week", costs.cost_of_delay_per_week, "per item-week",
        "costs.cost_of_delay_per_week", "value lost per week one typical item waits", True)
    add("healthy_queue_days_per_handoff", costs.healthy_queue_days_per_handoff, "days",
        "costs.healthy_queue_days_per_handoff", "queue time per handoff that is not waste")
    for column, hours in sorted(costs.healthy_survey_hours.items()):
        add(f"healthy_hours.{column}", hours, "hours/week", f"costs.healthy_survey_hours.{column}",
            f"weekly {column.replace('_', ' ')} hours that are not waste")
    add("healthy_triage_days", costs.healthy_triage_days, "days", "costs.healthy_triage_days",
        "feedback waiting longer than this for triage is delay")
    add("weeks_per_year", costs.weeks_per_year, "weeks", "costs.weeks_per_year", "working weeks per year")
    add("hours_per_day", costs.hours_per_day, "hours", "costs.hours_per_day", "working hours per day")
    return out


@dataclass
class CostFigure:
    """One formula's result for one client: hours and money per year, with the evidence behind it."""

    formula_id: str
    lever: str
    hours_per_year: float
    cost_per_year: float
    assumptions: tuple[str, ...]
    evidence: tuple[str, ...]
    detail: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    quantity: float = 0.0  # the driver: excess hours, or delay weeks
    quantity_unit: str = ""


@dataclass
class CostInputs:
    """What the formulas read: tables, the client's flow and the assumption values."""

    flow: pd.DataFrame
    segments: pd.DataFrame
    work_items: pd.DataFrame
    people: pd.DataFrame
    tools: pd.DataFrame
    releases: pd.DataFrame
    feedback: pd.DataFrame
    as_of: pd.Timestamp
    values: dict[str, float]
    # False while a scenario reads only the figures' hours and cost (the low/high ends and the
    # tornado): a formula may then leave its detail and evidence out (``cost_memo.figure``)
    detailed: bool = True
    # results derived from the data alone, shared by every copy ``with_values`` makes: low, high
    # and each sensitivity scenario re-run every formula, but bounce-backs, release waits and
    # slippage do not move with the assumptions (see ``memo``)
    _memo: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_client(cls, client, values: dict[str, float] | None = None) -> "CostInputs":
        d = client.dataset
        base = {a.id: a.value for a in assumptions(client.engagement.costs).values()}
        return cls(client.flow, client.segments, d.work_items, d.people, d.tools, d.releases,
                   d.feedback, client.as_of, values or base)

    def with_values(self, values: dict[str, float], detailed: bool = True) -> "CostInputs":
        return replace(self, values=values, detailed=detailed)

    def memo(self, name: str, compute: Callable[[], object], *depends) -> object:
        """``compute()``, computed once while the objects in ``depends`` stay the same.

        For intermediate results that depend on the data only (never on ``values``), or also on
        a few assumption values spelled into ``name`` (``"handoff_delay:1.0"``): a copy made by
        ``with_values`` shares the cache, so the 15 evaluations of ``evaluate`` and
        ``sensitivity`` compute them once. Entries are keyed by ``name`` and checked by the
        identity of ``depends`` (kept alive by the entry), so replacing a table recomputes.
        Callers must not modify the returned object.
        """
        entry = self._memo.get(name)
        if entry is not None and len(entry[0]) == len(depends) and all(a is b for a, b in zip(entry[0], depends)):
            return entry[1]
        value = compute()
        self._memo[name] = (depends, value)
        return value

    def tables(self) -> tuple:
        """The data the formulas read (everything but ``values``), for ``memo`` dependencies."""
        return (self.flow, self.segments, self.work_items, self.people, self.tools, self.releases,
                self.feedback, self.as_of)

    def release_slippage(self) -> pd.DataFrame:
        """``metrics.delivery.release_slippage`` of the releases and work items, computed once
        (``release_slip`` and the warning signs share it). Callers must not modify it."""
        from .metrics.delivery import release_slippage

        return self.memo("release_slippage", lambda: release_slippage(self.releases, self.as_of, self.work_items),
                         self.releases, self.as_of, self.work_items)

    def included_created(self) -> pd.Series:
        """``created_at`` of the included items of ``flow`` (the annualisation window's start)."""
        return self.memo("included_created", lambda: self.flow.loc[self.flow["included"], "created_at"], self.flow)

    def rate_for(self, roles: pd.Series, hourly_cost: pd.Series | None = None) -> pd.Series:
        """Hourly rate per person: their ``hourly_cost``, else their role's rate, else the default.

        A person's own hourly_cost scales with the default-rate range so low/high still move.
        """
        people = _RatedPeople.of(roles, hourly_cost)
        return pd.Series(self._rates(people), index=roles.index)

    def _rates(self, people: "_RatedPeople") -> np.ndarray:
        """``rate_for`` on roles already reduced to distinct keys (the arithmetic per scenario)."""
        default = self.values["rate.default"]
        by_key = np.array([self.values.get(f"rate.{key}", np.nan) for key in people.role_keys], dtype="float64")
        by_role = by_key[people.role_codes]
        rate = np.where(np.isnan(by_role), default, by_role)
        if people.hourly_cost is not None:
            base_default = self.values.get("_base.rate.default", default)
            scale = default / base_default if base_default else 1.0
            rate = np.where(people.has_hourly_cost, people.hourly_cost * scale, rate)
        return rate

    def window_scale(self, timestamps: pd.Series) -> float:
        """Annualisation factor: 365 / days the data covers in the year before as_of.

        Coverage starts at the earliest of ``timestamps`` (when the source's history begins:
        created_at of work items, planned_date of releases, created_at of feedback) or 365 days
        before as_of, whichever is later; at least 28 days. A full year of data gives 1.
        """
        ts = timestamps.dropna()
        if ts.empty:
            return 1.0
        start = max(ts.min(), self.as_of - pd.Timedelta(days=DAYS_PER_YEAR))
        covered = (self.as_of - start) / pd.Timedelta(days=1)
        return DAYS_PER_YEAR / max(covered, 28.0) if covered < DAYS_PER_YEAR - 1 else 1.0


@dataclass(frozen=True)
class _RatedPeople:
    """People's roles as codes into their distinct rate keys, and their own hourly cost.

    The data-only half of ``CostInputs.rate_for``: roles are stripped and lower-cased once (a
    missing role keeps its key ``nan``, as ``str.format`` spells it), so each scenario only
    looks up one rate per distinct role.
    """

    role_keys: tuple
    role_codes: np.ndarray
    hourly_cost: np.ndarray | None
    has_hourly_cost: np.ndarray | None

    @classmethod
    def of(cls, roles: pd.Series, hourly_cost: pd.Series | None = None) -> "_RatedPeople":
        codes, keys = pd.factorize(roles.astype("str").str.strip().str.lower(), use_na_sentinel=False)
        if hourly_cost is None:
            return cls(tuple(keys), codes, None, None)
        return cls(tuple(keys), codes, hourly_cost.astype(float).to_numpy(dtype="float64"),
                   hourly_cost.notna().to_numpy())


def _ids(values) -> tuple[str, ...]:
    if isinstance(values, (pd.Series, pd.Index, pd.api.extensions.ExtensionArray)):
        text = arrow_text(values)
        if text is not None and not text.null_count:  # Arrow text, none missing: its strings as they are
            return tuple(text.to_pylist())
        values = values.to_numpy(dtype=object).tolist()  # iterating a string array is slow: convert once
    return tuple(map(str, values))
