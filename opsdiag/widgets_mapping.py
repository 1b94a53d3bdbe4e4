"""Workflow mapping editor: re-map a status (phase, kind, owner), see cycle time move, save it.

Each raw status gets three dropdowns showing the client's current mapping. A change becomes a
``workflow.statuses`` override (:func:`edited_overrides`, :func:`merged_workflow`); the same
chain ``load_client`` runs (``status_mapping`` → ``status_segments`` → ``flow_intervals``,
:func:`remap`) gives the new flow table, and :func:`cycle_time_effect` compares median and p85
cycle time before and after. :func:`save_status_overrides` merges the overrides into
``engagement.yaml`` atomically.
"""

from __future__ import annotations

import logging
import os
import tempfile
import typing
from dataclasses import dataclass
from pathlib import Path

import ipywidgets as w
import pandas as pd
import yaml
from pydantic import BaseModel

from . import config
from . import display as show
from .errors import ConfigError
from .metrics.flow import cycle_time_percentiles, cycle_times
from .resources import samples_dir
from .widgets_base import Explorer
from .workflow_rules import normalize_name

log = logging.getLogger(__name__)

FIELDS = ("phase", "kind", "owner")
OPTIONS = {"phase": typing.get_args(config.Phase), "kind": typing.get_args(config.Kind),
           "owner": typing.get_args(config.Owner)}


def edited_overrides(mapping: pd.DataFrame, chosen: dict[str, dict[str, str]]) -> dict[str, config.StatusMapping]:
    """Overrides for the statuses whose chosen phase, kind or owner differs from ``mapping``.

    ``chosen`` maps a status to ``{"phase", "kind", "owner"}``. A changed status is overridden
    on all three fields, exactly as chosen (so moving a status to another phase keeps the kind
    shown, rather than that phase's default kind). Unchanged statuses give nothing.
    """
    current = mapping.drop_duplicates("status").set_index("status")
    out = {}
    for status, fields in chosen.items():  # one entry per distinct status
        if status in current.index and any(current.at[status, f] != fields[f] for f in FIELDS):
            out[status] = config.StatusMapping(**{f: fields[f] for f in FIELDS})
    return out


def _matching_key(statuses: dict, status: str) -> str:
    """The key of ``statuses`` naming ``status`` (exactly, else case/space-insensitively), else ``status``."""
    if status in statuses:
        return status
    wanted = normalize_name(status)
    return next((k for k in statuses if normalize_name(k) == wanted), status)


def merged_workflow(workflow: config.Workflow, overrides: dict[str, config.StatusMapping]) -> config.Workflow:
    """A copy of ``workflow`` with ``overrides`` merged into ``statuses`` field by field.

    An existing entry for the same status (matched as ``status_mapping`` matches them: exactly,
    else ignoring case and spacing) keeps its other fields (e.g. ``order``); set fields of the
    override win. The input is not modified.
    """
    statuses = {k: v.model_copy() for k, v in workflow.statuses.items()}
    for status, entry in overrides.items():
        key = _matching_key(statuses, status)
        old = statuses.get(key, config.StatusMapping())
        statuses[key] = old.model_copy(update=entry.model_dump(exclude_none=True))
    return workflow.model_copy(update={"statuses": statuses})


@dataclass
class Remapped:
    """The shared flow tables rebuilt with another workflow mapping."""

    mapping: pd.DataFrame
    segments: pd.DataFrame
    flow: pd.DataFrame


def remap(client, workflow: config.Workflow) -> Remapped:
    """``status_mapping`` → ``status_segments`` → ``flow_intervals`` with ``workflow``, as ``load_client`` does."""
    from . import workflow as wf

    dataset = client.dataset
    mapping = wf.status_mapping(dataset, workflow)
    segments = wf.status_segments(dataset.transitions, mapping, client.as_of)
    flow = wf.flow_intervals(dataset.work_items, dataset.transitions, mapping, client.as_of, workflow,
                             segments=segments)
    return Remapped(mapping, segments, flow)


