"""Queue status: counts per state, the items not yet completed, and the ones that look stuck.

An item is stuck when a worker claimed it and then went away: it is in flight
(``processing``, or Heratio's ``in_progress``) and its lease has lapsed, or it has no
lease (Heratio's own processor sets none) and was started longer ago than ``stale_after``.
Failed items have used all their attempts and wait for an operator.

A queue may hold a million items, so nothing here holds them all: counts come from grouped
and counted queries, the status keeps a preview (the oldest open items, the first stuck
ones), and the CSV of every open item is streamed from the database chunk by chunk.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

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
PREVIEW_LIMIT = 50  # items kept in the status (the CSV has them all)
CSV_CHUNK = 5000  # open items read and written at a time


@dataclass(frozen=True)
class QueueStatus:
    counts: dict[str, int]  # every state in QUEUE_STATES (zeros included) plus any other seen
    open_items: pd.DataFrame  # OPEN_ITEM_COLUMNS, the oldest PREVIEW_LIMIT items not completed
    stuck: pd.DataFrame  # OPEN_ITEM_COLUMNS, the first PREVIEW_LIMIT in-flight items whose
    # worker went away
    stuck_count: int  # all of them
    checked_at: datetime

    @property
    def failed(self) -> int:
        return self.counts.get("failed", 0)

    @property
    def open_count(self) -> int:
        """Every item not completed."""
        return sum(n for status, n in self.counts.items() if status != "completed")


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


def _select(where: sa.ColumnElement[bool]) -> sa.Select[Any]:
    return (
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
    )


def _values(row: sa.Row[Any]) -> tuple[Any, ...]:
    """One item's OPEN_ITEM_COLUMNS, its action as the pipeline names it."""
    return tuple(
        action_of(row.action, row.pipeline_action) if name == "action" else getattr(row, name)
        for name in OPEN_ITEM_COLUMNS
    )


def _frame(rows: Sequence[sa.Row[Any]]) -> pd.DataFrame:
    return pd.DataFrame([_values(row) for row in rows], columns=OPEN_ITEM_COLUMNS)


def _open(counts: dict[str, int]) -> sa.ColumnElement[bool]:
    """Not completed, spelled as the states seen, so the status index can serve it."""
    return q.c.status.in_(sorted(s for s, n in counts.items() if s != "completed" and n))


def queue_status(
    engine: sa.Engine,
    *,
    now: datetime | None = None,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
) -> QueueStatus:
    """Counts, the oldest open items and the stuck items of ``ahg_doi_queue``, as Heratio's
    queue screen shows them; a bounded handful of queries whatever the queue's size."""
    now = now or utcnow()
    counts = queue_counts(engine)
    stuck_where = stuck_condition(now, stale_after)
    with engine.connect() as conn:
        open_items = _frame(conn.execute(_select(_open(counts)).limit(PREVIEW_LIMIT)).all())
        stuck = _frame(conn.execute(_select(stuck_where).limit(PREVIEW_LIMIT)).all())
        stuck_count = int(
            conn.execute(sa.select(sa.func.count()).select_from(q).where(stuck_where)).scalar_one()
        )
    return QueueStatus(
        counts=counts,
        open_items=open_items,
        stuck=stuck,
        stuck_count=stuck_count,
        checked_at=now,
    )


def iter_open_rows(engine: sa.Engine, chunk: int = CSV_CHUNK) -> Iterator[tuple[Any, ...]]:
    """Every item not completed, oldest first, as OPEN_ITEM_COLUMNS tuples read through a
    streaming cursor ``chunk`` rows at a time: memory stays constant however long the queue
    is, and no frame is built for rows that only go to a CSV."""
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=chunk).execute(_select(q.c.status != "completed"))
        for rows in result.partitions():
            yield from (_values(row) for row in rows)
