"""``opsdiag inspect``: what was found in a client folder, in the stable JSON shape of DESIGN §8."""

from __future__ import annotations

from .schema import TABLES, QualityFinding


def _iso(ts) -> str | None:
    return None if ts is None else ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def config_findings(client) -> list[QualityFinding]:
    """Unknown engagement.yaml keys, reported rather than silently ignored."""
    keys = client.engagement.unknown_keys
    if not keys:
        return []
    return [QualityFinding("unknown_config_key", "warning", len(keys), keys,
                           "engagement.yaml keys opsdiag does not know (ignored; check the spelling)")]


def inspect_payload(client) -> dict:
    """Files read, files not placed (with the reason), rows and date span per table, quality findings.

    ``tables.<name>.rows`` counts rows after de-duplication across files; ``start``/``end`` are the
    earliest and latest value of the table's main timestamp (created_at, at, planned_date …).
    """
    dataset = client.dataset
    tables = {}
    for name in TABLES:
        start, end = dataset.span(name)
        tables[name] = {"rows": int(len(dataset.tables[name])), "start": _iso(start), "end": _iso(end)}
    quality = config_findings(client) + list(client.quality)
    return {
        "client": client.name,
        "as_of": client.as_of_date.isoformat(),
        "files": [{"path": f.path, "format": f.format, "tables": sorted(f.tables), "rows": f.rows,
                   "rows_by_table": f.tables} for f in dataset.files],
        "unrecognized": [{"path": u.path, "reason": u.reason, "error": u.error} for u in dataset.unrecognized],
        "tables": tables,
        "quality": [q.as_dict() for q in quality],
    }


def render_inspect(payload: dict) -> str:
    """A plain-text summary of ``inspect_payload`` for the terminal."""
    lines = [f"client {payload['client']}, as of {payload['as_of']}", "", "files read:"]
    for f in payload["files"]:
        lines.append(f"  {f['path']}  [{f['format']}]  {f['rows']} rows → {', '.join(f['tables'])}")
    if not payload["files"]:
        lines.append("  (none)")
    if payload["unrecognized"]:
        lines += ["", "not read:"]
        lines += [f"  {'ERROR' if u['error'] else 'skipped'}  {u['path']}: {u['reason']}"
                  for u in payload["unrecognized"]]
    lines += ["", "tables:"]
    for name, t in payload["tables"].items():
        if t["rows"]:
            span = f"  {t['start'][:10]} → {t['end'][:10]}" if t["start"] else ""
            lines.append(f"  {name:<17}{t['rows']:>8} rows{span}")
    if payload["quality"]:
        lines += ["", "data quality:"]
        for q in payload["quality"]:
            ex = f" (e.g. {', '.join(q['examples'][:3])})" if q["examples"] else ""
            lines.append(f"  [{q['severity']}] {q['check']}: {q['count']}{ex}"
                         + (f" — {q['message']}" if q.get("message") else ""))
    return "\n".join(lines)
