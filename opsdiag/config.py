"""Engagement configuration: one typed model loaded from ``DATA_DIR/engagement.yaml``.

Every key is optional with a default (DESIGN §6). A value of the wrong type is a
``ConfigError`` naming the key; an unknown key is kept in ``Engagement.unknown_keys`` and
reported by the CLI and the report, never silently ignored.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigError

log = logging.getLogger(__name__)

CONFIG_NAME = "engagement.yaml"

Phase = Literal["backlog", "committed", "done", "canceled"]
Kind = Literal["active", "queue", "blocked"]
Owner = Literal["product", "design", "engineering", "qa", "release", "support", "unknown"]


class _Model(BaseModel):
    # extra keys are allowed so they can be collected and reported by name, not dropped.
    model_config = ConfigDict(extra="allow", validate_default=True)


class StatusMapping(_Model):
    """Override of the inferred mapping for one raw status; unset fields keep the inference."""

    phase: Phase | None = None
    kind: Kind | None = None
    owner: Owner | None = None
    order: int | None = None


class Workflow(_Model):
    statuses: dict[str, StatusMapping] = Field(default_factory=dict)  # raw status -> overrides
    backward_moves: Literal["keep_first_start", "restart"] = "keep_first_start"
    calendar: Literal["calendar_days", "working_days"] = "calendar_days"
    holidays: list[dt.date] = Field(default_factory=list)  # skipped when calendar is working_days
    include_types: list[str] | None = None  # None = every type but epics, sub-tasks and pull requests
    exclude_types: list[str] = Field(default_factory=lambda: ["Epic", "Sub-task", "Subtask", "Pull Request"])


class Window(_Model):
    start: dt.date | None = None
    end: dt.date | None = None


class Costs(_Model):
    rates: dict[str, float] = Field(default_factory=lambda: {
        "product": 95.0, "engineering": 110.0, "design": 90.0, "qa": 80.0})  # per hour, by role
    default_rate: float = 100.0  # per hour, for a role without a rate
    cost_of_delay_per_week: float = 600.0  # value lost per week one typical item waits
    healthy_queue_days_per_handoff: float = 1.0
    healthy_survey_hours: dict[str, float] = Field(default_factory=lambda: {
        "status_chasing": 2.0, "coordination_meetings": 4.0, "data_pulls": 1.0,
        "feedback_triage": 2.0, "tool_admin": 1.0})  # hours per week per person
    healthy_triage_days: float = 7.0  # feedback older than this without triage is waiting
    weeks_per_year: float = 46.0
    hours_per_day: float = 8.0
    range_pct: float = 0.30  # low/high = base × (1 ∓ range_pct) on rates and cost of delay


class Pilot(_Model):
    ritual: str | None = None
    start: dt.date | None = None
    sprints: int = 3
    teams: list[str] = Field(default_factory=list)
    sprint_length_days: int = 14


class Override(_Model):
    finding: str
    action: Literal["suppress", "set_cost"] = "suppress"
    reason: str = ""
    value: float | None = None


class Report(_Model):
    title: str = "Product operations diagnostic"
    consultant: str = ""
    brand_color: str = "#0B5FFF"
    logo: str | None = None
    pseudonymize: bool = False


class Engagement(_Model):
    """The typed engagement config. Every field is optional; see DESIGN §6."""

    client: str = "Sample client"
    timezone: str = "UTC"  # for timestamps without zone
    currency: str = "EUR"
    as_of: dt.date | None = None  # default: the latest timestamp in the data
    window: Window = Field(default_factory=Window)
    seed: int = 0
    workflow: Workflow = Field(default_factory=Workflow)
    costs: Costs = Field(default_factory=Costs)
    pilot: Pilot | None = None
    overrides: list[Override] = Field(default_factory=list)
    report: Report = Field(default_factory=Report)
    source_path: str | None = Field(default=None, exclude=True)

    @property
    def unknown_keys(self) -> list[str]:
        """Dotted paths of keys the model does not know (reported, never silently ignored)."""
        return sorted(_extras(self, ""))

    @property
    def slug(self) -> str:
        return slugify(self.client)

    def effective(self) -> dict[str, Any]:
        """The config as plain JSON values (for summary.json provenance)."""
        return self.model_dump(mode="json", exclude={"source_path"})


def _extras(model: BaseModel, prefix: str) -> list[str]:
    found = [f"{prefix}{k}" for k in (model.model_extra or {})]
    for name in type(model).model_fields:
        value = getattr(model, name)
        values = value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]
        for i, v in enumerate(values):
            if isinstance(v, BaseModel):
                key = name if not isinstance(value, (dict, list)) else f"{name}[{i}]"
                if isinstance(value, dict):
                    key = f"{name}.{list(value)[i]}"
                found += _extras(v, f"{prefix}{key}.")
    return found


def slugify(text: str) -> str:
    """A file-system-safe lower-case slug of a client name ("Acme Robotics" -> "acme-robotics")."""
    import re

    slug = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")
    return slug or "client"


def load(path: str | Path | None = None, data_dir: str | Path | None = None,
         **overrides: Any) -> Engagement:
    """Load the engagement config.

    Parameters
    ----------
    path : an explicit YAML file (``--config``); wins over ``data_dir``.
    data_dir : a client folder; its ``engagement.yaml`` is used when present.
    overrides : top-level values that win over the file (e.g. ``as_of`` from ``--as-of``);
        ``None`` values are ignored.
    """
    raw: dict[str, Any] = {}
    source = None
    if path is None and data_dir is not None and (Path(data_dir) / CONFIG_NAME).is_file():
        path = Path(data_dir) / CONFIG_NAME
    if path is not None:
        source = Path(path)
        if not source.is_file():
            raise ConfigError(f"{source}: config file not found")
        try:
            raw = yaml.safe_load(source.read_text(encoding="utf-8-sig")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{source.name}: not valid YAML ({exc})") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"{source.name}: expected a mapping of keys at the top level")
    raw.update({k: v for k, v in overrides.items() if v is not None})
    try:
        engagement = Engagement.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        name = source.name if source else "config"
        raise ConfigError(f"{name}: {problems}") from None
    _check_timezone(engagement.timezone, source)
    engagement.source_path = str(source) if source else None
    for key in engagement.unknown_keys:
        log.warning("%s: unknown key %r (ignored)", source.name if source else "config", key)
    return engagement


def _check_timezone(name: str, source: Path | None) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{source.name if source else 'config'}: timezone: unknown time zone {name!r}") from None


def dump(engagement: Engagement) -> str:
    """YAML text of an engagement (used by ``opsdiag init``)."""
    return yaml.safe_dump(engagement.effective(), sort_keys=False, allow_unicode=True)
