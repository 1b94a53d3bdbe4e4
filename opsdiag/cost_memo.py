"""Re-use of cost-formula results across the scenarios of the cost model (``opsdiag.cost``).

``evaluate`` runs every formula at base, low and high assumptions and ``sensitivity`` once per
ranged assumption at each end: 15 evaluations of the same formulas on the same data. A formula
is a pure function of the client's tables and of the assumption values it reads, so ``figure``
records which values each run read and returns the earlier result when a new scenario agrees
on all of them (the tornado moves one assumption at a time; most formulas never read it).

A formula that must run again (it read the assumption that moved) is cheap: its data-only part
(bounce-backs, waits, slipped releases, survey answers, with their detail and evidence) is kept
by ``CostInputs.memo``, so a scenario only redoes the arithmetic with the assumption values —
e.g. weeks of delay × cost_of_delay_per_week, or excess hours × each person's rate.
"""

from __future__ import annotations

from typing import Callable

_MISSING = object()


class _ReadLog(dict):
    """Assumption values that record which keys a formula looked at (``figure`` reuses results).

    ``reads`` maps each key read through ``[]``, ``get`` or ``in`` to the value seen (``_MISSING``
    when absent); any whole-dict access (iteration, keys, items, len …) sets ``whole``.
    """

    def __init__(self, values: dict):
        super().__init__(values)
        self.reads: dict = {}
        self.whole = False

    def __getitem__(self, key):
        self.reads[key] = super().get(key, _MISSING)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.reads[key] = super().get(key, _MISSING)
        return super().get(key, default)

    def __contains__(self, key):
        self.reads[key] = super().get(key, _MISSING)
        return super().__contains__(key)

    def _all(self, method, *args):
        self.whole = True
        return getattr(super(), method)(*args)

    def __iter__(self):
        return self._all("__iter__")

    def __len__(self):
        return self._all("__len__")

    def keys(self):
        return self._all("keys")

    def values(self):
        return self._all("values")

    def items(self):
        return self._all("items")

    def copy(self):
        return dict(self._all("items"))


def figure(inputs, formula_id: str, formula: Callable, values: dict[str, float], detailed: bool = True):
    """``formula`` evaluated at ``values``, reusing an earlier result when it read the same values.

    Formulas are pure functions of the inputs' tables and the assumption values they read, so a
    scenario that only moves assumptions a formula never looked at (the tornado moves one at a
    time) gives the same figure; results are kept per inputs (shared by ``with_values`` copies).
    ``detailed=False`` is for callers that read only the figure's hours and cost: the formula
    may leave its detail and evidence out (``CostInputs.detailed``), and such a figure is never
    returned to a caller that wants them.
    """
    seen = inputs.memo(f"figures:{formula_id}", list, formula, *inputs.tables())
    for reads, whole, result, complete in seen:
        if detailed and not complete:
            continue
        if whole:
            if reads == values:
                return result
        elif all(values.get(key, _MISSING) == value for key, value in reads.items()):
            return result
    log = _ReadLog(values)
    result = formula(inputs.with_values(log, detailed))
    seen.append((dict(values) if log.whole else dict(log.reads), log.whole, result, detailed))
    return result
