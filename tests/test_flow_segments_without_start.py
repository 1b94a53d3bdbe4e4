"""flow_intervals on a segments frame built elsewhere whose stay has no start time."""

import pandas as pd

from opsdiag import config, workflow
from test_workflow import T, dataset, make_items, make_moves


def test_flow_skips_a_stay_without_start_when_finding_the_start():
    # In Progress lost its start time: it sorts first and is skipped, so the item starts at
    # its next committed stay (In Review, 01-03) and finishes at Done (01-05)
    items = make_items({"item_id": "A", "status": "Done", "created_at": T("2026-01-01")})
    moves = make_moves(("A", "2026-01-02", "To Do", "In Progress"),
                       ("A", "2026-01-03", "In Progress", "In Review"),
                       ("A", "2026-01-05", "In Review", "Done"))
    wf = config.Workflow()
    mapping = workflow.status_mapping(dataset(items, moves), wf)
    segments = workflow.status_segments(moves, mapping, T("2026-01-31"), items=items).copy()
    segments.loc[segments["status"] == "In Progress", "start"] = pd.NaT
    a = workflow.flow_intervals(items, moves, mapping, T("2026-01-31"), wf, segments=segments).iloc[0]
    assert (a["started_at"], a["completed_at"], a["cycle_time_days"]) == (T("2026-01-03"), T("2026-01-05"), 2.0)