def cycle_time_effect(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Median and p85 cycle time (days) and the count of items with one, before and after.

    From :func:`opsdiag.metrics.flow.cycle_time_percentiles` and ``cycle_times`` of each flow
    table (every completed item, calendar of the workflow). Columns: metric, current, edited,
    change (edited − current; NaN when either side has no completed item).
    """
    rows = []
    for label, get in (("median cycle time (days)", lambda f: cycle_time_percentiles(f, (50,))[50]),
                       ("85th percentile cycle time (days)", lambda f: cycle_time_percentiles(f, (85,))[85]),
                       ("items with a cycle time", lambda f: float(len(cycle_times(f))))):
        current, edited = get(before), get(after)
        rows.append({"metric": label, "current": current, "edited": edited, "change": edited - current})
    return pd.DataFrame(rows, columns=["metric", "current", "edited", "change"])


# --- saving ------------------------------------------------------------------------------------

def _known_only(model: BaseModel, raw: dict, where: str = "") -> dict:
    """``raw`` without the keys ``model`` does not know (the unknown keys ``config.load`` reports)."""
    fields = type(model).model_fields
    out = {}
    for key, value in raw.items():
        if key not in fields or fields[key].exclude:
            log.warning("engagement.yaml: dropping unknown key %r on save", f"{where}{key}")
            continue
        attr = getattr(model, key)
        if isinstance(attr, BaseModel) and isinstance(value, dict):
            value = _known_only(attr, value, f"{where}{key}.")
        elif isinstance(attr, dict) and isinstance(value, dict):
            value = {k: _known_only(attr[k], v, f"{where}{key}.{k}.") if isinstance(attr.get(k), BaseModel)
                     and isinstance(v, dict) else v for k, v in value.items()}
        elif isinstance(attr, list) and isinstance(value, list):
            value = [_known_only(a, v, f"{where}{key}[{i}].") if isinstance(a, BaseModel) and isinstance(v, dict)
                     else v for i, (a, v) in enumerate(zip(attr, value))]
        out[key] = value
    return out


def save_status_overrides(path: str | Path, overrides: dict[str, config.StatusMapping]) -> Path:
    """Merge status overrides into ``workflow.statuses`` of an engagement.yaml, atomically.

    The existing file's keys are kept as written (comments are not: the file is re-written
    from its YAML values), except keys the config model does not know, which are dropped with
    a warning; an entry for the same status (matched ignoring case and spacing) keeps its other
    fields. A missing file is created. The result is written to a temporary file in the same
    folder, checked with ``config.load`` and only then moved over the original, so a failed
    save leaves the old file untouched.

    Raises
    ------
    ConfigError
        When the existing file is not valid YAML or config, naming the file.
    """
    path = Path(path)
    raw: dict = {}
    if path.is_file():
        current = config.load(path)  # a broken file fails here, naming the file and key
        raw = _known_only(current, yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {})
    workflow = raw.setdefault("workflow", {}) or {}
    raw["workflow"] = workflow
    statuses = workflow.get("statuses") or {}
    for status, entry in overrides.items():
        key = _matching_key(statuses, status)
        statuses[key] = {**(statuses.get(key) or {}), **entry.model_dump(exclude_none=True)}
    workflow["statuses"] = statuses
    text = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        config.load(temp)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    log.info("%s: saved %d status override(s)", path, len(overrides))
    return path


# --- the widget --------------------------------------------------------------------------------

def _inside(path: Path, folder_of) -> bool:
    """Whether ``path`` lies inside the folder ``folder_of`` returns (False when it has none)."""
    try:
        folder = folder_of()
    except FileNotFoundError:
        return False
    return Path(path).resolve().is_relative_to(Path(folder).resolve())


class MappingEditor(Explorer):
    """Status → phase/kind/owner dropdowns → effect on median/p85 cycle time; saves engagement.yaml.

    Parameters
    ----------
    client : opsdiag.client.Client
    path : the engagement.yaml to save into; default the file the config came from, else
        ``data_dir/engagement.yaml``.

    Attributes
    ----------
    dropdowns : dict[str, dict[str, ipywidgets.Dropdown]]
        status → {"phase", "kind", "owner"} dropdown.
    overrides : dict[str, StatusMapping]
        The statuses changed here (:func:`edited_overrides`).
    workflow : config.Workflow
        The engagement's workflow with those overrides merged in.
    remapped : Remapped
        Mapping, segments and flow rebuilt with ``workflow``.
    effect : DataFrame
        :func:`cycle_time_effect` of the client's flow against the remapped one.
    """

    heading = "Workflow mapping: what each status means"

    def __init__(self, client, path: str | Path | None = None):
        super().__init__()
        self.client = client
        self.path = Path(path or client.engagement.source_path or Path(client.data_dir) / config.CONFIG_NAME)
        self.dropdowns: dict[str, dict[str, w.Dropdown]] = {}
        rows = [w.HTML("<b>status</b> (items now in it) · phase · kind · owner")]
        for row in client.mapping.drop_duplicates("status").itertuples(index=False):  # one row per status
            self.dropdowns[row.status] = {
                f: w.Dropdown(options=OPTIONS[f], value=getattr(row, f) if getattr(row, f) in OPTIONS[f]
                              else OPTIONS[f][0], layout=w.Layout(width="10em")) for f in FIELDS}
            label = w.Label(f"{row.status} ({row.items})", layout=w.Layout(width="16em"))
            rows.append(w.HBox([label, *self.dropdowns[row.status].values()]))
        self.save_button = w.Button(description="Save to engagement.yaml", icon="save", button_style="primary",
                                     layout=w.Layout(width="18em", min_width="18em"))
        self.save_button.on_click(lambda _: self.save())
        self.save_status = w.HTML(f"<span style='color:#555'>saves into {show.escape(self.path)}</span>")
        every = [d for fields in self.dropdowns.values() for d in fields.values()]
        self._start([w.VBox(rows), w.HBox([self.save_button, self.save_status])], watch=every)

    def chosen(self) -> dict[str, dict[str, str]]:
        """The dropdowns' values: status → {"phase", "kind", "owner"}."""
        return {s: {f: d.value for f, d in fields.items()} for s, fields in self.dropdowns.items()}

    def _compute(self) -> None:
        self.overrides = edited_overrides(self.client.mapping, self.chosen())
        self.workflow = merged_workflow(self.client.engagement.workflow, self.overrides)
        self.remapped = remap(self.client, self.workflow)
        self.effect = cycle_time_effect(self.client.flow, self.remapped.flow)

    def _render(self) -> list:
        changed = ", ".join(self.overrides) or "none"
        shown = self.remapped.mapping[["status", "phase", "kind", "owner", "order", "source", "items"]]
        return [show.table(self.effect, caption=f"Cycle time with the edited mapping (statuses changed: {changed})",
                           formats={c: "{:,.1f}" for c in ("current", "edited", "change")}),
                show.table(shown, caption="Edited mapping", max_rows=60)]

    def save(self) -> Path | None:
        """Merge the edited statuses into ``self.path`` (:func:`save_status_overrides`); None on error.

        The bundled sample clients are never written to: pass ``path=`` to save their mapping elsewhere.
        """
        try:
            if _inside(self.path, samples_dir):
                raise ConfigError(f"{self.path}: the bundled sample clients are read-only; "
                                  "create the editor with path= to save elsewhere")
            saved = save_status_overrides(self.path, self.overrides)
        except (ConfigError, OSError) as exc:
            log.error("saving %s failed: %s", self.path, exc)
            self.save_status.value = f"<span style='color:#CF222E'>not saved: {show.escape(exc)}</span>"
            return None
        self.save_status.value = (f"<span style='color:#1A7F37'>saved {len(self.overrides)} status "
                                  f"override(s) to {show.escape(saved)}</span>")
        return saved
