"""Synthetic side tables for the sample clients: roster + time survey, tools, feedback, events.

Used only by ``opsdiag.samples``; every draw comes from the caller's generator, in a fixed order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .samples_flow import ranks_within
from .schema import conform

DAY = pd.Timedelta(days=1)
FAR_FUTURE = pd.Timestamp("2200-01-01", tz="UTC")  # "not yet" in date comparisons

FIRST = ["Ana", "Ben", "Chloe", "Dmitri", "Elif", "Farah", "Goran", "Hana", "Ivo", "Jonas", "Keiko",
         "Lena", "Malik", "Nora", "Omar", "Priya", "Quentin", "Rosa", "Sven", "Tariq", "Uma", "Viktor",
         "Wen", "Ximena", "Yusuf", "Zoe", "Aiko", "Bruno", "Carla", "Diego"]
LAST = ["Adler", "Brandt", "Costa", "Dahl", "Eriksen", "Fischer", "Gomez", "Haas", "Ito", "Jansen",
        "Kowalski", "Lund", "Moreau", "Novak", "Okafor", "Petrov", "Quinn", "Richter", "Silva", "Tanaka",
        "Ueda", "Vogel", "Weber", "Xu", "Yilmaz", "Zimmer"]
COMPANIES = ["Northwind", "Bluefin Labs", "Keystone Foods", "Orbit Retail", "Pinecrest Clinics",
             "Quarry Works", "Redwood Freight", "Solstice Energy", "Tidewater Ports", "Umbra Media",
             "Vantage Bank", "Willow Care", "Xenon Systems", "Yellowtail Foods", "Zephyr Air",
             "Atlas Mining", "Beacon Hill Estates", "Cobble & Co", "Driftwood Hotels", "Evergreen Schools",
             "Foxglove Pharma", "Granite Insure", "Harbor Logistics", "Ironclad Security", "Juniper Farms",
             "Kestrel Drones", "Lumen Studios", "Meridian Travel", "Nimbus Cloud", "Oakline Furniture"]

SURVEY = ("status_chasing", "coordination_meetings", "data_pulls", "feedback_triage", "tool_admin")

# hours per week a healthy team reports (uniform, rounded to half hours; never above the
# healthy hours of DESIGN §6), by survey column and role
HEALTHY_SURVEY = {
    "status_chasing": {"product": (1.0, 2.0), "engineering": (0.0, 1.5), "design": (0.5, 1.5), "qa": (0.5, 2.0)},
    "coordination_meetings": {"product": (2.0, 3.5), "engineering": (1.5, 3.5), "design": (2.0, 4.0), "qa": (1.5, 3.5)},
    "data_pulls": {"product": (0.5, 1.0), "engineering": (0.0, 0.5), "design": (0.0, 0.5), "qa": (0.0, 0.5)},
    "feedback_triage": {"product": (1.0, 2.0), "engineering": (0.0, 0.5), "design": (0.0, 1.0), "qa": (0.0, 0.5)},
    "tool_admin": {"product": (0.0, 1.0), "engineering": (0.0, 1.0), "design": (0.0, 0.5), "qa": (0.0, 1.0)},
    # healthy product people spend more time with customers than chasing + coordinating (≤ 5.5 h)
    "customer": {"product": (6.5, 10.0), "engineering": (0.0, 1.0), "design": (1.0, 3.0), "qa": (0.0, 1.0)},
}


def roster(rng: np.random.Generator, teams: list[str], engineers: int, extra_product: int = 0,
           designers: int = 2, survey: dict | None = None) -> pd.DataFrame:
    """People per team (one PM, ``engineers`` engineers, one QA) plus designers and extra product
    people, with their weekly time survey (hours per week)."""
    rows = [(team, "product") for team in teams]
    rows += [(team, "engineering") for team in teams for _ in range(engineers)]
    rows += [(team, "qa") for team in teams]
    rows += [(teams[i % len(teams)], "design") for i in range(designers)]
    rows += [("Leadership", "product")] * extra_product
    first = rng.permutation(len(FIRST))[:len(rows)]
    last = rng.permutation(len(LAST))
    frame = pd.DataFrame(rows, columns=["team", "role"])
    frame.insert(0, "person", [f"{FIRST[f]} {LAST[last[i % len(LAST)]]}" for i, f in enumerate(first)])
    frame["hourly_cost"] = np.nan
    frame["hours_per_week"] = 40.0
    profile = {col: {**HEALTHY_SURVEY[col], **(survey or {}).get(col, {})} for col in HEALTHY_SURVEY}
    for column, by_role in profile.items():
        lo = frame["role"].map(lambda r: by_role[r][0]).to_numpy()
        hi = frame["role"].map(lambda r: by_role[r][1]).to_numpy()
        frame[f"hours_{column}"] = np.round(rng.uniform(lo, hi) * 2) / 2
    return conform("people", frame)


def tool_inventory(rows: list[tuple], as_of: pd.Timestamp, rng: np.random.Generator) -> pd.DataFrame:
    """Tools from ``(tool, category, owner, seats, active_seats, monthly_cost)`` rows; renewals
    fall on the first of a month within the coming year."""
    frame = pd.DataFrame(rows, columns=["tool", "category", "owner", "seats", "active_seats", "monthly_cost"])
    months = rng.integers(1, 12, len(frame))
    first = (as_of.normalize() + pd.offsets.MonthBegin(1))
    frame["renewal_date"] = [first + pd.DateOffset(months=int(m)) for m in months]
    return conform("tools", frame)


def accounts(rng: np.random.Generator, n: int = 26) -> pd.DataFrame:
    """Customer accounts with ARR (lognormal around 45k) and an analytics account id."""
    names = [COMPANIES[i] for i in rng.permutation(len(COMPANIES))[:n]]
    arr = np.round(rng.lognormal(np.log(45000), 0.8, n), -2)
    return pd.DataFrame({"customer": names, "account_arr": arr,
                         "account_id": [f"acct_{i:03d}" for i in range(1, n + 1)]})


def feedback(rng: np.random.Generator, as_of: pd.Timestamp, items: pd.DataFrame, customers: pd.DataFrame,
             sources: dict[str, float], n: int, triage: dict[str, float], link_share: float,
             late_days: tuple[float, float] = (10.0, 40.0)) -> pd.DataFrame:
    """Customer feedback from the given tools (``sources``: tool -> share).

    ``triage`` gives the shares of feedback triaged ``fast`` (0.1–5 days, healthy) and ``late``
    (``late_days`` uniform); the rest is never triaged. Only triaged feedback is linked to work
    items (``link_share`` of all feedback, drawn from the triaged ones), each to a different
    story, task or bug of the same feature area that was still open when the feedback arrived.
    Statuses use each tool's words (``STATUS_WORDS``); Canny posts and Productboard notes are
    never solved, because their exports carry a single status-change time.
    """
    created = (as_of - 360 * DAY + pd.to_timedelta(rng.uniform(5, 355, n), unit="D")).round("min")
    created = pd.Series(created.sort_values())
    source = rng.choice(list(sources), n, p=np.array(list(sources.values())))
    who = rng.integers(0, len(customers), n)
    u = rng.random(n)
    fast, late = u < triage["fast"], (u >= triage["fast"]) & (u < triage["fast"] + triage["late"])
    wait = np.where(fast, rng.uniform(0.1, 5.0, n), rng.uniform(*late_days, n))
    triaged = (created + pd.to_timedelta(wait, unit="D")).dt.round("min").where(fast | late)
    triaged = triaged.where(triaged <= as_of)
    solved = (triaged + pd.to_timedelta(rng.uniform(1, 30, n), unit="D")).dt.round("min")
    solved = solved.where(solved <= as_of)
    flow = items[items["item_type"].isin(["Story", "Task", "Bug"]) & items["canceled_at"].isna()]
    area = flow["labels"].str[0]
    theme = rng.choice(sorted(area.unique()), n)
    want_link = triaged.notna().to_numpy() & (rng.random(n) < link_share / max(triaged.notna().mean(), 1e-9))
    linked = _link(rng, flow, area, theme, created, want_link)
    kind = rng.choice(["bug", "feature-request", "question"], n, p=[0.35, 0.45, 0.2])
    titles = [_TITLE[k].format(area=t.replace("-", " ")) for k, t in zip(kind, theme)]
    text = [f"{_TEXT[k]}" + (f" Tracked in {ids[0]}." if ids else "") for k, ids in zip(kind, linked)]
    # each tool's own words for untriaged / triaged / solved; Canny and Productboard export one
    # status-change time, so their items are never solved (the change time is the triage time)
    one_time = np.isin(source, list(ONE_TIME_TOOLS))
    solved = solved.where(~one_time)
    words = np.array([STATUS_WORDS.get(s, STATUS_WORDS["default"]) for s in source])
    status = np.where(solved.notna(), words[:, 2], np.where(triaged.notna(), words[:, 1], words[:, 0]))
    frame = pd.DataFrame({
        "feedback_id": [f"{s}-{1000 + i}" for i, s in enumerate(source)], "source": source,
        "created_at": created, "customer": customers["customer"].to_numpy()[who],
        "account_arr": customers["account_arr"].to_numpy()[who],
        "channel": rng.choice(["email", "chat", "web"], n, p=[0.5, 0.3, 0.2]), "title": titles,
        "text": text, "tags": [(t, k) for t, k in zip(theme, kind)], "status": status,
        "triaged_at": triaged, "solved_at": solved, "linked_item_ids": linked})
    return conform("feedback", frame)


def _link(rng, flow, area, theme, created, want_link) -> list[tuple]:
    """Distinct items per linked feedback: same area, still open (or finished later) at arrival."""
    used: set[str] = set()
    linked: list[tuple] = []
    finish = flow["completed_at"].fillna(FAR_FUTURE)
    for want, t, at in zip(want_link, theme, created):  # one pass over feedback records
        if not want:
            linked.append(())
            continue
        pool = flow["item_id"][(area == t) & (finish > at) & (flow["created_at"] < at + 30 * DAY)]
        pool = pool[~pool.isin(used)]
        if not len(pool):
            linked.append(())
            continue
        choice = pool.iloc[int(rng.integers(0, len(pool)))]
        used.add(choice)
        linked.append((choice,))
    return linked


STATUS_WORDS = {"zendesk": ("new", "open", "solved"), "intercom": ("open", "open", "closed"),
                "canny": ("open", "under review", "complete"), "productboard": ("unprocessed", "processed", "processed"),
                "default": ("new", "open", "solved")}
ONE_TIME_TOOLS = {"canny", "productboard"}

_TITLE = {"bug": "{area} is broken for us", "feature-request": "Request: better {area}",
          "question": "How do we use {area}?"}
_TEXT = {"bug": "Since the last update this fails for several of our users.",
         "feature-request": "Our team needs this to roll out to more sites.",
         "question": "We could not find this in the docs."}


def events(rng: np.random.Generator, as_of: pd.Timestamp, customers: pd.DataFrame, items: pd.DataFrame,
           activation_event: str, unused_feature: str | None = None) -> pd.DataFrame:
    """Product analytics: sign-ups, one activation event, weekly sessions, feature usage.

    Users (2–6 per account) sign up over the year; 70 % reach ``activation_event`` within ten
    days; active users have one ``session_started`` a week until they churn (geometric, mean
    about 12 weeks); each feature area (label) gets usage events from after its first shipped
    item — except ``unused_feature``, shipped but never used.
    """
    per_account = rng.integers(2, 7, len(customers))
    account = np.repeat(customers["account_id"].to_numpy(), per_account)
    n = len(account)
    user = np.array([f"user_{i:04d}" for i in range(1, n + 1)])
    signup = (as_of - 350 * DAY + pd.to_timedelta(rng.uniform(0, 330, n), unit="D")).round("min")
    frames = [pd.DataFrame({"user_id": user, "account_id": account, "event": "signed_up", "at": signup})]
    active = rng.random(n) < 0.7
    frames.append(pd.DataFrame({"user_id": user[active], "account_id": account[active], "event": activation_event,
                                "at": (signup[active] + pd.to_timedelta(rng.uniform(0.1, 10, active.sum()),
                                                                        unit="D")).round("min")}))
    weeks = np.where(active, rng.geometric(1 / 12, n), 0)
    row = np.repeat(np.arange(n), weeks)
    offset = (ranks_within(weeks) + 1) * 7 + rng.uniform(-2, 2, len(row))
    sessions = pd.DataFrame({"user_id": user[row], "account_id": account[row], "event": "session_started",
                             "at": (signup[row] + pd.to_timedelta(offset, unit="D")).round("min")})
    frames.append(sessions)
    shipped = (items[items["item_type"].isin(["Story", "Task", "Bug"])]
               .assign(area=lambda f: f["labels"].str[0]).groupby("area")["completed_at"].min().dropna())
    for area, since in shipped.items():  # one pass per feature area
        if area == unused_feature:
            continue
        pool = sessions[sessions["at"] > since]
        take = pool[rng.random(len(pool)) < 0.18]
        frames.append(take.assign(event=area, at=(take["at"] + pd.Timedelta(minutes=3))))
    out = pd.concat(frames, ignore_index=True)
    out = out[out["at"] <= as_of].sort_values(["at", "user_id", "event"], kind="stable")
    return conform("events", out)
