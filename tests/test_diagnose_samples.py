"""The committed sample clients: the diagnosis finds the planted bottleneck and its cost."""

import pytest

from opsdiag.client import load_client
from opsdiag.diagnose import diagnose
from opsdiag.resources import samples_dir
from opsdiag.samples import ground_truth

SAMPLES = ["acme-robotics", "beacon-health", "cobalt-pay", "delta-logistics"]


@pytest.fixture(scope="module", params=SAMPLES)
def case(request):
    client = load_client(samples_dir() / request.param)
    return request.param, client, diagnose(client)


def test_planted_lever_ranks_first_with_cost_within_25_percent(case):
    name, client, diagnosis = case
    truth = ground_truth(name)
    top = diagnosis.top
    assert top.lever == truth["lever"] and top.rank == 1
    expected = truth["expected_base_cost_per_year"]
    assert top.cost_per_year["base"] == pytest.approx(expected, rel=0.25)
    assert top.cost_per_year["low"] < top.cost_per_year["base"] < top.cost_per_year["high"]


def test_every_money_figure_is_traceable(case):
    _, _, diagnosis = case
    for finding in diagnosis.findings():
        if finding.cost_per_year["base"] > 0:
            assert finding.formula_id and finding.evidence, finding.id
            assert finding.owner_function in {"product_ops", "product_management", "bizops", "eng_ops"}
    payload = diagnosis.as_dict()
    assert [lv["rank"] for lv in payload["levers"] if lv["assessed"]] == list(
        range(1, 1 + sum(lv["assessed"] for lv in payload["levers"])))


def test_no_figure_is_counted_under_two_levers(case):
    _, _, diagnosis = case
    formula_ids = [f.formula_id for f in diagnosis.findings() if f.formula_id]
    assert len(formula_ids) == len(set(formula_ids))
    total_levers = sum(lv.cost_per_year["base"] for lv in diagnosis.levers)
    total_figures = sum(diagnosis.model.figures[f].cost_per_year for f in formula_ids
                        if not next(x for x in diagnosis.findings() if x.formula_id == f).needs)
    assert total_levers == pytest.approx(total_figures, rel=1e-6)
