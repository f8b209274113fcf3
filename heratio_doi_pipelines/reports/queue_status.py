"""Queue status: counts per state, the items not yet completed, and the ones that look stuck.

An item is stuck when a worker claimed it and then went away: it is in flight
(``processing``, or Heratio's ``in_progress``) and its lease has lapsed, or it has no
lease (Heratio's own processor sets none) and was started longer ago than ``stale_after``.
Failed items have used all their attempts and wait for an operator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
import sqlalchemy as sa

from heratio_doi_pipelines.clock import utcnow
from heratio_doi_pipelines.queue.actions import IN_FLIGHT, action_of
from heratio_doi_pipelines.queue.transitions import HERATIO_STALE_AFTER
from heratio_doi_pipelines.store.tables import QUEUE_STATES, ahg_doi_queue

q = ahg_doi_queue

OPEN_ITEM_COLUMNS = [
    "id",
    "information_object_id",
    "action",
    "status",
    "attempts",
    "max_attempts",
    "scheduled_at",
    "started_at",
    "lease_expires_at",
    "last_error",
]
DEFAULT_STALE_AFTER = HERATIO_STALE_AFTER  # after this, the processor reclaims them too


@dataclass(frozen=True)
class QueueStatus:
    counts: dict[str, int]  # every state in QUEUE_STATES (zeros included) plus any other seen
    open_items: pd.DataFrame  # OPEN_ITEM_COLUMNS, every item not completed, oldest first
    stuck: pd.DataFrame  # OPEN_ITEM_COLUMNS, the in-flight items whose worker went away
    checked_at: datetime

    @property
    def failed(self) -> int:
        return self.counts.get("failed", 0)


def stuck_condition(now: datetime, stale_after: timedelta) -> sa.ColumnElement[bool]:
    """In flight, and either the lease lapsed or (no lease) started before the threshold."""
    no_lease_since = now - stale_after
    return sa.and_(
        q.c.status.in_(IN_FLIGHT),
        sa.or_(
            q.c.lease_expires_at < now,
            sa.and_(
                q.c.lease_expires_at.is_(None),
                sa.or_(q.c.started_at.is_(None), q.c.started_at < no_lease_since),
            ),
        ),
    )


def queue_counts(engine: sa.Engine) -> dict[str, int]:
    """Items per queue state, with every standard state present even at zero."""
    counts = dict.fromkeys(QUEUE_STATES, 0)
    with engine.connect() as conn:
        for status, n in conn.execute(sa.select(q.c.status, sa.func.count()).group_by(q.c.status)):
            counts[status] = int(n)
    return counts


def _items(conn: sa.Connection, where: sa.ColumnElement[bool]) -> pd.DataFrame:
    rows = conn.execute(
        sa.select(
            q.c.id,
            q.c.information_object_id,
            q.c.action,
            q.c.pipeline_action,
            q.c.status,
            q.c.attempts,
            q.c.max_attempts,
            q.c.scheduled_at,
            q.c.started_at,
            q.c.lease_expires_at,
            q.c.last_error,
        )
        .where(where)
        .order_by(q.c.id)
    ).all()
    records = [
        {
            **{name: getattr(row, name) for name in OPEN_ITEM_COLUMNS if name != "action"},
            "action": action_of(row.action, row.pipeline_action),
        }
        for row in rows
    ]
    return pd.DataFrame(records, columns=OPEN_ITEM_COLUMNS)


def queue_status(
    engine: sa.Engine,
    *,
    now: datetime | None = None,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
) -> QueueStatus:
    """Counts, open items and stuck items of ``ahg_doi_queue``, as Heratio's queue screen
    shows them."""
    now = now or utcnow()
    counts = queue_counts(engine)
    with engine.connect() as conn:
        open_items = _items(conn, q.c.status != "completed")
        stuck = _items(conn, stuck_condition(now, stale_after))
    return QueueStatus(counts=counts, open_items=open_items, stuck=stuck, checked_at=now)
