"""Live usage capture: what the catalogue's web layer calls on a record view or download.

Heratio captures views in a request middleware on the record show page. This is the same
hook for a Python web layer: it applies the COUNTER double-click filter in memory (so one
process's reloads count once) and adds each counted hit to today's usage totals, which the
next flush sends to DataCite as a few aggregated events.

Double-click and session memory is per process: with several web workers, repeat clicks
landing on different workers may each count once.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import sqlalchemy as sa

from heratio_doi_pipelines.events.aggregate import (
    DOUBLE_CLICK_SECONDS,
    NEW_SESSION,
    UsageAggregator,
    day_of,
)
from heratio_doi_pipelines.events.identity import DOWNLOAD, VIEW, bare_doi
from heratio_doi_pipelines.events.targets import REPORTABLE_STATES
from heratio_doi_pipelines.events.usage import add_capture_hit, refresh_usage_events
from heratio_doi_pipelines.store.tables import ahg_doi

PRUNE_EVERY_SECONDS = 600.0
IDLE_SECONDS = 3600.0


def _epoch(at: datetime | float | None) -> float:
    if at is None:
        return time.time()
    if isinstance(at, datetime):
        aware = at if at.tzinfo else at.replace(tzinfo=UTC)
        return aware.timestamp()
    return float(at)


class UsageCapture:
    """Thread-safe; one instance per web process."""

    def __init__(
        self, doi_engine: sa.Engine, *, double_click_seconds: float = DOUBLE_CLICK_SECONDS
    ) -> None:
        self.engine = doi_engine
        self._aggregator = UsageAggregator(double_click_seconds)
        self._lock = threading.Lock()
        self._last_prune = time.time()

    def record_view(self, doi: str, client: str, at: datetime | float | None = None) -> bool:
        """A show-page view of ``doi`` by ``client``; False when filtered as a double-click."""
        return self._record(VIEW, doi, client, at)

    def record_download(self, doi: str, client: str, at: datetime | float | None = None) -> bool:
        """A download of one of ``doi``'s digital objects; False for a double-click."""
        return self._record(DOWNLOAD, doi, client, at)

    def doi_for_record(self, record_id: int) -> str | None:
        """The record's DOI when usage can be reported for it (findable or registered)."""
        with self.engine.connect() as conn:
            value = conn.execute(
                sa.select(ahg_doi.c.doi).where(
                    ahg_doi.c.information_object_id == record_id,
                    ahg_doi.c.status.in_(REPORTABLE_STATES),
                )
            ).scalar()
        return bare_doi(value) if value else None

    def _record(self, kind: str, doi: str, client: str, at: datetime | float | None) -> bool:
        doi = bare_doi(doi)
        ts = _epoch(at)
        with self._lock:
            outcome = self._aggregator.add(doi, kind, client, ts)
            if ts - self._last_prune > PRUNE_EVERY_SECONDS:
                self._aggregator.prune(ts - IDLE_SECONDS)
                self._last_prune = ts
        if not outcome:
            return False
        day = day_of(ts)
        for attempt in range(3):
            try:
                with self.engine.begin() as conn:
                    add_capture_hit(conn, doi, kind, day, new_session=outcome == NEW_SESSION)
                    refresh_usage_events(conn, [(doi, kind, day)])
                return True
            except sa.exc.IntegrityError:
                if attempt == 2:
                    raise
        return True
