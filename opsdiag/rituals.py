"""The ritual catalog: the operating rituals opsdiag can recommend, as data.

One frozen :class:`Ritual` per id (DESIGN §1); ``RITUALS`` at the bottom is the registry — adding
a ritual is one line there. ``opsdiag.design`` picks one for a diagnosis and fills in baselines
and targets from the client's data; ``opsdiag.deploy`` measures its pilot on its
``primary_metric`` (an id of ``opsdiag.deploy.PILOT_METRICS``).

Two numbers per ritual drive the recommendation and are opsdiag's stated assumptions, not
measurements — the report shows them and ``design.recommend(..., fractions=...)`` overrides them:

* ``addressable_fraction`` — the share of the cost of the findings it addresses that the ritual
  can remove once it runs well (the rest is capacity, scope or causes it does not touch);
* the effort, worked out from the ritual's own design: attendees × meeting hours × sessions per
  week + preparation hours (:attr:`Ritual.effort_hours_per_week`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AgendaItem:
    """One timed agenda item: minutes, what happens, and the role that leads it."""

    minutes: int
    topic: str
    lead: str


@dataclass(frozen=True)
class Attendee:
    """A role at the ritual: how many people of it and why they are there."""

    role: str
    count: int
    why: str


@dataclass(frozen=True)
class PilotStep:
    """What happens in one week of the pilot (week 0 = the week before it starts)."""

    week: int
    step: str


@dataclass(frozen=True)
class SuccessMetric:
    """A metric the ritual should move, with its target.

    ``kind``: ``relative`` (target = baseline × (1 + value), e.g. −0.30 for "30 % lower"),
    ``at_most`` / ``at_least`` (an absolute bound: ``value``, or the engagement config value at the
    dotted path ``config``, e.g. ``costs.healthy_queue_days_per_handoff``). ``metric`` is an id of
    ``opsdiag.design.BASELINES`` (which includes every pilot metric).
    """

    metric: str
    kind: str
    value: float | None = None
    config: str | None = None


@dataclass(frozen=True)
class Ritual:
    """An operating ritual: what it fixes, how it runs, what it costs, how to pilot it."""

    id: str
    name: str
    purpose: str
    levers: tuple[str, ...]  # lever ids it moves (DESIGN §7)
    findings: tuple[str, ...]  # finding ids whose cost it addresses
    addressable_fraction: float  # share of those findings' cost it can remove (an assumption)
    fraction_basis: str  # why that fraction
    primary_metric: str  # pilot metric id deciding the pilot verdict
    secondary_metrics: tuple[str, ...]
    success_metrics: tuple[SuccessMetric, ...]
    cadence: str
    sessions_per_week: float
    agenda: tuple[AgendaItem, ...]
    attendees: tuple[Attendee, ...]
    prep_hours_per_week: float  # preparation and follow-up outside the meeting, whole team
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    pilot_sprints: int  # 2–4
    pilot_plan: tuple[PilotStep, ...]

    @property
    def duration_minutes(self) -> int:
        """Meeting length: the sum of the agenda's minutes."""
        return sum(item.minutes for item in self.agenda)

    @property
    def people(self) -> int:
        return sum(a.count for a in self.attendees)

    @property
    def effort_hours_per_week(self) -> float:
        """Team hours per week = people × duration (h) × sessions per week + preparation hours."""
        return round(self.people * self.duration_minutes / 60.0 * self.sessions_per_week
                     + self.prep_hours_per_week, 2)


A, P, S, M = AgendaItem, Attendee, PilotStep, SuccessMetric

