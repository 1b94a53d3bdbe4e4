"""Every registry entry is exercised by some test: formats, metrics, cost formulas, rituals, sections."""

import inspect
from pathlib import Path

import pytest

from opsdiag import cost
from opsdiag.ingest import FORMATS
from opsdiag.metrics import analytics, delivery, feedback, flow, handoffs, prioritization, tooling, xmr
from opsdiag.report.summary import SECTIONS
from opsdiag.rituals import RITUALS

TESTS = Path(__file__).resolve().parent
SOURCES = {p.name: p.read_text(encoding="utf-8") for p in TESTS.glob("test_*.py") if p.name != "test_registry.py"}
ALL_TESTS = "\n".join(SOURCES.values())
METRIC_MODULES = [flow, xmr, handoffs, delivery, feedback, prioritization, analytics, tooling]
# shared utilities of the metric modules (time zones, filters), not metrics themselves
HELPERS = {"completed", "included", "local_floor", "micros", "period_grid", "status_order", "time_dtype",
           "to_utc", "release_items", "utc", "localize", "percentile", "ids"}


def public_functions(module):
    return [name for name, obj in inspect.getmembers(module, inspect.isfunction)
            if obj.__module__ == module.__name__ and not name.startswith("_")]


@pytest.mark.parametrize("module", METRIC_MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_every_metric_function_is_called_by_a_test(module):
    untested = [name for name in public_functions(module) if name not in HELPERS and f"{name}(" not in ALL_TESTS]
    assert not untested, f"{module.__name__}: no test calls {untested}"


def test_every_cost_formula_is_tested():
    functions = {fid: f.__name__ for fid, f in cost.FORMULAS.items()}
    # survey formulas are one function called per column; the others each by name
    untested = [fid for fid, name in functions.items() if name != "<lambda>" and f"{name}(" not in ALL_TESTS]
    assert "survey_waste(" in ALL_TESTS and not untested, untested
    assert "for fid, formula in cost.FORMULAS.items()" in SOURCES["test_cost.py"]  # every formula on empty input


def test_every_format_has_a_test_naming_it():
    assert len(FORMATS) >= 20
    untested = [f.name for f in FORMATS if f.name not in ALL_TESTS and type(f).__name__ not in ALL_TESTS
                and f.name.replace("opsdiag_", "") + ".csv" not in ALL_TESTS]
    assert not untested, untested


def test_every_ritual_and_summary_section_is_named_in_a_test():
    assert not [r for r in RITUALS if r not in ALL_TESTS]
    assert set(SECTIONS) >= {"inspect", "diagnosis", "recommendation", "pilot", "forecast"}
