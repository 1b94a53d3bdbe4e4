"""Which function owns the fix: product ops, product management, BizOps or engineering ops.

The guide's distinctions: **product operations** owns how the product team works (rituals,
handoffs, feedback plumbing, tool governance, product data access); **product management**
owns what to build (priorities, bets, adoption); **BizOps** owns cross-company metrics and
planning; **engineering operations** owns engineering velocity — builds, CI/CD, deployment,
developer tooling. The report says plainly when a bottleneck is not a product-ops problem.
"""

from __future__ import annotations

FUNCTIONS = {
    "product_ops": "Product operations",
    "product_management": "Product management",
    "bizops": "BizOps",
    "eng_ops": "Engineering operations",
}

# finding id -> owning function, by the distinctions above
ROUTES = {
    "handoffs.queue_delay": "product_ops",
    "handoffs.rework": "product_ops",
    "handoffs.coordination_hours": "product_ops",
    "delivery.release_slip": "product_ops",
    "delivery.pipeline_wait": "eng_ops",
    "delivery.status_chasing_hours": "product_ops",
    "feedback.triage_delay": "product_ops",
    "feedback.triage_hours": "product_ops",
    "analytics.data_pull_hours": "product_ops",
    "tooling.unused_seats": "product_ops",
    "tooling.duplicate_tools": "product_ops",
    "tooling.admin_hours": "product_ops",
    "prioritization.canceled_work": "product_management",
}

# tool categories that are engineering's own (build, CI/CD, deployment, monitoring)
ENGINEERING_TOOL_CATEGORIES = {"ci", "ci/cd", "cicd", "build", "deployment", "devops", "monitoring",
                               "observability", "source control", "code review", "testing"}
# non-product roles whose data pulls are company reporting, not product analytics
BIZOPS_ROLES = {"finance", "sales", "revops", "operations", "bizops", "marketing", "leadership"}


def route(finding_id: str, client=None, figure=None) -> str:
    """The function that owns the fix for a finding.

    Tool findings whose evidence is mostly engineering tools (CI, build, deployment) go to
    engineering operations; data-pull hours mostly spent by non-product roles go to BizOps;
    otherwise the fixed route of ``ROUTES`` (default product operations).
    """
    owner = ROUTES.get(finding_id, "product_ops")
    detail = getattr(figure, "detail", None)
    if detail is None or len(detail) == 0:
        return owner
    if finding_id.startswith("tooling.") and "category" in detail and "tool" in detail:
        weight = detail.filter(like="spend").sum(axis=1) if any("spend" in c for c in detail) else None
        engineering = detail["category"].astype(str).str.lower().isin(ENGINEERING_TOOL_CATEGORIES)
        share = (weight[engineering].sum() / weight.sum()) if weight is not None and weight.sum() else engineering.mean()
        if share > 0.5:
            return "eng_ops"
    if finding_id == "analytics.data_pull_hours" and "role" in detail and "cost_per_year" in detail:
        bizops = detail["role"].astype(str).str.lower().isin(BIZOPS_ROLES)
        if detail.loc[bizops, "cost_per_year"].sum() > 0.5 * detail["cost_per_year"].sum():
            return "bizops"
    return owner
