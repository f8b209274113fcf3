"""The summary counts of Heratio's DOI dashboard (/admin/doi) and its ten most recently
created DOIs.

Counts come from two GROUP BY queries; titles of the recent DOIs from one catalogue
query, and are left empty when the catalogue tables are not reachable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from heratio_doi_pipelines.queue.actions import OPEN_STATUSES
from heratio_doi_pipelines.reports.catalogue_lookup import has_catalogue, record_titles
from heratio_doi_pipelines.store.tables import ahg_doi, ahg_doi_queue

# DOIs by state, then queue items: a DOI in state ``failed`` (reserved, never accepted by
# DataCite) and a queue item that failed (an attempt that gave up) are different things, so
# the two are never labelled with the same word.
DASHBOARD_COUNTS = (
    "total",
    "findable",
    "registered",
    "draft",
    "failed_dois",
    "tombstone",
    "pending_items",
    "failed_items",
)
DOI_STATE_LABELS = {"deleted": "tombstone", "failed": "failed_dois"}
# How the terminal spells each count.
COUNT_LABELS = {
    "total": "DOIs",
    "findable": "findable",
    "registered": "registered",
    "draft": "draft",
    "failed_dois": "failed DOIs",
    "tombstone": "tombstone",
    "pending_items": "queue items pending",
    "failed_items": "queue items failed",
}
RECENT_COLUMNS = ["doi", "information_object_id", "title", "status", "created_at", "minted_at"]
RECENT_LIMIT = 10


@dataclass(frozen=True)
class DoiSummary:
    id: int
    doi: str
    information_object_id: int
    title: str | None
    status: str
    created_at: datetime | None
    minted_at: datetime | None


@dataclass(frozen=True)
class Dashboard:
    """``counts``: total and per-state DOIs, plus ``pending`` queue items (not yet done)."""

    counts: dict[str, int]
    recent: list[DoiSummary] = field(default_factory=list)

    def recent_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [{name: getattr(item, name) for name in RECENT_COLUMNS} for item in self.recent],
            columns=RECENT_COLUMNS,
        )


def titles_if_available(
    catalogue_engine: sa.Engine | None, record_ids: list[int], fallback_culture: str = "en"
) -> dict[int, str]:
    """Record titles, or none when there is no catalogue to read them from."""
    if catalogue_engine is None or not record_ids or not has_catalogue(catalogue_engine):
        return {}
    return record_titles(catalogue_engine, record_ids, fallback_culture)


def dashboard_counts(engine: sa.Engine) -> dict[str, int]:
    """Total DOIs, DOIs per dashboard state, queue items not done yet and failed items.

    Heratio's ``deleted`` counts as ``tombstone``; ``pending_items`` includes items a worker
    holds (``processing``, or Heratio's ``in_progress``) because neither is done yet.
    """
    counts = dict.fromkeys(DASHBOARD_COUNTS, 0)
    with engine.connect() as conn:
        for status, n in conn.execute(
            sa.select(ahg_doi.c.status, sa.func.count()).group_by(ahg_doi.c.status)
        ):
            counts["total"] += int(n)
            key = DOI_STATE_LABELS.get(status, status)
            if key in counts:
                counts[key] += int(n)
        for status, n in conn.execute(
            sa.select(ahg_doi_queue.c.status, sa.func.count()).group_by(ahg_doi_queue.c.status)
        ):
            if status in OPEN_STATUSES:
                counts["pending_items"] += int(n)
            elif status == "failed":
                counts["failed_items"] += int(n)
    return counts


def recent_dois(
    engine: sa.Engine,
    catalogue_engine: sa.Engine | None = None,
    limit: int = RECENT_LIMIT,
    fallback_culture: str = "en",
) -> list[DoiSummary]:
    """The most recently created DOIs, newest first, with their records' titles."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                ahg_doi.c.id,
                ahg_doi.c.doi,
                ahg_doi.c.information_object_id,
                ahg_doi.c.status,
                ahg_doi.c.created_at,
                ahg_doi.c.minted_at,
            )
            .order_by(ahg_doi.c.created_at.desc(), ahg_doi.c.id.desc())
            .limit(limit)
        ).all()
    titles = titles_if_available(
        catalogue_engine, [row.information_object_id for row in rows], fallback_culture
    )
    return [
        DoiSummary(
            id=row.id,
            doi=row.doi,
            information_object_id=row.information_object_id,
            title=titles.get(row.information_object_id),
            status=row.status,
            created_at=row.created_at,
            minted_at=row.minted_at,
        )
        for row in rows
    ]


def dashboard(
    engine: sa.Engine, catalogue_engine: sa.Engine | None = None, fallback_culture: str = "en"
) -> Dashboard:
    """What Heratio's DOI dashboard shows: live counts and the ten newest DOIs."""
    return Dashboard(
        counts=dashboard_counts(engine),
        recent=recent_dois(engine, catalogue_engine, RECENT_LIMIT, fallback_culture),
    )
