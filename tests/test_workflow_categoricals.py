"""The segments' phase, kind and owner as categoricals, and the metrics that read them.

``status_segments`` builds these columns from codes; the metrics must give what they gave on
text columns (``str`` outputs, same rows), whichever path they take (the frame
``status_segments`` built, or any other frame).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from opsdiag import config, workflow
from opsdiag.cost_delay import release_queue_days
from opsdiag.metrics.handoffs import _as_text, bounce_backs, handoff_waits
from opsdiag.schema import Dataset, conform
from opsdiag.workflow_rules import KINDS, OWNERS, PHASES

AS_OF = pd.Timestamp("2026-01-31", tz="UTC")


def T(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def _client():
    items = conform("work_items", pd.DataFrame([
        {"item_id": "A", "item_type": "Story", "status": "Done", "created_at": T("2026-01-01")},
        {"item_id": "B", "item_type": "Story", "status": "In QA", "created_at": T("2026-01-02")},
        {"item_id": "C", "item_type": "Story", "status": "Ready for Release", "created_at": T("2026-01-02")}]))
    moves = pd.DataFrame([
        ("A", "2026-01-02", "To Do", "In Progress"), ("A", "2026-01-04", "In Progress", "In QA"),
        ("A", "2026-01-05", "In QA", "In Progress"), ("A", "2026-01-07", "In Progress", "Blocked"),
        ("A", "2026-01-08", "Blocked", "In QA"), ("A", "2026-01-09", "In QA", "Done"),
        ("B", "2026-01-03", "To Do", "In Progress"), ("B", "2026-01-06", "In Progress", "In QA"),
        ("C", "2026-01-03", "To Do", "In Progress"), ("C", "2026-01-04", "In Progress", "Ready for Release"),
    ], columns=["item_id", "at", "from_status", "to_status"])
    moves["at"] = pd.to_datetime(moves["at"], utc=True)
    moves = conform("transitions", moves)
    ds = Dataset()
    ds.tables.update(work_items=items, transitions=moves)
    mapping = workflow.status_mapping(ds, config.Workflow())
    return items, moves, mapping


def test_phase_kind_and_owner_are_categoricals_in_design_order():
    items, moves, mapping = _client()
    seg = workflow.status_segments(moves, mapping, AS_OF, items=items)
    for field, categories in (("phase", PHASES), ("kind", KINDS), ("owner", OWNERS)):
        assert isinstance(seg[field].dtype, pd.CategoricalDtype)
        assert list(seg[field].cat.categories) == list(categories)
        assert not seg[field].cat.ordered
    assert seg[seg["item_id"] == "A"]["phase"].astype("str").tolist() == [
        "backlog", "committed", "committed", "committed", "committed", "committed", "done"]
    assert seg[seg["status"] == "Blocked"]["kind"].astype("str").tolist() == ["blocked"]
    assert seg[seg["status"] == "Ready for Release"]["owner"].astype("str").tolist() == ["release"]
    assert str(seg["status"].dtype) == "str" and str(seg["item_id"].dtype) == "str"


def test_a_mapping_value_outside_the_categories_is_a_category_after_them():
    items, moves, mapping = _client()
    mapping = mapping.assign(kind=mapping["kind"].where(mapping["status"] != "In QA", "testing"))
    seg = workflow.status_segments(moves, mapping, AS_OF, items=items)
    assert list(seg["kind"].cat.categories) == [*KINDS, "testing"]
    assert seg.loc[seg["status"] == "In QA", "kind"].astype("str").unique().tolist() == ["testing"]
    back = workflow.with_attributes(workflow.without_attributes(seg), mapping)
    pd.testing.assert_frame_equal(back, seg)
    # an unknown kind counts as active, as on text
    flow = workflow.flow_intervals(items, moves, mapping, AS_OF, segments=seg).set_index("item_id")
    text = seg.astype({"kind": "str"})
    flow_text = workflow.flow_intervals(items, moves, mapping, AS_OF, segments=text).set_index("item_id")
    pd.testing.assert_frame_equal(flow, flow_text)
    assert flow.loc["B", "active_days"] == 3.0 + 25.0  # In Progress Jan 3 → 6, "testing" In QA → as_of


def test_metrics_of_built_segments_equal_those_of_a_text_copy():
    items, moves, mapping = _client()
    seg = workflow.status_segments(moves, mapping, AS_OF, items=items)
    text = seg.astype({"phase": "str", "kind": "str", "owner": "str"})  # another frame: the generic path
    assert workflow.stays_of(seg) is not None and workflow.stays_of(text) is None
    for ids in (None, ["A", "C"], pd.Series(["B", "A"])):
        built, copied = bounce_backs(seg, item_ids=ids), bounce_backs(text, item_ids=ids)
        pd.testing.assert_frame_equal(built, copied)
        waits, waits_text = handoff_waits(seg, item_ids=ids), handoff_waits(text, item_ids=ids)
        pd.testing.assert_frame_equal(waits, waits_text)
    built = bounce_backs(seg)
    # A: In QA → In Progress is a bounce; leaving Blocked for In QA is not
    assert built[["item_id", "from_status", "to_status", "from_kind"]].values.tolist() == [
        ["A", "In QA", "In Progress", "active"]]
    assert str(built["from_kind"].dtype) == "str"
    waits = handoff_waits(seg)
    assert waits[["item_id", "from_owner", "to_owner"]].values.tolist() == [
        ["A", "engineering", "qa"], ["A", "qa", "engineering"], ["A", "engineering", "qa"],
        ["B", "engineering", "qa"]]
    assert str(waits["from_owner"].dtype) == "str" and str(waits["to_owner"].dtype) == "str"
    done = pd.DataFrame({"item_id": ["C", "A"], "started_at": [T("2026-01-03"), T("2026-01-02")],
                         "completed_at": [T("2026-01-20"), T("2026-01-09")]})
    pd.testing.assert_series_equal(release_queue_days(seg, done), release_queue_days(text, done))
    # C's stay in Ready for Release starts inside [Jan 3, Jan 20): all its days, Jan 4 → as_of
    assert release_queue_days(seg, done).tolist() == [27.0, 0.0]


def test_categorical_as_text_keeps_missing_values():
    column = pd.Series(pd.Categorical(["qa", None, "release", "qa"], categories=list(OWNERS)), index=[3, 1, 2, 0])
    out = _as_text(column)
    pd.testing.assert_series_equal(out, column.astype("str"))
    assert out.isna().tolist() == [False, True, False, False]
    plain = pd.Series(["a", "b"], dtype=object)
    assert _as_text(plain) is plain
    assert np.array_equal(_as_text(column).index, [3, 1, 2, 0])


def test_time_in_status_shows_the_categoricals_as_text():
    from opsdiag.metrics.flow import time_in_status

    items, moves, mapping = _client()
    seg = workflow.status_segments(moves, mapping, AS_OF, items=items)
    text = seg.astype({"phase": "str", "kind": "str", "owner": "str"})
    pd.testing.assert_frame_equal(time_in_status(seg, phases=None), time_in_status(text, phases=None))
