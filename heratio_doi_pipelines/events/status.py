"""Where the recorded events stand: counts by kind and state, for the CLI, asset and sensor."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from heratio_doi_pipelines.clock import utcnow
from heratio_doi_pipelines.events.flush import MAX_ATTEMPTS, due_condition
from heratio_doi_pipelines.events.identity import EVENT_KINDS, kind_of
from heratio_doi_pipelines.store.tables import ahg_datacite_event

STATES = ("pending", "sent", "failed")


@dataclass
class EventStatus:
    """``counts[kind][state]``; ``retrying`` are failed events that will be tried again."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    retrying: int = 0
    due: int = 0
    oldest_pending: datetime | None = None

    def total(self, state: str) -> int:
        return sum(by_state.get(state, 0) for by_state in self.counts.values())

    @property
    def gave_up(self) -> int:
        return self.total("failed") - self.retrying

    def rows(self) -> list[dict[str, object]]:
        """One row per kind (view, download, citation, relation) with a column per state."""
        return [
            {"kind": kind, **{state: self.counts.get(kind, {}).get(state, 0) for state in STATES}}
            for kind in EVENT_KINDS
        ]

    def lines(self) -> list[str]:
        out = [f"{'kind':<10} {'pending':>8} {'sent':>8} {'failed':>8}"]
        for row in self.rows():
            out.append(f"{row['kind']:<10} {row['pending']:>8} {row['sent']:>8} {row['failed']:>8}")
        out.append(
            f"due now: {self.due}; failed but retrying: {self.retrying}; gave up: {self.gave_up}"
        )
        if self.oldest_pending:
            out.append(f"oldest pending event recorded at {self.oldest_pending:%Y-%m-%d %H:%M} UTC")
        return out


def event_status(engine: sa.Engine, now: datetime | None = None) -> EventStatus:
    t = ahg_datacite_event
    now = now or utcnow()
    retry_flag = sa.case((t.c.attempts < MAX_ATTEMPTS, 1), else_=0)
    status = EventStatus(counts={kind: dict.fromkeys(STATES, 0) for kind in EVENT_KINDS})
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.c.relation_type_id, t.c.state, retry_flag, sa.func.count()).group_by(
                t.c.relation_type_id, t.c.state, retry_flag
            )
        )
        merged: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATES, 0))
        for relation, state, can_retry, count in rows:
            merged[kind_of(relation)][state] = merged[kind_of(relation)].get(state, 0) + count
            if state == "failed" and can_retry:
                status.retrying += int(count)
        status.counts.update(merged)
        status.due = int(
            conn.execute(
                sa.select(sa.func.count()).select_from(t).where(due_condition(now))
            ).scalar_one()
        )
        status.oldest_pending = conn.execute(
            sa.select(sa.func.min(t.c.created_at)).where(t.c.state == "pending")
        ).scalar()
    return status