WEEKLY_PRODUCT_REVIEW = Ritual(
    id="weekly_product_review", name="Weekly product review",
    purpose="One weekly place where status, decisions and blockers are settled, so nobody chases updates "
            "in chat and side meetings.",
    levers=("delivery", "handoffs"),
    findings=("delivery.status_chasing_hours", "handoffs.coordination_hours"),
    addressable_fraction=0.5,
    fraction_basis="Replaces ad-hoc status requests and overlapping sync meetings; about half of that time "
                   "is status exchange a shared board read once a week makes unnecessary.",
    primary_metric="cycle_time_days", secondary_metrics=("blocked_days", "throughput_per_week"),
    success_metrics=(M("survey_hours.status_chasing", "at_most", config="costs.healthy_survey_hours.status_chasing"),
                     M("survey_hours.coordination_meetings", "at_most",
                       config="costs.healthy_survey_hours.coordination_meetings"),
                     M("cycle_time_days", "relative", -0.15)),
    cadence="weekly (Tuesday, 45 min)", sessions_per_week=1.0,
    agenda=(A(5, "Metrics glance: throughput, cycle time, aging work from the board", "product ops"),
            A(15, "Blocked and aging items: decide, unblock or cut", "engineering lead"),
            A(15, "Decisions needed this week (scope, trade-offs), each with an owner and a date", "product manager"),
            A(10, "What ships next week and what customers will hear", "product manager")),
    attendees=(P("product manager", 1, "owns decisions and scope"),
               P("engineering lead", 1, "owns delivery and blockers"),
               P("designer", 1, "design readiness and trade-offs"),
               P("qa", 1, "release readiness"),
               P("customer success / sales", 1, "what customers are told")),
    prep_hours_per_week=1.0,
    inputs=("The board filtered to in-progress and blocked items", "Aging work list (items past p85 cycle time)",
            "Open decisions log"),
    outputs=("Decision log with owner and date", "Weekly update posted in one channel (replaces status pings)"),
    pilot_sprints=3,
    pilot_plan=(S(0, "Agree the board view and the decision log; cancel overlapping status meetings for the "
                     "pilot team"),
                S(1, "First review; post the weekly update in one channel; ask people to stop status pings"),
                S(2, "Review blocked items first; time-box decisions to 5 minutes each"),
                S(4, "Mid-pilot check: attendance, decisions made, status questions still asked"),
                S(6, "Re-run the 5-question time survey; evaluate the pilot with `opsdiag pilot`")),
)

FEEDBACK_TRIAGE = Ritual(
    id="feedback_triage", name="Feedback triage",
    purpose="Every customer request is read, tagged and routed within a week, and linked to the work it asks for.",
    levers=("feedback",),
    findings=("feedback.triage_delay", "feedback.triage_hours"),
    addressable_fraction=0.6,
    fraction_basis="A fixed weekly pass with one owner clears the backlog of untriaged "
                   "requests; what remains is feedback that needs research before it can be routed.",
    primary_metric="feedback_triage_days", secondary_metrics=("cycle_time_days", "throughput_per_week"),
    success_metrics=(M("feedback_triage_days", "at_most", config="costs.healthy_triage_days"),
                     M("survey_hours.feedback_triage", "at_most", config="costs.healthy_survey_hours.feedback_triage"),
                     M("feedback.untriaged_share", "at_most", 0.10)),
    cadence="weekly (Monday, 30 min)", sessions_per_week=1.0,
    agenda=(A(5, "New feedback since last week: count by source and by account ARR", "product ops"),
            A(15, "Tag, merge duplicates, link to existing items or create new ones", "product manager"),
            A(5, "Escalations: high-ARR accounts waiting more than a week", "customer success"),
            A(5, "Close the loop: who tells which customer what", "customer success")),
    attendees=(P("product manager", 1, "decides where a request goes"),
               P("support / customer success", 1, "brings context and closes the loop"),
               P("engineering lead", 1, "sizes bugs and quick fixes")),
    prep_hours_per_week=0.5,
    inputs=("Feedback received since the last triage, from every tool, in one list",
            "Account ARR", "Open items the feedback could link to"),
    outputs=("Every request tagged and linked or declined", "Customer replies owned by a named person"),
    pilot_sprints=2,
    pilot_plan=(S(0, "Route every feedback source into one list (or export them weekly); name the triage owner"),
                S(1, "First triage of the backlog: oldest and highest-ARR requests first"),
                S(2, "Weekly triage of new requests; measure days to triage"),
                S(4, "Evaluate triage days and the untriaged share with `opsdiag pilot`")),
)

