"""Atomic claims on the work queue, safe with several workers.

PostgreSQL and MySQL/MariaDB lock the chosen rows with ``FOR UPDATE SKIP LOCKED`` so
concurrent workers take disjoint items without waiting on each other (MariaDB 10.6+, MySQL
8.0+; older servers are refused). SQLite has one
writer at a time: a single ``UPDATE ... RETURNING`` statement chooses and marks the rows
atomically. A claim holds a lease; when a worker dies its items become due again once the
lease has lapsed. Each claim counts as an attempt, so an item that keeps killing workers
still ends as ``failed`` at its ``max_attempts``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from heratio_doi_pipelines.clock import utcnow
from heratio_doi_pipelines.db import require_supported_server
from heratio_doi_pipelines.queue.actions import ACTIONS, HERATIO_ACTION, action_of
from heratio_doi_pipelines.store.tables import ahg_doi_queue

q = ahg_doi_queue


@dataclass(frozen=True)
class ClaimedItem:
    id: int
    information_object_id: int
    action: str  # the pipeline action (mint, update, verify, deactivate, reinstate)
    target_state: str | None
    attempts: int  # including this claim
    max_attempts: int
    lease_expires_at: datetime


def _due(now: datetime, actions: list[str] | None) -> sa.ColumnElement[bool]:
    pending = sa.and_(
        q.c.status == "pending",
        sa.or_(q.c.scheduled_at.is_(None), q.c.scheduled_at <= now),
    )
    lapsed = sa.and_(q.c.status == "processing", q.c.lease_expires_at < now)
    cond = sa.or_(pending, lapsed)
    if actions:
        heratio_names = sorted({HERATIO_ACTION.get(a, a) for a in actions})
        cond = sa.and_(
            cond,
            sa.or_(
                q.c.pipeline_action.in_(actions),
                sa.and_(q.c.pipeline_action.is_(None), q.c.action.in_(heratio_names)),
            ),
        )
    return cond


_RETURNED = (
    q.c.id,
    q.c.information_object_id,
    q.c.action,
    q.c.pipeline_action,
    q.c.target_state,
    q.c.attempts,
    q.c.max_attempts,
    q.c.lease_expires_at,
)


def claim_batch(
    engine: sa.Engine,
    worker_id: str,
    limit: int,
    *,
    lease: timedelta = timedelta(minutes=10),
    actions: list[str] | None = None,
    now: datetime | None = None,
) -> list[ClaimedItem]:
    """Claim up to ``limit`` due items for ``worker_id``; each gets a lease and an attempt."""
    if limit <= 0:
        return []
    now = now or utcnow()
    values = {
        "status": "processing",
        "claimed_by": worker_id,
        "lease_expires_at": now + lease,
        "started_at": now,
        "attempts": q.c.attempts + 1,
    }
    order = (q.c.priority.desc(), q.c.scheduled_at, q.c.id)  # Heratio: higher goes first
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            chosen = sa.select(q.c.id).where(_due(now, actions)).order_by(*order).limit(limit)
            rows = conn.execute(
                q.update()
                .where(q.c.id.in_(chosen.scalar_subquery()))
                .values(**values)
                # RETURNING gives the updated rows of this one atomic statement.
                .returning(*_RETURNED)
            ).all()
        else:
            if conn.dialect.name == "mysql":
                require_supported_server(conn)
                ids = _lock_one_by_one(conn, _due(now, actions), order, limit)
            else:
                ids = list(
                    conn.execute(
                        sa.select(q.c.id)
                        .where(_due(now, actions))
                        .order_by(*order)
                        .limit(limit)
                        .with_for_update(skip_locked=True)
                    ).scalars()
                )
            if not ids:
                return []
            conn.execute(q.update().where(q.c.id.in_(ids)).values(**values))
            rows = conn.execute(sa.select(*_RETURNED).where(q.c.id.in_(ids))).all()
    items = [
        ClaimedItem(
            id=r.id,
            information_object_id=r.information_object_id,
            action=action_of(r.action, r.pipeline_action),
            target_state=r.target_state,
            attempts=r.attempts,
            max_attempts=r.max_attempts,
            lease_expires_at=r.lease_expires_at,
        )
        for r in rows
    ]
    items.sort(key=lambda item: item.id)
    return items


def _lock_one_by_one(
    conn: sa.Connection,
    due: sa.ColumnElement[bool],
    order: tuple[sa.ColumnElement, ...],
    limit: int,
) -> list[int]:
    """MySQL/MariaDB: lock ``limit`` due rows in queue order, skipping rows others hold.

    InnoDB locks every row a sort reads, so ``ORDER BY ... LIMIT n FOR UPDATE SKIP LOCKED``
    would lock all due rows and leave the other workers nothing. Candidates are read without
    locks in queue order, then each is locked by a primary-key lookup that re-checks it is
    still due, which locks that one row only.
    """
    page = max(4 * limit, 50)
    chosen: list[int] = []
    offset = 0
    while len(chosen) < limit:
        candidates = (
            conn.execute(sa.select(q.c.id).where(due).order_by(*order).limit(page).offset(offset))
            .scalars()
            .all()
        )
        for candidate in candidates:
            locked = conn.execute(
                sa.select(q.c.id).where(q.c.id == candidate, due).with_for_update(skip_locked=True)
            ).scalar()
            if locked is not None:
                chosen.append(int(locked))
                if len(chosen) == limit:
                    break
        if len(candidates) < page:
            break
        offset += page
    return chosen


def release(engine: sa.Engine, item_ids: list[int], worker_id: str) -> int:
    """Hand claimed items back untouched (their attempt is not spent): e.g. after a 401."""
    if not item_ids:
        return 0
    with engine.begin() as conn:
        result = conn.execute(
            q.update()
            .where(q.c.id.in_(item_ids), q.c.claimed_by == worker_id, q.c.status == "processing")
            .values(
                status="pending",
                claimed_by=None,
                lease_expires_at=None,
                started_at=None,
                attempts=q.c.attempts - 1,
            )
        )
    return int(result.rowcount or 0)


def count_due(engine: sa.Engine, *, actions: list[str] | None = None) -> int:
    """How many items a worker could claim now (for sensors)."""
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count()).select_from(q).where(_due(utcnow(), actions))
            ).scalar_one()
        )


# A sensor needs to know that work is due, not exactly how much: counting stops here.
DUE_COUNT_CAP = 1000


@dataclass(frozen=True)
class DueSummary:
    """Due items of one action: enough for a sensor to make a deterministic run key.

    ``count`` stops at ``DUE_COUNT_CAP``; ``max_item_id`` (the newest queue item) and
    ``progress`` (the latest completion) change when items are queued or finished, so the
    key changes whenever there is new work or a run made headway.
    """

    action: str
    count: int
    max_item_id: int
    progress: str = ""

    @property
    def run_key(self) -> str:
        return f"{self.action}-upto-{self.max_item_id}-n{self.count}-done-{self.progress}"


def _due_branches(now: datetime, action: str) -> list[sa.ColumnElement[bool]]:
    """``_due`` for one action, split into the parts ``idx_ahg_doi_queue_due`` serves."""
    pending = sa.and_(
        q.c.status == "pending", sa.or_(q.c.scheduled_at.is_(None), q.c.scheduled_at <= now)
    )
    lapsed = sa.and_(q.c.status == "processing", q.c.lease_expires_at < now)
    owners = (
        q.c.pipeline_action == action,
        sa.and_(q.c.pipeline_action.is_(None), q.c.action == HERATIO_ACTION.get(action, action)),
    )
    return [sa.and_(state, owner) for state in (pending, lapsed) for owner in owners]


def due_by_action(engine: sa.Engine, now: datetime | None = None) -> list[DueSummary]:
    """Due items per pipeline action, counted up to ``DUE_COUNT_CAP``: each query reads at
    most that many index entries, so the answer costs the same however long the queue is."""
    now = now or utcnow()
    summaries = []
    with engine.connect() as conn:
        # One scalar subquery each: databases answer a lone MAX() from an index's end.
        newest, progress = conn.execute(
            sa.select(
                sa.select(sa.func.max(q.c.id)).scalar_subquery(),
                sa.select(sa.func.max(q.c.completed_at)).scalar_subquery(),
            )
        ).one()
        if newest is None:
            return []
        for action in ACTIONS:
            counts = [
                sa.select(sa.func.count())
                .select_from(sa.select(q.c.id).where(branch).limit(DUE_COUNT_CAP).subquery())
                .scalar_subquery()
                for branch in _due_branches(now, action)
            ]
            count = min(sum(conn.execute(sa.select(*counts)).one()), DUE_COUNT_CAP)
            if count:
                summaries.append(
                    DueSummary(action, count, int(newest), progress.isoformat() if progress else "")
                )
    return summaries
