"""Daily usage totals: per-source contributions, summed into the daily usage events.

Each source of usage (one access log, identified by its first line, or the live capture)
keeps its own daily counts in ``heratio_doi_usage_count``. Reading a log again *replaces*
that log's counts; the daily event total is the sum over sources. So re-running a backfill
over the same logs changes nothing, a log that grew since (today's ``access.log``) or was
rotated and compressed (same first line) replaces its earlier counts rather than adding to
them, and a day split across two rotated files is the sum of both.

Live capture and a backfill of the same traffic would count it twice: back-fill only the
days before capture was switched on (``--until``), or use only one of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from heratio_doi_pipelines.clock import utcnow
from heratio_doi_pipelines.events.aggregate import DailyUsage, UsageKey
from heratio_doi_pipelines.events.identity import USAGE_RELATIONS, bare_doi
from heratio_doi_pipelines.events.store import RecordSummary, upsert_events, usage_event
from heratio_doi_pipelines.store.tables import heratio_doi_usage_count

CAPTURE_SOURCE = "capture"
IN_CHUNK = 500


@dataclass
class ContributionChange:
    """How one source's counts changed: the usage keys whose events must be recomputed."""

    affected: set[UsageKey]
    inserted: int = 0
    updated: int = 0
    deleted: int = 0


def replace_contributions(
    conn: sa.Connection,
    source_key: str,
    counts: Mapping[UsageKey, DailyUsage],
    *,
    since: date | None = None,
    until: date | None = None,
    now: datetime | None = None,
) -> ContributionChange:
    """Make ``source_key``'s counts for the days in [since, until] equal ``counts``.

    Days outside the range keep what the source contributed before (a ``--since`` run does
    not erase older days). Only differences are written.
    """
    now = now or utcnow()
    t = heratio_doi_usage_count
    conditions = [t.c.source_key == source_key]
    if since is not None:
        conditions.append(t.c.day >= since)
    if until is not None:
        conditions.append(t.c.day <= until)
    old = {
        (row.doi, row.kind, row.day): row
        for row in conn.execute(
            sa.select(t.c.id, t.c.doi, t.c.kind, t.c.day, t.c.total, t.c.unique_total).where(
                *conditions
            )
        )
    }
    change = ContributionChange(affected=set())
    inserts, updates = [], []
    for key, usage in counts.items():
        doi, kind, day = key
        if (since is not None and day < since) or (until is not None and day > until):
            continue
        row = old.pop(key, None)
        if row is None:
            inserts.append(
                {
                    "source_key": source_key,
                    "doi": doi,
                    "kind": kind,
                    "day": day,
                    "total": usage.total,
                    "unique_total": usage.unique,
                    "updated_at": now,
                }
            )
        elif (row.total, row.unique_total) != (usage.total, usage.unique):
            updates.append({"row_id": row.id, "new_total": usage.total, "new_unique": usage.unique})
        else:
            continue
        change.affected.add(key)
    if inserts:
        conn.execute(t.insert(), inserts)
    if updates:
        conn.execute(
            t.update()
            .where(t.c.id == sa.bindparam("row_id"))
            .values(
                total=sa.bindparam("new_total"),
                unique_total=sa.bindparam("new_unique"),
                updated_at=now,
            ),
            updates,
        )
    stale = list(old.values())
    for start in range(0, len(stale), IN_CHUNK):
        conn.execute(t.delete().where(t.c.id.in_([r.id for r in stale[start : start + IN_CHUNK]])))
    change.affected.update(old)
    change.inserted, change.updated, change.deleted = len(inserts), len(updates), len(stale)
    return change


def add_capture_hit(
    conn: sa.Connection, doi: str, kind: str, day: date, *, new_session: bool
) -> None:
    """One counted live hit: +1 total (and +1 unique for a new session) in the capture source."""
    t = heratio_doi_usage_count
    doi = bare_doi(doi)
    match = (
        (t.c.source_key == CAPTURE_SOURCE)
        & (t.c.doi == doi)
        & (t.c.kind == kind)
        & (t.c.day == day)
    )
    unique = 1 if new_session else 0
    updated = conn.execute(
        t.update()
        .where(match)
        .values(total=t.c.total + 1, unique_total=t.c.unique_total + unique, updated_at=utcnow())
    )
    if updated.rowcount == 0:
        conn.execute(
            t.insert().values(
                source_key=CAPTURE_SOURCE,
                doi=doi,
                kind=kind,
                day=day,
                total=1,
                unique_total=unique,
                updated_at=utcnow(),
            )
        )


def usage_sums(conn: sa.Connection, keys: Iterable[UsageKey]) -> dict[UsageKey, DailyUsage]:
    """Daily totals over every source for ``keys`` (a few grouped queries)."""
    wanted = set(keys)
    if not wanted:
        return {}
    t = heratio_doi_usage_count
    days = [day for _, _, day in wanted]
    dois = sorted({doi for doi, _, _ in wanted})
    sums: dict[UsageKey, DailyUsage] = {}
    for start in range(0, len(dois), IN_CHUNK):
        rows = conn.execute(
            sa.select(
                t.c.doi,
                t.c.kind,
                t.c.day,
                sa.func.sum(t.c.total).label("total"),
                sa.func.sum(t.c.unique_total).label("unique_total"),
            )
            .where(
                t.c.doi.in_(dois[start : start + IN_CHUNK]),
                t.c.day >= min(days),
                t.c.day <= max(days),
            )
            .group_by(t.c.doi, t.c.kind, t.c.day)
        )
        for row in rows:
            key = (row.doi, row.kind, row.day)
            if key in wanted:
                sums[key] = DailyUsage(int(row.total or 0), int(row.unique_total or 0))
    return sums


def refresh_usage_events(
    conn: sa.Connection, keys: Iterable[UsageKey], *, now: datetime | None = None
) -> RecordSummary:
    """Set the daily usage events of ``keys`` to the sums over all sources.

    Unchanged totals are not touched; a day that lost all its counts goes out as 0 if it was
    recorded before, and is never created with 0.
    """
    wanted = set(keys)
    sums = usage_sums(conn, wanted)
    specs = []
    for key in sorted(wanted):
        doi, kind, day = key
        usage = sums.get(key, DailyUsage(0, 0))
        total_rel, unique_rel = USAGE_RELATIONS[kind]
        specs.append(usage_event(doi, total_rel, day, usage.total))
        specs.append(usage_event(doi, unique_rel, day, usage.unique))
    return upsert_events(conn, specs, touch_unchanged=False, create_empty=False, now=now)
