"""The fast paths added for large clients give exactly what the straightforward code gave.

Each test pins a shortcut (a skipped sort, a reused cost figure, a column stripped once,
frames conformed together) against the plain pandas computation it replaces, on tiny frames
whose expected values are worked out by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opsdiag import cost as cost_mod
from opsdiag.cost_memo import figure
from opsdiag.ingest import _conform_runs, _duplicated
from opsdiag.ingest.base import Probe, ReadContext, parse_times, read_csv
from opsdiag.metrics.handoffs import _sorted_by_item_and_start, bounce_backs
from opsdiag.schema import _to_tuples, as_tuple, conform, strip_text
from opsdiag.workflow_calendar import by_item_then_time


def test_strip_text_strips_and_blanks_like_pandas():
    values = pd.Series([" a ", "", "  ", None, "b", "\u00a0c\u3000"], dtype=object, index=[5, 6, 7, 8, 9, 10])
    out = strip_text(values)
    assert str(out.dtype) == "str"
    assert out.index.tolist() == [5, 6, 7, 8, 9, 10]
    assert out.tolist()[0] == "a" and out.tolist()[4] == "b" and out.tolist()[5] == "c"
    assert out.isna().tolist() == [False, True, True, True, False, False]


def test_text_lists_are_parsed_once_per_distinct_value_with_the_same_result():
    values = pd.Series(['["x", " y "]', "", None, '["x", " y "]', "solo", "[bad"], dtype="str")
    out = _to_tuples(values)
    assert out.tolist() == [("x", "y"), (), (), ("x", "y"), ("solo",), ("[bad",)]
    assert out.tolist() == values.map(as_tuple).tolist()


def test_by_item_then_time_equals_lexsort_whether_or_not_histories_are_in_order():
    codes = np.array([1, 0, 1, 0, 1])
    in_order = np.array([10, 5, 20, 5, 20], dtype="datetime64[s]")  # ties keep file order
    shuffled = np.array([30, 5, 20, 1, 10], dtype="datetime64[s]")
    for at in (in_order, shuffled):
        expected = np.lexsort((np.arange(5), at.astype("int64"), codes))
        assert by_item_then_time(codes, at).tolist() == expected.tolist()
    assert by_item_then_time(codes, in_order).tolist() == [1, 3, 0, 2, 4]
    assert by_item_then_time(codes, shuffled).tolist() == [3, 1, 4, 2, 0]


def test_duplicated_matches_pandas_with_missing_keys():
    frame = pd.DataFrame({"item_id": pd.Series(["A", "A", None, None, "B"], dtype="str"),
                          "at": pd.to_datetime(["2024-01-01", "2024-01-01", None, None, "2024-01-01"], utc=True),
                          "to_status": pd.Series(["Done", "Done", "x", "x", "Done"], dtype="str")})
    keys = ["item_id", "at", "to_status"]
    assert _duplicated(frame, keys).tolist() == [False, True, False, True, False]
    assert _duplicated(frame, keys).tolist() == frame.duplicated(keys).tolist()


def test_duplicated_settles_rows_with_a_time_of_their_own_first():
    # rows 1, 3 and 4 have times no other row has: only rows 0, 2, 5, 6 are compared on every key
    frame = pd.DataFrame({"item_id": pd.Series(["A", "A", "B", "A", "C", "A", "B"], dtype="str"),
                          "at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-01", "2024-01-03",
                                                "2024-01-04", "2024-01-01", "2024-01-01"], utc=True),
                          "to_status": pd.Series(["Done", "Done", "QA", "Done", "x", "Done", "QA"], dtype="str")})
    keys = ["item_id", "at", "to_status"]
    assert _duplicated(frame, keys).tolist() == [False, False, False, False, False, True, True]
    assert _duplicated(frame, keys).tolist() == frame.duplicated(keys).tolist()
    assert _duplicated(frame, ["item_id", "to_status"]).tolist() == [False, True, False, True, False, True, True]


def test_frames_of_one_shape_are_conformed_together_as_one_by_one():
    first = pd.DataFrame({"item_id": [" A-1 ", "A-2"], "at": ["2024-01-01T10:00:00Z", "2024-01-02T10:00:00Z"],
                          "to_status": ["Done ", ""]})
    second = pd.DataFrame({"item_id": ["A-3"], "at": ["2024-01-03T10:00:00Z"], "to_status": ["In QA"]})
    other = pd.DataFrame({"item_id": ["A-4"], "to_status": ["Done"]})  # another shape: its own run
    runs = _conform_runs("transitions", [("a.json", True, first), ("b.json", True, second),
                                          ("c.csv", True, other), ("d.csv", False, first.iloc[0:0])])
    assert len(runs) == 2
    together = pd.concat(runs, ignore_index=True)
    one_by_one = pd.concat([conform("transitions", f) for f in (first, second, other)], ignore_index=True)
    pd.testing.assert_frame_equal(together, one_by_one)
    assert together["item_id"].tolist() == ["A-1", "A-2", "A-3", "A-4"]
    assert together["to_status"].isna().tolist() == [False, True, False, False]


def test_work_item_runs_remember_their_file_and_history():
    items = pd.DataFrame({"item_id": ["A-1", "A-2"], "status": ["Done", "Done"]})
    more = pd.DataFrame({"item_id": ["A-3"], "status": ["Done"]})
    (run,) = _conform_runs("work_items", [("a.json", True, items), ("b.json", False, more)])
    assert run["_file"].tolist() == ["a.json", "a.json", "b.json"]
    assert run["_history"].tolist() == [True, True, False]


def test_read_csv_reads_a_text_an_importer_hands_over(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes("spacer line,\nitem_id,at\nA-1,2024-01-01\n".encode("utf-8"))
    probe = Probe(path)
    trimmed = Probe(path)  # what the Asana importer does with a Google-Sheets preamble
    trimmed.__dict__.update(raw=probe.raw, encoding=probe.encoding, is_binary=False,
                            text=probe.text.split("\n", 1)[1])
    raw = read_csv(trimmed, ReadContext())
    assert raw.columns == ["item_id", "at"]
    assert raw.frame[0].tolist() == ["A-1"]


def test_parse_times_takes_every_value_at_once_or_by_format():
    ctx = ReadContext(timezone="Europe/Berlin")
    local = parse_times(pd.Series(["2024-01-01 10:00", " 2024-07-01 12:00 "], index=[3, 4]), ctx, column="at")
    assert local.index.tolist() == [3, 4]
    assert str(local.dtype) == "datetime64[us, UTC]"
    # Berlin is UTC+1 in winter, UTC+2 in summer
    assert local.tolist() == [pd.Timestamp("2024-01-01 09:00", tz="UTC"), pd.Timestamp("2024-07-01 10:00", tz="UTC")]
    mixed = parse_times(pd.Series(["01/02/2024", "2024-01-03", ""]), ctx, column="at", formats=("%d/%m/%Y",))
    assert mixed.tolist()[:2] == [pd.Timestamp("2024-01-31 23:00", tz="UTC"), pd.Timestamp("2024-01-02 23:00", tz="UTC")]
    assert pd.isna(mixed.iloc[2])


def _segments(rows):
    frame = pd.DataFrame(rows, columns=["item_id", "status", "phase", "kind", "order", "start", "days"])
    frame["start"] = pd.to_datetime(frame["start"], utc=True).astype("datetime64[us, UTC]")
    frame["item_id"] = frame["item_id"].astype("str")
    return frame


def test_bounce_backs_skip_the_sort_only_when_stays_are_in_order():
    rows = [("A", "In Progress", "committed", "active", 2, "2024-01-01", 2.0),
            ("A", "Blocked", "committed", "blocked", 2, "2024-01-03", 1.0),
            ("A", "In QA", "committed", "active", 5, "2024-01-04", 1.5),
            ("A", "In Progress", "committed", "active", 2, "2024-01-06", 1.0),
            ("B", "In Review", "committed", "queue", 3, "2024-01-01", 1.0),
            ("B", "In Progress", "committed", "active", 2, "2024-01-02", 1.0)]
    ordered = _segments(rows)
    shuffled = ordered.iloc[[5, 0, 3, 1, 4, 2]].reset_index(drop=True)
    assert _sorted_by_item_and_start(ordered) and not _sorted_by_item_and_start(shuffled)
    for segments in (ordered, shuffled):
        out = bounce_backs(segments)
        assert out["item_id"].tolist() == ["A", "B"]
        assert out["from_status"].tolist() == ["In QA", "In Review"]
        assert out["days_in_bounced_step"].tolist() == [1.5, 0.0]  # a rejection from a queue costs no work


def test_a_cost_figure_is_reused_only_while_the_values_it_read_are_unchanged():
    calls = []

    def formula(inp):
        calls.append(formula)  # (reading every value, e.g. dict(inp.values), would pin them all)
        return cost_mod.CostFigure("f", "handoffs", 0.0, inp.values["rate.engineering"] * 10, (), ())

    empty = pd.DataFrame()
    inputs = cost_mod.CostInputs(empty, empty, empty, empty, empty, empty, empty, pd.Timestamp("2026-01-01", tz="UTC"),
                                 {"rate.engineering": 100.0, "rate.product": 90.0})
    assert figure(inputs, "f", formula, {"rate.engineering": 100.0, "rate.product": 90.0}).cost_per_year == 1000.0
    assert figure(inputs, "f", formula, {"rate.engineering": 100.0, "rate.product": 50.0}).cost_per_year == 1000.0
    assert len(calls) == 1  # the product rate was never read: the first result stands
    assert figure(inputs, "f", formula, {"rate.engineering": 70.0, "rate.product": 90.0}).cost_per_year == 700.0
    assert len(calls) == 2
    other = cost_mod.CostInputs(empty, empty, empty, empty, empty, empty, empty, pd.Timestamp("2026-01-01", tz="UTC"),
                                {"rate.engineering": 100.0})
    figure(other, "f", formula, {"rate.engineering": 100.0})
    assert len(calls) == 3  # other inputs, other cache

    def reads_everything(inp):
        calls.append(reads_everything)
        return cost_mod.CostFigure("g", "handoffs", 0.0, float(sum(dict(inp.values).values())), (), ())

    assert figure(inputs, "g", reads_everything, {"a": 1.0, "b": 2.0}).cost_per_year == 3.0
    assert figure(inputs, "g", reads_everything, {"a": 1.0, "b": 5.0}).cost_per_year == 6.0
    assert figure(inputs, "g", reads_everything, {"a": 1.0, "b": 5.0}).cost_per_year == 6.0
    assert calls.count(reads_everything) == 2


def test_a_cost_figure_without_detail_is_never_given_to_a_caller_that_wants_it():
    calls = []

    def formula(inp):
        calls.append(inp.detailed)
        evidence = ("A", "B") if inp.detailed else ()
        return cost_mod.CostFigure("f", "handoffs", 0.0, inp.values["rate.engineering"] * 10, (), evidence)

    empty = pd.DataFrame()
    inputs = cost_mod.CostInputs(empty, empty, empty, empty, empty, empty, empty, pd.Timestamp("2026-01-01", tz="UTC"),
                                 {"rate.engineering": 100.0})
    values = {"rate.engineering": 100.0}
    assert figure(inputs, "f", formula, values, detailed=False).evidence == ()
    assert figure(inputs, "f", formula, values).evidence == ("A", "B")  # computed again, with its detail
    assert figure(inputs, "f", formula, values, detailed=False).cost_per_year == 1000.0
    assert figure(inputs, "f", formula, values).evidence == ("A", "B")
    assert calls == [False, True]  # either serves a caller that reads the cost only


@pytest.mark.parametrize("ids", [["A"], pd.Series(["A"], dtype="str"), np.array(["A"], dtype=object)])
def test_bounce_backs_select_items_given_as_list_series_or_array(ids):
    rows = [("A", "In QA", "committed", "active", 5, "2024-01-01", 1.0),
            ("A", "In Progress", "committed", "active", 2, "2024-01-02", 1.0),
            ("B", "In QA", "committed", "active", 5, "2024-01-01", 1.0),
            ("B", "In Progress", "committed", "active", 2, "2024-01-02", 1.0)]
    assert bounce_backs(_segments(rows), item_ids=ids)["item_id"].tolist() == ["A"]


def test_parse_times_reads_naive_values_beside_offsets_in_the_engagement_timezone():
    ctx = ReadContext(timezone="Europe/Berlin", path="t.csv")
    got = parse_times(pd.Series(["2024-01-03 10:00", "2024-01-03T10:00:00+00:00", "2024-01-03T10:00Z", ""]),
                      ctx, column="at")
    # 10:00 in Berlin (CET, UTC+1) is 09:00 UTC; the values with an offset keep it
    assert got.tolist()[:3] == [pd.Timestamp("2024-01-03 09:00", tz="UTC"), pd.Timestamp("2024-01-03 10:00", tz="UTC"),
                                pd.Timestamp("2024-01-03 10:00", tz="UTC")]
    assert pd.isna(got.iloc[3])
    in_utc = parse_times(pd.Series(["2024-01-03 10:00", "2024-01-03T10:00:00+01:00"]),
                         ReadContext(timezone="UTC", path="t.csv"), column="at")
    assert in_utc.tolist() == [pd.Timestamp("2024-01-03 10:00", tz="UTC"), pd.Timestamp("2024-01-03 09:00", tz="UTC")]


@pytest.mark.parametrize("dropna", [False, True])
@pytest.mark.parametrize("cells", [[("a", "b"), ["c"], ("d",)], [("a", None), ("b", np.nan)], [("a", 1)], [(None,)],
                                   [("a",), ()], [("a",), "x"], [(), (None,)], [(1,), ()], [()]])
def test_release_members_are_exploded_as_pandas_explodes_them(cells, dropna):
    from opsdiag.metrics.flow import exploded

    cells = pd.Series(cells, index=range(10, 10 + len(cells)))
    expected = cells.explode().dropna() if dropna else cells.explode()
    rows, values = exploded(cells, dropna=dropna)
    assert cells.index[rows].tolist() == expected.index.tolist()
    pd.testing.assert_series_equal(pd.Series(values, index=expected.index), expected)
