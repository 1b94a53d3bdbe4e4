"""One client loaded once: config, dataset, workflow mapping, status segments and flow intervals.

Every command, notebook and widget starts from ``load_client``; everything downstream reads
the same ``Client`` so numbers cannot disagree between pages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from . import cache
from . import config as config_mod
from .config import Engagement
from .errors import UsageError
from .ingest import list_files, read_folder
from .linking import link_feedback
from .privacy import pseudonymize
from .resources import default_data_dir
from .schema import Dataset, QualityFinding


@dataclass
class Client:
    """A client's data and the derived tables every metric shares.

    ``as_of`` is the end of the ``as_of_date`` in the engagement timezone, in UTC: the instant
    at which state (open, done, age) is taken.
    """

    data_dir: Path
    engagement: Engagement
    dataset: Dataset
    as_of_date: dt.date
    as_of: pd.Timestamp
    mapping: pd.DataFrame
    segments: pd.DataFrame
    flow: pd.DataFrame
    quality: list[QualityFinding] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.engagement.client

    @property
    def slug(self) -> str:
        return self.engagement.slug


def end_of_day(day: dt.date, timezone: str) -> pd.Timestamp:
    """The last instant of ``day`` in ``timezone``, as a UTC timestamp."""
    start_next = pd.Timestamp(day + dt.timedelta(days=1)).tz_localize(timezone, nonexistent="shift_forward",
                                                                      ambiguous=False)
    return (start_next - pd.Timedelta(microseconds=1)).tz_convert("UTC")


def latest_timestamp(dataset: Dataset) -> pd.Timestamp | None:
    """The latest timestamp anywhere in the data (the default ``as_of``)."""
    latest = []
    for name, frame in dataset.tables.items():
        for column in frame.columns:
            if isinstance(frame[column].dtype, pd.DatetimeTZDtype) and frame[column].notna().any():
                latest.append(frame[column].max())
    return max(latest) if latest else None


def resolve_as_of(dataset: Dataset, engagement: Engagement, as_of=None) -> dt.date:
    """``--as-of``, else the config's ``as_of``, else the day of the latest timestamp."""
    if as_of is not None:
        if isinstance(as_of, dt.date):
            return as_of
        try:
            return dt.date.fromisoformat(str(as_of)[:10])
        except ValueError:
            raise UsageError(f"--as-of {as_of!r}: expected a date like 2026-06-30") from None
    if engagement.as_of is not None:
        return engagement.as_of
    latest = latest_timestamp(dataset)
    if latest is None:
        return dt.date.today()
    return latest.tz_convert(engagement.timezone).date()


def load_client(data_dir: str | Path | None = None, config: str | Path | None = None,
                as_of=None, progress=None, **overrides) -> Client:
    """Read a client folder and derive the shared tables.

    Parameters
    ----------
    data_dir : the client folder; default the bundled sample client.
    config : an engagement.yaml; default ``data_dir/engagement.yaml`` when present.
    as_of : a date (or ISO text) overriding the config's ``as_of``.
    overrides : top-level config values (e.g. ``client="Acme"``) that win over the file.
    """
    data_dir = Path(data_dir) if data_dir else default_data_dir()
    engagement = config_mod.load(config, data_dir=data_dir, **overrides)
    digests, entry_key = None, None
    caching = data_dir.is_dir() and cache.cache_dir() is not None  # see opsdiag/cache.py
    if caching and cache.stored("client", data_dir):  # read before (else: hashed while parsed)
        digests = cache.file_digests(data_dir, list_files(data_dir))
        read_key = cache.dataset_key(digests, engagement.timezone)
        entry_key = _client_key(read_key, engagement, as_of)
        cached = cache.load("client", data_dir, entry_key, Client)
        read = cache.load("dataset", data_dir, read_key, Dataset) if cached is not None else None
        if read is not None:  # the client entry holds only the tables derivation replaced
            cached.dataset.tables = {name: read.tables[name] if table is None else table
                                     for name, table in cached.dataset.tables.items()}
            cached.data_dir, cached.engagement = data_dir, engagement
            if "phase" not in cached.segments:  # stored without the columns the status gives
                from .workflow import with_attributes

                cached.segments = with_attributes(cached.segments, cached.mapping)
            return cached
    read = read_folder(data_dir, engagement.timezone, progress=progress, digests=digests)
    client = _derive(data_dir, engagement, read, as_of)
    if caching:  # without the tables the dataset entry holds already (most of them)
        if entry_key is None:  # a first read: the files were hashed while they were parsed
            entry_key = _client_key(cache.dataset_key(read.digests, engagement.timezone), engagement, as_of)
        tables = {name: None if table is read.tables.get(name) else table
                  for name, table in client.dataset.tables.items()}
        from .workflow import without_attributes

        segments = without_attributes(client.segments)  # ~half its bytes (writing them is slow)
        cache.save("client", data_dir, entry_key,
                   replace(client, dataset=replace(client.dataset, tables=tables),
                           segments=client.segments if segments is None else segments))
    return client


def _client_key(read_key: str, engagement: Engagement, as_of) -> str:
    """The key of a folder's ``client`` entry: its dataset entry's key, the whole effective
    config, the ``as_of`` asked for and today's date (the default ``as_of`` without timestamps)."""
    return cache.key("client", read_key, engagement.model_dump_json(), str(as_of), dt.date.today().isoformat())


def _derive(data_dir: Path, engagement: Engagement, dataset: Dataset, as_of) -> Client:
    """The ``Client`` of a read folder: pseudonyms, feedback links, mapping, segments, flow, checks."""
    from . import quality as quality_mod
    from . import workflow

    if engagement.report.pseudonymize:
        dataset = pseudonymize(dataset, engagement.slug)
    if dataset.has("feedback", "work_items"):
        dataset = dataset.replace(feedback=link_feedback(dataset.feedback, dataset.work_items))
    as_of_date = resolve_as_of(dataset, engagement, as_of)
    as_of_ts = end_of_day(as_of_date, engagement.timezone)
    mapping = workflow.status_mapping(dataset, engagement.workflow)
    segments = workflow.status_segments(dataset.transitions, mapping, as_of_ts, items=dataset.work_items)
    flow = workflow.flow_intervals(dataset.work_items, dataset.transitions, mapping, as_of_ts,
                                   engagement.workflow, segments=segments)
    client = Client(data_dir=data_dir, engagement=engagement, dataset=dataset, as_of_date=as_of_date,
                    as_of=as_of_ts, mapping=mapping, segments=segments, flow=flow)
    client.quality = list(dataset.quality) + quality_mod.run_checks(client)
    return client
