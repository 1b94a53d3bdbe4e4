"""Name rules: what a raw status or work-item type means, inferred from its text.

``infer_status`` maps one raw status name to a ``phase`` (backlog | committed | done |
canceled), a ``kind`` (active | queue | blocked) and an ``owner`` (product | design |
engineering | qa | release | support | unknown), following DESIGN §5: English names first, then
the source's status category, else unknown. ``type_key``/``excluded_type`` decide which item
types flow metrics leave out. Both are pure text rules; the tables live in ``workflow.py``.
"""

from __future__ import annotations

import re
from functools import lru_cache

PHASES = ("backlog", "committed", "done", "canceled")
KINDS = ("active", "queue", "blocked")
OWNERS = ("product", "design", "engineering", "qa", "release", "support", "unknown")

# The usual left-to-right order of owners in a product workflow; used only to order statuses
# that never appear in a status history.
OWNER_RANK = {"product": 0, "design": 1, "engineering": 2, "qa": 3, "release": 4, "support": 5,
              "unknown": 6}
PHASE_RANK = {"backlog": 0, "committed": 1, "done": 2, "canceled": 3}

# (pattern, phase, kind), tried in order on the normalised name; the first match wins.
# Canceled comes before done so "Closed - Won't Fix" is canceled even in a done category;
# rework ("QA Failed") comes before canceled so a failed check is not mistaken for a cancel.
_PHASE_RULES: list[tuple[str, str, str]] = [
    (r"\b(qa|review|test|testing|uat|verification)\b.*\b(rejected|failed|fail)\b"
     r"|\b(rejected|failed)\b.*\b(qa|review|test|testing|uat)\b", "committed", "queue"),
    (r"won't (do|fix)|\bwont ?(do|fix)\b|will not (do|fix)|cancel|\bduplicated?\b|\bdupe\b"
     r"|\brejected\b|\baborted\b|\binvalid\b|\bdeclined\b|\bobsolete\b|not a bug"
     r"|(cannot|can't) reproduce|\babandoned\b|\bdiscarded\b|^dropped$|out of scope"
     r"|^not (planned|doing)$", "canceled", "queue"),
    (r"block|\bon hold\b|^hold$|\bimpeded\b|impediment|\bpaused\b|\bstalled\b|^parked$|flagged"
     r"|\bstuck\b", "committed", "blocked"),
    (r"^(done|closed|resolved|released|shipped|deployed|completed?|finished|fixed|verified|merged"
     r"|delivered|live|in production)\b", "done", "queue"),
    (r"^(product |the )?backlog$|^open$|^new$|^to ?do$|triage|^ice ?box$|^inbox$|^ideas?$"
     r"|^draft$|^proposed$|^requested$|^unstarted$|^not started$|^re-?opened$|^parking lot$"
     r"|^later$|^someday|refine|groom|discovery|^spec(ification)?s?\b|^writing specs?$"
     r"|^(new )?requests?$|^funnel$|^wish ?list$|^submitted$|^unscheduled$|^open issues?$",
     "backlog", "queue"),
    (r"^selected|^sprint backlog$|^ready|^next\b|^up next|^waiting|^awaiting|^await|\bwait\b"
     r"|review|^queued?\b|^in queue|^to (test|deploy|release|review|verify|validate|be deployed"
     r"|be released|be tested)$|^pending|^approved$|staging|^on deck$|^committed$|^planned$"
     r"|\b(complete|completed|done)$", "committed", "queue"),
    (r"in.progress|^doing$|^dev$|develop|^in dev\b|^coding$|^implement|^build|^wip$|^started$"
     r"|^active$|^working|^in (qa|test|testing|design|ux|analysis|work)$|^qa\b|\btesting\b"
     r"|^test$|^uat$|validation|^validating|^verification|^verifying|^design$|^designing"
     r"|^ux$|tech check|qa check|^analysis$|^investigating$|^fixing$|take in charge",
     "committed", "active"),
]

# (owner, pattern), tried in order; specific owners before the generic "review"/"in progress".
_OWNER_RULES: list[tuple[str, str]] = [
    ("support", r"\bsupport\b|customer|user info|\bhelp ?desk\b|\bcs\b"),
    ("release", r"releas|deploy|\bship|production|\bprod\b|\blaunch|staging|go.?live"),
    ("qa", r"\bqa\b|\bq/a\b|\btest|verif|validat|\buat\b|quality"),
    ("design", r"design|\bux\b|\bui\b|mock.?up|wireframe|prototyp"),
    ("product", r"\bspecs?\b|specification|refine|groom|triage|\bpm\b|product|discovery|\bpo\b"
                r"|acceptance|\bideas?\b|requirement|prioriti"),
    ("engineering", r"review|\bcode\b|\bdev\b|develop|in.progress|\bdoing\b|coding|implement"
                    r"|\bbuild|engineer|\btech\b|\bpr\b|pull request|merge|\bwip\b|\bfix"),
]

_CATEGORY = {"todo": ("backlog", "queue"), "in_progress": ("committed", "active"),
             "done": ("done", "queue")}
_CATEGORY_ALIASES = {"to do": "todo", "to_do": "todo", "new": "todo", "open": "todo",
                     "in progress": "in_progress", "indeterminate": "in_progress",
                     "complete": "done", "completed": "done"}

# Default owner of a phase when no owner rule matches (the backlog is product's).
_PHASE_OWNER = {"backlog": "product"}

