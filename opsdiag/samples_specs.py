"""The four sample clients: who they are, what is planted, in which export formats.

Data only (``Sample`` records in ``SAMPLES``); ``opsdiag.samples`` generates and writes them.
Every client's history starts on 2025-06-01, four weeks before the year its costs are counted
in, so every "per year" figure covers a full year of data (no annualisation factor).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .samples_flow import FlowSpec

AS_OF = dt.date(2026, 6, 30)
HISTORY_START = dt.date(2025, 6, 1)  # sprints run from Monday 2025-06-02, every 14 days


@dataclass(frozen=True)
class Sample:
    """One synthetic client. ``lever`` is the planted bottleneck."""

    name: str
    client: str
    summary: str
    seed: int
    timezone: str
    currency: str
    lever: str
    how: str  # how the planted cost is computed (also in the module docstring)
    flow: FlowSpec
    people: dict  # roster(...) keyword arguments
    tools: list[tuple]  # (tool, category, owner, seats, active_seats, monthly_cost)
    feedback: dict  # samples_side.feedback(...) keyword arguments
    events: dict  # samples_side.events(...) keyword arguments
    work_format: str  # "jira:v2" | "jira:v3" | "templates"
    pilot: dict | None = None
    pilot_verdict: str | None = None
    consultant: str = "Jordan Reyes (Reyes Product Ops)"
    as_of: dt.date = AS_OF
    history_start: dt.date = HISTORY_START


HEALTHY_FEEDBACK = {"triage": {"fast": 0.99, "late": 0.0}, "link_share": 0.6}

ACME = Sample(
    name="acme-robotics", client="Acme Robotics", seed=7, timezone="Europe/Berlin", currency="EUR",
    summary="Warehouse-robot startup, three teams on Jira; planted bottleneck: handoffs (work waits for "
            "review and QA, bounces back from QA); handoff_contract pilot in team Core worked.",
    lever="handoffs",
    how="queue_delay = Σ over stories, tasks and bugs finished in (as_of − 365 days, as_of] of "
        "max(0, queue days − 1.0 × handoffs) / 7 × 600, where queue days = time in Selected for "
        "Development, In Review and Ready for QA between start and finish and handoffs = moves between "
        "committed statuses whose owner changes (product→engineering, engineering→qa, and qa→engineering "
        "after a bounce-back); rework = bounce-backs in that year × median days of the In QA stay "
        "bounced from × 8 h × 110 (engineering rate); coordination-meeting survey waste is 0.",
    flow=FlowSpec(key="ACME", teams={"Core": 0.5, "Perception": 0.25, "Fleet": 0.25},
                  labels=("route-planner", "gripper-control", "fleet-dashboard", "calibration", "telemetry",
                          "safety-stop"),
                  n_items=360, queues={"Selected for Development": (0.2, 1.6), "In Review": ("gamma", 3.5),
                                       "Ready for QA": ("gamma", 5.0)},
                  pilot_queues={"Selected for Development": (0.1, 0.8), "In Review": ("gamma", 1.6),
                                "Ready for QA": ("gamma", 2.4)},
                  bounce_share=0.14, pilot_bounce_share=0.05, pilot_team="Core", pilot_start=dt.date(2026, 4, 6)),
    people={"engineers": 5, "extra_product": 1, "designers": 2},
    tools=[("Jira Software", "tracker", "Engineering", 26, 24, 260.0),
           ("Confluence", "docs", "Engineering", 26, 23, 160.0),
           ("Slack", "chat", "Operations", 30, 28, 220.0),
           ("Figma", "design", "Design", 4, 4, 180.0),
           ("GitHub", "source_control", "Engineering", 20, 19, 420.0),
           ("Zendesk", "support", "Customer Success", 6, 6, 330.0),
           ("Amplitude", "analytics", "Product", 5, 5, 995.0),
           ("Productboard", "roadmap", "Product", 4, 4, 320.0)],
    feedback={"sources": {"zendesk": 1.0}, "n": 200, **HEALTHY_FEEDBACK},
    events={"activation_event": "robot_connected", "unused_feature": "safety-stop"},
    work_format="jira:v2",
    pilot={"ritual": "handoff_contract", "start": dt.date(2026, 4, 6), "sprints": 3, "teams": ["Core"],
           "sprint_length_days": 14},
    pilot_verdict="improved",
)

BEACON = Sample(
    name="beacon-health", client="Beacon Health", seed=67, timezone="America/New_York", currency="USD",
    summary="Patient-engagement startup, two teams on Jira Cloud; planted bottleneck: delivery (releases "
            "slip, sprint carry-over, PMs chase status); release_checklist pilot did not work.",
    lever="delivery",
    how="release_slip = Σ over releases planned in (as_of − 365 days, as_of] of max(0, released (or as_of "
        "when still unreleased) − planned) in weeks × items carrying that fix version × 600; "
        "status_chasing_hours = Σ people max(0, status-chasing h/week − 2) × role rate × 46.",
    flow=FlowSpec(key="BCN", teams={"Platform": 0.5, "Care Apps": 0.5},
                  labels=("care-plans", "appointment-reminders", "patient-inbox", "lab-results", "billing-export",
                          "telehealth"),
                  n_items=340, long_work_share=0.3, planned_share=0.62, release_slip_weeks=2.0, overdue_releases=1,
                  pilot_team="Platform", pilot_start=dt.date(2026, 3, 23)),
    people={"engineers": 5, "extra_product": 2, "designers": 2,
            "survey": {"status_chasing": {"product": (6.0, 9.0)}}},
    tools=[("Jira Software", "tracker", "Engineering", 18, 17, 180.0),
           ("Confluence", "docs", "Engineering", 18, 16, 115.0),
           ("Slack", "chat", "Operations", 22, 20, 180.0),
           ("Figma", "design", "Design", 3, 3, 135.0),
           ("GitHub", "source_control", "Engineering", 14, 13, 300.0),
           ("Intercom", "support", "Customer Success", 5, 5, 495.0),
           ("Mixpanel", "analytics", "Product", 4, 4, 280.0),
           ("Aha! Roadmaps", "roadmap", "Product", 3, 3, 177.0)],
    feedback={"sources": {"intercom": 1.0}, "n": 180, **HEALTHY_FEEDBACK},
    events={"activation_event": "care_plan_created", "unused_feature": "telehealth"},
    work_format="jira:v3",
    pilot={"ritual": "release_checklist", "start": dt.date(2026, 3, 23), "sprints": 3, "teams": ["Platform"],
           "sprint_length_days": 14},
    pilot_verdict="no_change",
)

COBALT = Sample(
    name="cobalt-pay", client="Cobalt Pay", seed=28, timezone="UTC", currency="EUR",
    summary="Payments startup, three teams on Jira; planted bottleneck: feedback (spread over Productboard, "
            "Canny and Intercom, often never triaged or linked, PMs triage by hand).",
    lever="feedback",
    how="triage_hours = Σ people max(0, feedback-triage h/week − 2) × role rate × 46; triage_delay = Σ over "
        "feedback received in (as_of − 365 days, as_of] that is linked to a work item (one item per "
        "feedback) of max(0, days to triage − 7) / 7 × 600. ARR of accounts whose feedback waits untriaged "
        "is revenue at risk, not added.",
    flow=FlowSpec(key="COB", teams={"Payments": 0.5, "Risk": 0.25, "Merchant": 0.25},
                  labels=("payouts", "refunds", "fraud-rules", "merchant-onboarding", "invoicing", "disputes"),
                  n_items=330, pilot_team="Payments", pilot_start=dt.date(2026, 5, 4)),
    people={"engineers": 4, "extra_product": 1, "designers": 2,
            "survey": {"feedback_triage": {"product": (7.0, 10.0), "design": (3.0, 4.5)}}},
    tools=[("Jira Software", "tracker", "Engineering", 24, 22, 240.0),
           ("Confluence", "docs", "Engineering", 24, 21, 150.0),
           ("Slack", "chat", "Operations", 28, 26, 200.0),
           ("Figma", "design", "Design", 3, 3, 135.0),
           ("GitHub", "source_control", "Engineering", 18, 17, 380.0),
           ("Productboard", "roadmap", "Product", 4, 4, 380.0),
           ("Canny", "feedback", "Product", 3, 3, 400.0),
           ("Intercom", "support", "Customer Success", 6, 6, 600.0),
           ("Amplitude", "analytics", "Product", 4, 4, 800.0)],
    feedback={"sources": {"productboard": 0.35, "canny": 0.35, "intercom": 0.30}, "n": 420,
              "triage": {"fast": 0.35, "late": 0.25}, "link_share": 0.28, "late_days": (10.0, 40.0)},
    events={"activation_event": "first_payment_processed", "unused_feature": "invoicing"},
    work_format="jira:v2",
    pilot={"ritual": "feedback_triage", "start": dt.date(2026, 5, 4), "sprints": 3, "teams": ["Payments"],
           "sprint_length_days": 14},
    pilot_verdict="no_change",
)

DELTA = Sample(
    name="delta-logistics", client="Delta Logistics", seed=44, timezone="Europe/Amsterdam", currency="EUR",
    summary="Freight-software startup, two teams, work items as opsdiag templates; planted bottleneck: "
            "tooling (3 trackers, 2 roadmap and 2 analytics tools, unused seats, tool admin).",
    lever="tooling",
    how="unused_seats = Σ tools kept max(0, seats − active seats) × monthly cost / seats × 12; "
        "duplicate_tools = Σ categories with several tools of the full annual cost of every tool but the "
        "most used (most active seats); admin_hours = Σ people max(0, tool-admin h/week − 1) × role rate × 46.",
    flow=FlowSpec(key="DLT", teams={"Routing": 0.5, "Warehouse": 0.5},
                  labels=("route-optimizer", "dock-scheduling", "shipment-tracking", "carrier-rates",
                          "proof-of-delivery", "inventory-sync"),
                  n_items=320, pilot_team="Routing", pilot_start=dt.date(2026, 5, 4)),
    people={"engineers": 5, "extra_product": 1, "designers": 2,
            "survey": {"tool_admin": {"product": (4.0, 6.0), "engineering": (2.5, 4.0), "design": (2.0, 3.5),
                                      "qa": (2.5, 4.0)}}},
    tools=[("Jira Software", "tracker", "Engineering", 40, 17, 400.0),
           ("Linear", "tracker", "Routing team", 20, 9, 200.0),
           ("Trello", "tracker", "Operations", 30, 6, 300.0),
           ("Productboard", "roadmap", "Product", 10, 3, 900.0),
           ("Aha! Roadmaps", "roadmap", "Product", 8, 2, 720.0),
           ("Amplitude", "analytics", "Product", 10, 4, 2000.0),
           ("Mixpanel", "analytics", "Data", 6, 2, 1100.0),
           ("Slack", "chat", "Operations", 40, 24, 350.0),
           ("Confluence", "docs", "Engineering", 40, 15, 250.0),
           ("Figma", "design", "Design", 6, 2, 270.0),
           ("GitHub", "source_control", "Engineering", 20, 13, 420.0)],
    feedback={"sources": {"helpdesk": 1.0}, "n": 160, **HEALTHY_FEEDBACK},
    events={"activation_event": "shipment_tracked", "unused_feature": "carrier-rates"},
    work_format="templates",
    pilot={"ritual": "tool_consolidation", "start": dt.date(2026, 5, 4), "sprints": 3, "teams": ["Routing"],
           "sprint_length_days": 14},
    pilot_verdict="no_change",
)

SAMPLES: dict[str, Sample] = {s.name: s for s in (ACME, BEACON, COBALT, DELTA)}