RELEASE_CHECKLIST = Ritual(
    id="release_checklist", name="Release checklist and go/no-go",
    purpose="Each release has a checklist (scope frozen, QA done, notes written, rollback ready) and a short "
            "go/no-go, so releases ship on the planned date instead of slipping.",
    levers=("delivery",),
    findings=("delivery.release_slip", "delivery.pipeline_wait"),
    addressable_fraction=0.5,
    fraction_basis="Slips from late scope, missing QA sign-off and forgotten steps are what a checklist "
                   "catches; slips from under-estimated work remain.",
    # A team releases every second sprint or so: 1–2 releases in a pilot cannot test slip, so the
    # pilot is decided on cycle time (the end-of-sprint QA rush a checklist removes) and release
    # slip is reported beside it; its target below is checked over the following months.
    primary_metric="cycle_time_days", secondary_metrics=("release_slip_days", "throughput_per_week"),
    success_metrics=(M("release_slip_days", "at_most", 2.0),
                     M("releases.on_time_share", "at_least", 0.8),
                     M("cycle_time_days", "relative", -0.10)),
    cadence="every release (about every second week, 30 min)", sessions_per_week=0.5,
    agenda=(A(5, "Scope check: what is in, what moved out since the freeze", "product manager"),
            A(10, "Checklist walk-through: QA sign-off, migrations, feature flags, rollback", "engineering lead"),
            A(10, "Release notes and customer communication", "product manager"),
            A(5, "Go / no-go and the new date if no-go", "engineering lead")),
    attendees=(P("engineering lead", 1, "owns the release"), P("qa", 1, "signs off quality"),
               P("product manager", 1, "owns scope and notes"), P("customer success", 1, "tells customers")),
    prep_hours_per_week=1.0,
    inputs=("The release's items and their status", "The checklist template", "Planned date"),
    outputs=("Go / no-go decision with a reason", "Release notes", "Planned date kept or re-set openly"),
    pilot_sprints=4,
    pilot_plan=(S(0, "Write the checklist with the team (one page); set a scope freeze two days before release"),
                S(2, "First go/no-go on the next release; record slip and reasons"),
                S(4, "Second release with the checklist; drop items nobody used, add what was missed"),
                S(6, "Third release"),
                S(8, "Evaluate release slip and cycle time with `opsdiag pilot`")),
)

PRIORITIZATION_SCORECARD = Ritual(
    id="prioritization_scorecard", name="Prioritization scorecard",
    purpose="Work is scored (RICE / WSJF) before it is started, so less started work is thrown away "
            "and the order rests on evidence instead of the loudest voice.",
    levers=("prioritization",),
    findings=("prioritization.canceled_work", "prioritization.priority_churn", "prioritization.unplanned_work"),
    addressable_fraction=0.4,
    fraction_basis="Scoring before commitment stops work whose value was never established; cancellations "
                   "caused by market changes after the start remain.",
    primary_metric="canceled_after_start_share", secondary_metrics=("throughput_per_week", "cycle_time_days"),
    success_metrics=(M("canceled_after_start_share", "relative", -0.5), M("throughput_per_week", "relative", 0.0)),
    cadence="every sprint planning (60 min, every second week)", sessions_per_week=0.5,
    agenda=(A(10, "New candidates since last planning, with reach from linked feedback", "product manager"),
            A(30, "Score reach, impact, confidence, effort; compare with the current order", "product manager"),
            A(15, "Commit the top of the scored list; park or decline the rest", "engineering lead"),
            A(5, "Record why anything jumped the queue", "product ops")),
    attendees=(P("product manager", 1, "owns the order"), P("engineering lead", 1, "sizes effort"),
               P("designer", 1, "sizes design effort"), P("customer success / sales", 1, "brings reach and urgency")),
    prep_hours_per_week=1.0,
    inputs=("Open backlog with estimates", "Feedback linked to items (reach)", "opsdiag backlog scorecard"),
    outputs=("Scored and ordered backlog", "List of declined items with reasons"),
    pilot_sprints=3,
    pilot_plan=(S(0, "Agree the scoring scale (RICE) and who scores; score the top 30 open items"),
                S(1, "Plan the first sprint from the scored order"),
                S(3, "Second planning: re-score new items only; log every exception"),
                S(5, "Third planning"),
                S(6, "Evaluate started-then-canceled share and throughput with `opsdiag pilot`")),
)

HANDOFF_CONTRACT = Ritual(
    id="handoff_contract", name="Handoff contract (definition of ready)",
    purpose="Each handoff between roles (product → engineering → QA) has written entry criteria and a pick-up "
            "time, checked weekly, so work stops waiting in queues and bouncing back.",
    levers=("handoffs",),
    findings=("handoffs.queue_delay", "handoffs.rework"),
    addressable_fraction=0.4,
    fraction_basis="Queues from unclear readiness and unannounced handoffs go; queues from real capacity limits "
                   "stay — roughly 40 % of the measured excess wait.",
    primary_metric="queue_days", secondary_metrics=("cycle_time_days", "queue_days_per_handoff", "bounce_backs"),
    success_metrics=(M("queue_days_per_handoff", "at_most", config="costs.healthy_queue_days_per_handoff"),
                     M("queue_days", "relative", -0.30), M("cycle_time_days", "relative", -0.30)),
    cadence="weekly (30 min)", sessions_per_week=1.0,
    agenda=(A(5, "Queue ages: items waiting longer than the contract allows, by handoff", "product ops"),
            A(15, "Walk the oldest waiting items: what is missing, who picks up, by when", "engineering lead"),
            A(10, "Bounce-backs: which entry criterion was missed; adjust the contract", "qa")),
    attendees=(P("product manager", 1, "hands work to engineering"),
               P("engineering lead", 1, "receives and hands to QA"),
               P("qa", 1, "receives and bounces back"), P("designer", 1, "hands designs to engineering")),
    prep_hours_per_week=0.5,
    inputs=("Definition of ready per handoff (one page)", "Items waiting in queue statuses with their age",
            "Bounce-backs of the week"),
    outputs=("Pick-up owner and date for each waiting item", "Contract amendments"),
    pilot_sprints=3,
    pilot_plan=(S(0, "Write the contract: entry criteria and a one-day pick-up time per handoff"),
                S(1, "Start with the pilot team; post queue ages daily in the team channel"),
                S(2, "First weekly review: walk the oldest waiting items"),
                S(4, "Amend the contract where bounce-backs show a missed criterion"),
                S(6, "Evaluate queue days and cycle time against the baseline with `opsdiag pilot`")),
)

