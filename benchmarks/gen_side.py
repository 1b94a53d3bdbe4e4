"""Side tables of the benchmark client: roster with time survey, tools, feedback, events.

Drawn from the caller's seeded generator, vectorised (used by ``generate.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gen_common import AS_OF, DAY_S, HISTORY_DAYS, LABELS, TEAMS, iso, json_lists

def people(rng: np.random.Generator, n_items: int) -> pd.DataFrame:
    """A roster of one person per 500 items (at least 20) with a weekly time survey."""
    n = max(20, n_items // 500)
    role = np.array(["engineering", "product", "design", "qa"], dtype=object)[
        rng.choice(4, n, p=[0.7, 0.12, 0.08, 0.1])]
    frame = pd.DataFrame({"person": [f"Person {i:04d}" for i in range(1, n + 1)], "role": role,
                          "team": np.array(TEAMS, dtype=object)[rng.integers(0, len(TEAMS), n)],
                          "hourly_cost": "", "hours_per_week": 40.0})
    for column, mean in [("status_chasing", 2.5), ("coordination_meetings", 4.5), ("data_pulls", 1.2),
                         ("feedback_triage", 1.5), ("tool_admin", 0.8), ("customer", 2.0)]:
        frame[f"hours_{column}"] = np.round(rng.gamma(2.0, mean / 2.0, n) * 2) / 2
    return frame


def tools() -> pd.DataFrame:
    rows = [("Jira Software", "tracker", "Engineering", 400, 350, 3200.0),
            ("Linear", "tracker", "Engineering", 60, 20, 480.0),
            ("Confluence", "docs", "Engineering", 400, 300, 2300.0),
            ("Notion", "docs", "Product", 120, 70, 1200.0),
            ("Slack", "chat", "Operations", 450, 430, 3600.0),
            ("Figma", "design", "Design", 30, 25, 1350.0),
            ("GitHub", "source_control", "Engineering", 300, 290, 6300.0),
            ("Zendesk", "support", "Customer Success", 40, 38, 2200.0),
            ("Amplitude", "analytics", "Product", 25, 12, 2000.0),
            ("Mixpanel", "analytics", "Product", 15, 5, 900.0),
            ("Productboard", "roadmap", "Product", 20, 16, 1600.0)]
    frame = pd.DataFrame(rows, columns=["tool", "category", "owner", "seats", "active_seats", "monthly_cost"])
    frame["renewal_date"] = "2026-09-01"
    return frame


def feedback(rng: np.random.Generator, items: pd.DataFrame) -> pd.DataFrame:
    """One feedback record per 10 items; 30 % linked to an item, most triaged, some solved."""
    n = max(10, len(items) // 10)
    created = int(AS_OF.timestamp()) - rng.integers(0, HISTORY_DAYS * DAY_S, n)
    triaged = created + np.round(rng.gamma(1.2, 3.0, n) * DAY_S).astype(np.int64)
    triaged = np.where((rng.random(n) < 0.8) & (triaged <= AS_OF.timestamp()), triaged, -1)
    solved = np.where(triaged >= 0, triaged + np.round(rng.gamma(1.5, 20.0, n) * DAY_S).astype(np.int64), -1)
    solved = np.where(solved <= AS_OF.timestamp(), solved, -1)
    linked = np.where(rng.random(n) < 0.3, "[\"" + items["item_id"].to_numpy(dtype=object)[
        rng.integers(0, len(items), n)] + "\"]", "[]")
    customers = np.array([f"Customer {i:03d}" for i in range(300)], dtype=object)
    customer = rng.integers(0, len(customers), n)
    return pd.DataFrame({
        "feedback_id": [f"FB-{i}" for i in range(1, n + 1)],
        "source": np.array(["zendesk", "intercom", "productboard"], dtype=object)[rng.integers(0, 3, n)],
        "created_at": iso(created), "customer": customers[customer],
        "account_arr": np.round(1000 + (customer % 37) * 2500.0),
        "channel": np.array(["email", "chat", "call"], dtype=object)[rng.integers(0, 3, n)],
        "title": "Request " + pd.Series(np.arange(1, n + 1)).astype(str), "text": "",
        "tags": json_lists(np.where(rng.random(n) < 0.7, 1 << rng.integers(0, len(LABELS), n), 0), LABELS),
        "status": np.where(solved >= 0, "solved", np.where(triaged >= 0, "open", "new")),
        "triaged_at": iso(triaged), "solved_at": iso(solved),
        "linked_item_ids": linked,
    })


def events(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """``n`` product analytics events over the last 180 days, 2,000 users in 300 accounts."""
    user = rng.integers(0, 2000, n)
    at = int(AS_OF.timestamp()) - rng.integers(0, 180 * DAY_S, n)
    names = np.array(["signed_up", "activated", "report_viewed", "export_created", "invite_sent"]
                     + [f"feature_{label}" for label in LABELS], dtype=object)
    return pd.DataFrame({"user_id": "u" + pd.Series(user).astype(str), "account_id": "a" + pd.Series(user % 300).astype(str),
                         "event": names[rng.integers(0, len(names), n)], "at": iso(at)})
