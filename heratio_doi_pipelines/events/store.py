"""Recording events in ``ahg_datacite_event``: one row per logical event, found by its hash.

Recording an event that already has a row never adds a second row or a second submission:
a different total (a day's usage grew) updates the row and puts it back in line for the next
flush, where ``PUT /events/{uuid}`` updates the same event at DataCite; the same total only
refreshes ``updated_at`` ("last seen") for citations and relations, and changes nothing at
all for usage totals (so re-reading the same access logs is a no-op).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from heratio_doi_pipelines.clock import utcnow
from heratio_doi_pipelines.events.identity import (
    ARCHIVE_SOURCE_ID,
    CITATION_RELATIONS,
    COUNTER_SOURCE_ID,
    bare_doi,
    dedupe_hash,
    kebab_relation,
    object_identity,
    source_token,
    usage_dedupe_hash,
)
from heratio_doi_pipelines.store.tables import ahg_datacite_event

IN_CHUNK = 500
PENDING, SENT, FAILED = "pending", "sent", "failed"


@dataclass(frozen=True)
class EventSpec:
    """One logical event. ``day`` marks a daily usage total (see ``identity``)."""

    subj_doi: str
    relation_type_id: str
    obj_id: str | None = None
    obj_id_type: str | None = None
    source_id: str = ARCHIVE_SOURCE_ID
    total: int = 1
    occurred_at: datetime | None = None
    day: date | None = None

    @property
    def dedupe_hash(self) -> str:
        if self.day is not None:
            return usage_dedupe_hash(self.subj_doi, self.relation_type_id, self.day, self.source_id)
        return dedupe_hash(
            bare_doi(self.subj_doi), self.relation_type_id, self.obj_id, self.source_id
        )

    def row(self, now: datetime) -> dict:
        occurred = self.occurred_at
        if occurred is None and self.day is not None:
            occurred = datetime(self.day.year, self.day.month, self.day.day)
        return {
            "dedupe_hash": self.dedupe_hash,
            "subj_id": bare_doi(self.subj_doi),
            "relation_type_id": self.relation_type_id,
            "obj_id": self.obj_id,
            "obj_id_type": self.obj_id_type,
            "source_id": self.source_id,
            "source_token": source_token(self.source_id),
            "state": PENDING,
            "attempts": 0,
            "total": self.total,
            "occurred_at": occurred or now,
            "created_at": now,
            "updated_at": now,
        }


@dataclass
class RecordSummary:
    created: int = 0
    updated: int = 0  # total changed: the event goes out again (same uuid)
    unchanged: int = 0

    def __iadd__(self, other: RecordSummary) -> RecordSummary:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self


def citation_event(
    doi: str,
    citing_id: str,
    *,
    relation_type_id: str = "is-cited-by",
    source_id: str = ARCHIVE_SOURCE_ID,
    occurred_at: datetime | None = None,
) -> EventSpec:
    """``doi`` is cited by ``citing_id`` (a DOI or URL)."""
    relation = kebab_relation(relation_type_id)
    if relation not in CITATION_RELATIONS:
        raise ValueError(f"a citation's relation type is one of {CITATION_RELATIONS}")
    obj_id, obj_type = object_identity(citing_id)
    return EventSpec(doi, relation, obj_id, obj_type, source_id, 1, occurred_at)


def relation_event(
    doi: str,
    related_id: str,
    relation_type: str,
    *,
    source_id: str = ARCHIVE_SOURCE_ID,
    occurred_at: datetime | None = None,
) -> EventSpec:
    """A related-identifier relation; ``relation_type`` as DataCite spells it (``IsPartOf``)."""
    obj_id, obj_type = object_identity(related_id)
    return EventSpec(
        doi, kebab_relation(relation_type), obj_id, obj_type, source_id, 1, occurred_at
    )


def usage_event(doi: str, relation_type_id: str, day: date, total: int) -> EventSpec:
    """A daily usage total (source ``heratio-counter``)."""
    return EventSpec(doi, relation_type_id, None, None, COUNTER_SOURCE_ID, total, None, day)


def record_event(engine: sa.Engine, spec: EventSpec) -> RecordSummary:
    """Record one event (citation, relation or usage total); see the module docstring."""
    return record_events(engine, [spec])


def record_events(
    engine: sa.Engine, specs: Iterable[EventSpec], *, touch_unchanged: bool = True
) -> RecordSummary:
    """Record many events in one transaction (a few queries per 500 events).

    Two writers inserting the same new event race on the unique hash; the loser simply
    retries, and then finds the winner's row.
    """
    batch = list(specs)
    for attempt in range(3):
        try:
            with engine.begin() as conn:
                return upsert_events(conn, batch, touch_unchanged=touch_unchanged)
        except sa.exc.IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def upsert_events(
    conn: sa.Connection,
    specs: Sequence[EventSpec],
    *,
    touch_unchanged: bool = True,
    create_empty: bool = True,
    now: datetime | None = None,
) -> RecordSummary:
    """Insert new events, update changed totals, optionally refresh ``updated_at`` of the rest.

    ``create_empty=False`` skips creating rows whose total is 0 (a day without usage).
    """
    now = now or utcnow()
    by_hash: dict[str, EventSpec] = {}
    for spec in specs:
        by_hash[spec.dedupe_hash] = spec  # the last word on a logical event wins
    summary = RecordSummary()
    hashes = list(by_hash)
    t = ahg_datacite_event
    for start in range(0, len(hashes), IN_CHUNK):
        chunk = hashes[start : start + IN_CHUNK]
        existing = {
            row.dedupe_hash: row
            for row in conn.execute(
                sa.select(t.c.id, t.c.dedupe_hash, t.c.total).where(t.c.dedupe_hash.in_(chunk))
            )
        }
        inserts, changed, touched = [], [], []
        for key in chunk:
            spec = by_hash[key]
            row = existing.get(key)
            if row is None:
                if spec.total or create_empty:
                    inserts.append(spec.row(now))
                continue
            if (row.total if row.total is not None else 1) != spec.total:
                changed.append({"row_id": row.id, "new_total": spec.total})
            elif touch_unchanged:
                touched.append({"row_id": row.id})
            else:
                summary.unchanged += 1
        if inserts:
            conn.execute(t.insert(), inserts)
            summary.created += len(inserts)
        if changed:
            conn.execute(
                t.update()
                .where(t.c.id == sa.bindparam("row_id"))
                .values(
                    total=sa.bindparam("new_total"),
                    state=PENDING,
                    attempts=0,
                    scheduled_at=None,
                    last_error=None,
                    updated_at=now,
                ),
                changed,
            )
            summary.updated += len(changed)
        if touched:
            conn.execute(
                t.update().where(t.c.id == sa.bindparam("row_id")).values(updated_at=now), touched
            )
            summary.unchanged += len(touched)
    return summary