WIP_LIMITS = Ritual(
    id="wip_limits", name="WIP limits and a weekly flow review",
    purpose="Cap work in progress per column, so the team finishes before it starts and work stops "
            "piling up in queues (Little's law: less WIP, shorter cycle time).",
    levers=("handoffs", "delivery"),
    findings=("handoffs.queue_delay", "delivery.pipeline_wait"),
    addressable_fraction=0.25,
    fraction_basis="Lower WIP shortens every queue a little but does not fix unclear handoffs; about a quarter "
                   "of the excess wait.",
    primary_metric="cycle_time_days", secondary_metrics=("queue_days", "flow_efficiency", "throughput_per_week"),
    success_metrics=(M("cycle_time_days", "relative", -0.20), M("flow_efficiency", "relative", 0.20),
                     M("throughput_per_week", "relative", 0.0)),
    cadence="weekly (20 min) plus limits on the board", sessions_per_week=1.0,
    agenda=(A(5, "WIP per column against its limit; where did we break it", "product ops"),
            A(10, "Oldest items first: swarm, split or stop", "engineering lead"),
            A(5, "Adjust one limit at most", "engineering lead")),
    attendees=(P("engineering lead", 1, "owns the limits"), P("engineers", 3, "pull work, respect limits"),
               P("product manager", 1, "stops pushing new work")),
    prep_hours_per_week=0.25,
    inputs=("Daily WIP per column", "Aging work list"),
    outputs=("WIP limits per column", "Items swarmed or split"),
    pilot_sprints=2,
    pilot_plan=(S(0, "Set limits at today's median WIP per column minus one"),
                S(1, "Limits on the board; new work starts only when a slot frees"),
                S(2, "First flow review; adjust one limit"),
                S(4, "Evaluate cycle time and throughput with `opsdiag pilot`")),
)

ROADMAP_REVIEW = Ritual(
    id="roadmap_review", name="Monthly roadmap review with go-to-market",
    purpose="Engineering, product and go-to-market re-plan the roadmap together once a month, so commitments "
            "are realistic, dates do not slip silently and work is not dropped halfway.",
    levers=("prioritization", "delivery"),
    findings=("prioritization.canceled_work", "prioritization.priority_churn", "delivery.release_slip"),
    addressable_fraction=0.25,
    fraction_basis="Monthly re-planning removes surprises between engineering and go-to-market, but is too "
                   "infrequent to stop most in-sprint churn; about a quarter of the cost.",
    primary_metric="canceled_after_start_share", secondary_metrics=("release_slip_days", "throughput_per_week"),
    success_metrics=(M("canceled_after_start_share", "relative", -0.3), M("releases.on_time_share", "at_least", 0.8)),
    cadence="monthly (90 min)", sessions_per_week=0.25,
    agenda=(A(15, "What shipped and what slipped since last month, with reasons", "engineering lead"),
            A(30, "Next two months: commitments, dates, confidence", "product manager"),
            A(30, "Go-to-market asks and customer commitments: accept, re-date or decline", "sales / CS lead"),
            A(15, "Changes to the roadmap and who tells whom", "founder / CEO")),
    attendees=(P("product manager", 1, "owns the roadmap"), P("engineering lead", 1, "owns dates"),
               P("designer", 1, "design capacity"), P("sales / CS lead", 1, "customer commitments"),
               P("founder / CEO", 1, "arbitrates")),
    prep_hours_per_week=0.75,
    inputs=("Roadmap with dates", "Release slip history", "Customer commitments from sales"),
    outputs=("Re-dated roadmap shared with the company", "Declined or deferred asks with reasons"),
    pilot_sprints=4,
    pilot_plan=(S(0, "Collect the roadmap, customer commitments and last quarter's slips"),
                S(1, "First review; publish the re-dated roadmap"),
                S(5, "Second review: compare commitments with what shipped"),
                S(8, "Evaluate canceled work and release slip with `opsdiag pilot`")),
)