_COMPILED_PHASE = [(re.compile(p), phase, kind) for p, phase, kind in _PHASE_RULES]
_COMPILED_OWNER = [(owner, re.compile(p)) for owner, p in _OWNER_RULES]


def normalize_name(name) -> str:
    """Lower-case, trimmed status text with curly quotes, dashes and runs of spaces unified."""
    text = str(name).strip().lower()
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u2026", "...")
    text = re.sub(r"[\u2010-\u2015]", "-", text)
    text = re.sub(r"\.{2,}$", "", text).strip()
    return re.sub(r"\s+", " ", text)


def normalize_category(category) -> str | None:
    """A status category as ``todo | in_progress | done`` (accepts "To Do", "In Progress" …)."""
    if category is None or category != category:
        return None
    text = normalize_name(category)
    text = _CATEGORY_ALIASES.get(text, text.replace(" ", "_"))
    return text if text in _CATEGORY else None


def owner_from_name(name) -> str | None:
    """The function that owns work in a status, from its name; None when no rule matches.

    review/code/dev/in progress → engineering, QA/test/verify → qa, design/UX → design,
    release/deploy → release, spec/refine/triage/PM/product/discovery → product, support →
    support (specific owners are tried before the generic engineering words, so "Design
    Review" is design and "Ready for QA" is qa).
    """
    text = normalize_name(name)
    for owner, pattern in _COMPILED_OWNER:
        if pattern.search(text):
            return owner
    return None


@lru_cache(maxsize=4096)
def _infer(text: str, category: str | None) -> tuple[str | None, str | None, str, str | None]:
    owner = owner_from_name(text)
    for pattern, phase, kind in _COMPILED_PHASE:
        if pattern.search(text):
            if phase == "canceled":  # "Won't Fix" is nobody's work
                owner = None
            return phase, kind, owner or _PHASE_OWNER.get(phase, "unknown"), "name"
    if category is not None:
        phase, kind = _CATEGORY[category]
        return phase, kind, owner or _PHASE_OWNER.get(phase, "unknown"), "category"
    return None, None, owner or "unknown", None


def infer_status(name: str, category: str | None = None) -> dict:
    """Infer what a raw status means from its name, else from the source's status category.

    Rules (DESIGN §5), on the trimmed, case-folded name, first match wins:

    1. rework: a failed/rejected check ("QA Failed", "Review Rejected") → committed queue;
    2. canceled: Won't Do / Won't Fix, Canceled / Cancelled, Duplicate, Rejected, Aborted,
       Invalid, Declined, Obsolete … (wins over a done category);
    3. blocked: Blocked, On Hold, Impeded, Paused, Flagged → committed blocked;
    4. done: Done, Closed, Resolved, Released, Shipped, Deployed, Complete(d), Fixed,
       Verified, Merged … (name starts with the word) → done;
    5. backlog: Backlog, Open, New, To Do / Todo, Triage, Icebox, Reopened, Draft, and
       pre-commitment product work (Refinement, Grooming, Discovery, Spec) → backlog;
    6. committed queue: Selected for …, Ready …, Next / Up Next, Waiting … / Awaiting …,
       anything with Review (In Review, Code Review, Peer Review, PR Review), Pending …,
       Staging, "Dev Done" / "Code Complete";
    7. committed active: In Progress, Doing, Development / In Dev, QA / In QA, Testing,
       UAT, Validation, Design / In Design, Tech Check, WIP.

    When no rule matches, the ``category`` (``todo → backlog``, ``in_progress → committed``
    active, ``done → done``) decides. Done, backlog and canceled statuses have kind ``queue``:
    time spent in them between an item's start and finish is waiting, not work. The owner
    comes from ``owner_from_name``, else ``product`` for a backlog status, else ``unknown``
    (always ``unknown`` for a canceled status).

    Parameters
    ----------
    name : the raw status as the tool shows it.
    category : the source's status category (``todo | in_progress | done``; "To Do" etc.
        are accepted), or None.

    Returns
    -------
    dict with ``phase``, ``kind`` and ``owner``; ``phase`` and ``kind`` are None when neither
    the name nor the category says anything (the status is unmapped).
    """
    phase, kind, owner, _ = _infer(normalize_name(name), normalize_category(category))
    return {"phase": phase, "kind": kind, "owner": owner}


def inference_source(name: str, category: str | None = None) -> str:
    """Which rule decided ``infer_status``: ``"name"``, ``"category"`` or ``"unmapped"``."""
    return _infer(normalize_name(name), normalize_category(category))[3] or "unmapped"


# --- work item types -------------------------------------------------------------------------

# Translations and spellings of the default excluded types (keys are ``type_key`` values).
TYPE_SYNONYMS = {
    "subtask": ("subtarea", "subtarefa", "soustache", "soustâche", "unteraufgabe", "subissue",
                "childissue"),
    "epic": ("épica", "epica", "épico", "epico", "épopée", "epos"),
    "pullrequest": ("pr", "mergerequest"),
}


def type_key(item_type) -> str | None:
    """A work-item type folded for comparison: lower case without spaces, dashes, underscores.

    "Sub-task", "Subtask" and "sub task" all give ``"subtask"``.
    """
    if item_type is None or item_type != item_type:
        return None
    key = re.sub(r"[\s\-_]+", "", str(item_type).strip().lower())
    return key or None


def type_keys(types) -> set[str]:
    """The folded keys of a list of types, with the known translations of each added."""
    keys = {k for k in (type_key(t) for t in types or ()) if k}
    for key in list(keys):
        keys.update(TYPE_SYNONYMS.get(key, ()))
    return keys
