"""What a month's usage report says, whatever COUNTER release it is written in.

The daily usage events (``ahg_datacite_event``: the same totals the events flush sends) are
summed per DOI, metric and access method over the month, and each DOI carries the title,
year, landing page and publisher that DataCite was last sent. The release modules
(``counter_rd1``, ``counter_r51``) only shape this into their JSON; neither reads the database,
so both releases always report the same counts.

Access logs and live capture count people only (robots and machines are filtered out with
COUNTER's lists), so every count has the access method ``regular``; no country is recorded.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from heratio_doi_pipelines.datacite.shapes import publisher_name
from heratio_doi_pipelines.events.access_logs import ROBOTS_LIST_VERSION
from heratio_doi_pipelines.events.identity import USAGE_RELATION_TYPES, bare_doi
from heratio_doi_pipelines.metadata.identifiers import normalize_ror
from heratio_doi_pipelines.reports.months import add_months, as_datetime
from heratio_doi_pipelines.store.tables import ahg_datacite_event, ahg_doi

PLATFORM = "Heratio"
ROBOTS_LIST = f"COUNTER-Robots {ROBOTS_LIST_VERSION}"
REGULAR = "regular"

# Events API relation type -> (metric, access method), in the words of the Code of Practice
# for Research Data; the release modules translate them.
METRICS: dict[str, tuple[str, str]] = {
    "total-dataset-investigations-regular": ("total-dataset-investigations", REGULAR),
    "unique-dataset-investigations-regular": ("unique-dataset-investigations", REGULAR),
    "total-dataset-requests-regular": ("total-dataset-requests", REGULAR),
    "unique-dataset-requests-regular": ("unique-dataset-requests", REGULAR),
}
_IN_CHUNK = 500


@dataclass(frozen=True)
class DatasetUsage:
    """One DOI's usage in the month; ``counts`` holds only counts above zero."""

    doi: str
    counts: dict[tuple[str, str], int]  # (metric, access method) -> count
    title: str | None = None
    year: str | None = None  # publicationYear, else the year it was minted
    uri: str | None = None  # the landing page
    publisher: str | None = None
    publisher_ror: str | None = None  # https://ror.org/... when the metadata names one


@dataclass(frozen=True)
class MonthUsage:
    month: date  # the first day
    datasets: list[DatasetUsage]  # DOIs with usage, in DOI order

    @property
    def last_day(self) -> date:
        return add_months(self.month, 1) - timedelta(days=1)


def _totals(conn: sa.Connection, month: date) -> dict[str, dict[tuple[str, str], int]]:
    t = ahg_datacite_event
    when = sa.func.coalesce(t.c.occurred_at, t.c.created_at)
    rows = conn.execute(
        sa.select(t.c.subj_id, t.c.relation_type_id, sa.func.sum(sa.func.coalesce(t.c.total, 1)))
        .where(
            t.c.relation_type_id.in_(USAGE_RELATION_TYPES),
            when >= as_datetime(month),
            when < as_datetime(add_months(month, 1)),
        )
        .group_by(t.c.subj_id, t.c.relation_type_id)
    )
    totals: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
    for subj, relation, count in rows:
        key = METRICS[relation]
        counts = totals[bare_doi(subj)]
        counts[key] = counts.get(key, 0) + int(count or 0)
    return totals


def _publisher_ror(publisher: Any) -> str | None:
    if not isinstance(publisher, dict):
        return None
    scheme = str(publisher.get("publisherIdentifierScheme") or "ROR")
    return normalize_ror(publisher.get("publisherIdentifier")) if scheme.upper() == "ROR" else None


def _details(conn: sa.Connection, dois: list[str]) -> dict[str, dict[str, Any]]:
    """Title, year, landing page and publisher from what DataCite was last sent for each DOI."""
    details: dict[str, dict[str, Any]] = {}
    for start in range(0, len(dois), _IN_CHUNK):
        rows = conn.execute(
            sa.select(
                ahg_doi.c.doi, ahg_doi.c.metadata_json, ahg_doi.c.url, ahg_doi.c.minted_at
            ).where(sa.func.lower(ahg_doi.c.doi).in_(dois[start : start + _IN_CHUNK]))
        )
        for doi, meta, url, minted_at in rows:
            meta = meta if isinstance(meta, dict) else (json.loads(meta) if meta else {})
            titles = meta.get("titles") or []
            year = meta.get("publicationYear") or (minted_at.year if minted_at else None)
            details[bare_doi(doi)] = {
                "title": (titles[0].get("title") if titles else None),
                "year": str(year) if year else None,
                "uri": meta.get("url") or url,
                "publisher": publisher_name(meta.get("publisher")),
                "publisher_ror": _publisher_ror(meta.get("publisher")),
            }
    return details


def month_usage(doi_engine: sa.Engine, month: date) -> MonthUsage:
    """The month's usage per DOI (a grouped query, then one query per 500 DOIs)."""
    first = date(month.year, month.month, 1)
    with doi_engine.connect() as conn:
        totals = _totals(conn, first)
        details = _details(conn, sorted(totals))
    datasets = []
    for doi in sorted(totals):
        counts = {key: n for key, n in sorted(totals[doi].items()) if n > 0}
        if counts:
            datasets.append(DatasetUsage(doi, counts, **details.get(doi, {})))
    return MonthUsage(first, datasets)
