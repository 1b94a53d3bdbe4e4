"""``opsdiag init``: start an engagement folder with a config to edit and empty templates."""

from __future__ import annotations

from pathlib import Path

import yaml

from . import config as config_mod
from .errors import UsageError
from .ingest.templates import write_empty_templates


def mapping_yaml(mapping) -> dict:
    """The inferred status mapping as the ``workflow.statuses`` block of engagement.yaml."""
    statuses = {}
    for row in mapping.itertuples(index=False):  # one row per status, not per transition
        statuses[str(row.status)] = {"phase": row.phase, "kind": row.kind, "owner": row.owner,
                                     "order": int(row.order)}
    return statuses


def init_folder(data_dir: str | Path, config: str | Path | None = None) -> list[str]:
    """Write ``engagement.yaml`` (inferred mapping, every default spelled out) and empty templates.

    An existing engagement.yaml is never overwritten; the lines returned say what was done.
    """
    from .client import load_client

    data_dir = Path(data_dir)
    if data_dir.exists() and not data_dir.is_dir():
        raise UsageError(f"{data_dir}: not a folder")
    data_dir.mkdir(parents=True, exist_ok=True)
    lines = []
    target = data_dir / config_mod.CONFIG_NAME
    if target.exists():
        lines.append(f"kept existing {target}")
    else:
        client = load_client(data_dir, config)
        engagement = client.engagement.effective()
        engagement["client"] = data_dir.resolve().name.replace("-", " ").replace("_", " ").title()
        engagement["as_of"] = None
        engagement["workflow"]["statuses"] = mapping_yaml(client.mapping)
        header = ("# opsdiag engagement config — every key is optional; edit and re-run.\n"
                  "# workflow.statuses is the mapping opsdiag inferred from the exports: correct it here.\n")
        target.write_text(header + yaml.safe_dump(engagement, sort_keys=False, allow_unicode=True),
                          encoding="utf-8")
        lines.append(f"wrote {target} ({len(client.mapping)} statuses mapped)")
    written = write_empty_templates(data_dir)
    if written:
        lines.append(f"wrote empty templates: {', '.join(written)}")
    return lines
