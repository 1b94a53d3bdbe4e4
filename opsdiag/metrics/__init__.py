"""Metrics: pure functions per lever (flow, delivery, handoffs, feedback, prioritization,
analytics, tooling, quality), each named after what it returns.

Frames and ``as_of`` in, DataFrames or small frozen dataclasses out; each docstring is the
metric's definition. Import from the lever module (``opsdiag.metrics.flow``) or from here.
"""

from .delivery import (CarryOver, ReleaseCadence, carry_over, release_cadence, release_items, release_slippage,
                       scope_added_after_start, sprint_events, sprint_membership, sprint_say_do)
from .flow import (DEFAULT_PERCENTILES, FlowEfficiency, aging_wip, cumulative_flow, cycle_time_percentiles,
                   cycle_times, daily_wip, flow_efficiency, net_flow, time_in_status, weekly_throughput)
from .handoffs import QueueShare, blocked_time, bounce_backs, handoff_waits, queue_share, waits_by_owner_pair
from .xmr import XmR, xmr_limits, xmr_signals

# feedback, prioritization, analytics and tooling metrics live in their own modules
# (opsdiag.metrics.feedback, .prioritization, .analytics, .tooling); import them from there.

__all__ = [
    "DEFAULT_PERCENTILES", "CarryOver", "FlowEfficiency", "QueueShare", "ReleaseCadence", "XmR",
    "aging_wip", "blocked_time", "bounce_backs", "carry_over", "cumulative_flow", "cycle_time_percentiles",
    "cycle_times", "daily_wip", "flow_efficiency", "handoff_waits", "net_flow", "queue_share",
    "release_cadence", "release_items", "release_slippage", "scope_added_after_start", "sprint_events",
    "sprint_membership", "sprint_say_do", "time_in_status", "waits_by_owner_pair", "weekly_throughput",
    "xmr_limits", "xmr_signals",
]