TOOL_CONSOLIDATION = Ritual(
    id="tool_consolidation", name="Tool consolidation",
    purpose="One tool per job: retire duplicate tools and unused seats, and make one tool the source of truth.",
    levers=("tooling",),
    findings=("tooling.unused_seats", "tooling.duplicate_tools", "tooling.admin_hours"),
    addressable_fraction=0.7,
    fraction_basis="Unused seats and duplicate licences can be cancelled at renewal; some spend stays for "
                   "contract terms and migration overlap.",
    primary_metric="throughput_per_week", secondary_metrics=("cycle_time_days",),
    success_metrics=(M("tools.annual_spend", "relative", -0.25), M("tools.unused_seat_share", "at_most", 0.10),
                     M("throughput_per_week", "relative", 0.0)),
    cadence="weekly during the migration (30 min)", sessions_per_week=1.0,
    agenda=(A(10, "Seats and tools to cancel before their renewal date", "product ops"),
            A(15, "Migration progress and blockers", "engineering lead"),
            A(5, "What the team must stop using, and when", "product manager")),
    attendees=(P("product ops / bizops", 1, "owns the inventory"), P("engineering lead", 1, "migrates data"),
               P("product manager", 1, "owns the source of truth")),
    prep_hours_per_week=2.0,
    inputs=("Tool inventory with seats, active seats, cost and renewal dates",),
    outputs=("Cancellation list with dates", "One source of truth per category"),
    pilot_sprints=2,
    pilot_plan=(S(0, "Confirm the inventory and renewal dates; pick the tool to keep per category"),
                S(1, "Freeze new seats; move the pilot team to the kept tools"),
                S(3, "Cancel unused seats due for renewal"),
                S(4, "Check throughput did not drop during the move with `opsdiag pilot`")),
)

METRICS_REVIEW = Ritual(
    id="metrics_review", name="Weekly metrics review",
    purpose="A fixed dashboard read together once a week, so nobody pulls the same numbers by hand.",
    levers=("analytics",),
    findings=("analytics.data_pull_hours",),
    addressable_fraction=0.5,
    fraction_basis="Recurring questions move to the shared dashboard; one-off analyses remain.",
    primary_metric="throughput_per_week", secondary_metrics=("cycle_time_days",),
    success_metrics=(M("survey_hours.data_pulls", "at_most", config="costs.healthy_survey_hours.data_pulls"),
                     M("throughput_per_week", "relative", 0.0)),
    cadence="weekly (30 min)", sessions_per_week=1.0,
    agenda=(A(10, "Dashboard walk-through: activation, retention, flow", "product ops"),
            A(15, "Two questions the numbers raise; owner for each", "product manager"),
            A(5, "Requests for new dashboard tiles instead of ad-hoc pulls", "analyst")),
    attendees=(P("product manager", 1, "asks the questions"), P("analyst / data", 1, "owns the dashboard"),
               P("engineering lead", 1, "flow metrics"), P("go-to-market lead", 1, "customer metrics")),
    prep_hours_per_week=0.5,
    inputs=("The shared dashboard (opsdiag scale tables)",),
    outputs=("Two owned questions a week", "Dashboard change requests"),
    pilot_sprints=2,
    pilot_plan=(S(0, "Build the dashboard from opsdiag's scale tables; list the recurring data requests"),
                S(1, "First review; route recurring requests to the dashboard"),
                S(4, "Re-run the data-pull question of the survey; check delivery with `opsdiag pilot`")),
)

RITUALS: dict[str, Ritual] = {
    WEEKLY_PRODUCT_REVIEW.id: WEEKLY_PRODUCT_REVIEW,
    FEEDBACK_TRIAGE.id: FEEDBACK_TRIAGE,
    RELEASE_CHECKLIST.id: RELEASE_CHECKLIST,
    PRIORITIZATION_SCORECARD.id: PRIORITIZATION_SCORECARD,
    HANDOFF_CONTRACT.id: HANDOFF_CONTRACT,
    WIP_LIMITS.id: WIP_LIMITS,
    ROADMAP_REVIEW.id: ROADMAP_REVIEW,
    TOOL_CONSOLIDATION.id: TOOL_CONSOLIDATION,
    METRICS_REVIEW.id: METRICS_REVIEW,
}
