"""The work queue's state machine: every change of an ``ahg_doi_queue`` row happens here.

States of a row (``status``)::

    pending      waiting; due once ``scheduled_at`` has passed (or is NULL)
    processing   claimed by ``claimed_by`` until ``lease_expires_at``; the worker's heartbeat
                 renews the lease while the item is in flight
    in_progress  claimed by Heratio's own PHP processor (it sets no lease)
    completed    done (final)
    failed       given up (final); ``last_error`` says why

Transitions (each with the function that makes it)::

    (new)        -> pending      insert_skipping_open, for enqueue (queue/enqueue.py)
    pending      -> processing   claim_batch: due items, attempts + 1, lease set
    processing   -> processing   claim_batch: the lease lapsed (the worker died), attempts + 1
                                 renew_leases: the heartbeat of a live worker
    processing   -> completed    complete
    processing   -> pending      retry: transient error, due in 5 min x attempt (backoff.py)
                                 resend: DataCite holds the DOI in another state; the attempt
                                 is refunded, the next one sends the transition
                                 release: the batch stopped before the item was sent
                                 hold_after_auth_failure: a 401, attempt refunded, reason kept
    processing   -> failed       fail: a permanent error, or a transient one at max_attempts
                                 end_abandoned: the lease lapsed on its last attempt
                                 ("worker stopped while processing, N times")
    in_progress  -> pending      reclaim_heratio_in_progress: older than the stale age
                                 (default one hour), with a log row saying so

``complete``, ``retry``, ``resend`` and ``fail`` take the caller's connection, so the queue
row commits together with the ``ahg_doi`` change and its ``ahg_doi_log`` row.

Claims are atomic and safe with several workers: PostgreSQL and MySQL/MariaDB lock the chosen
rows with ``FOR UPDATE SKIP LOCKED`` (MariaDB 10.6+, MySQL 8.0+; older servers are refused);
SQLite has one writer at a time and a single ``UPDATE ... RETURNING`` chooses and marks the rows.
Each claim counts as an attempt, and a lapsed item at ``max_attempts`` is never claimed again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from heratio_doi_pipelines.clock import utcnow
from heratio_doi_pipelines.db import require_supported_server
from heratio_doi_pipelines.queue.actions import ACTIONS, HERATIO_ACTION, action_of
from heratio_doi_pipelines.queue.backoff import next_attempt_at
from heratio_doi_pipelines.store.dois import doi_for_record, write_log
from heratio_doi_pipelines.store.tables import ahg_doi_log, ahg_doi_queue

q = ahg_doi_queue

# A crashed worker's items are due again this long after its last heartbeat.
DEFAULT_LEASE = timedelta(seconds=60)
# Heratio's in_progress rows carry no lease: this old, their processor is taken to be gone.
HERATIO_STALE_AFTER = timedelta(hours=1)

# ``outcome`` values of the log rows that record an attempt's end without ending the item.
RETRY_OUTCOME = "retry"
RESEND_OUTCOME = "resend"


@dataclass(frozen=True)
class ClaimedItem:
    id: int
    information_object_id: int
    action: str  # the pipeline action (mint, update, verify, deactivate, reinstate)
    target_state: str | None
    attempts: int  # including this claim
    max_attempts: int
    lease_expires_at: datetime

    @property
    def last_attempt(self) -> bool:
        return self.attempts >= self.max_attempts


def _of_actions(actions: list[str] | None) -> sa.ColumnElement[bool]:
    if not actions:
        return sa.true()
    heratio_names = sorted({HERATIO_ACTION.get(a, a) for a in actions})
    return sa.or_(
        q.c.pipeline_action.in_(actions),
        sa.and_(q.c.pipeline_action.is_(None), q.c.action.in_(heratio_names)),
    )


def _lapsed(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(q.c.status == "processing", q.c.lease_expires_at < now)


def _due_parts(now: datetime) -> tuple[sa.ColumnElement[bool], sa.ColumnElement[bool]]:
    """Pending items whose time has come, and lapsed items with an attempt left (a lapsed
    item on its last attempt is not claimed again: end_abandoned fails it)."""
    pending = sa.and_(
        q.c.status == "pending",
        sa.or_(q.c.scheduled_at.is_(None), q.c.scheduled_at <= now),
    )
    lapsed = sa.and_(_lapsed(now), q.c.attempts < q.c.max_attempts)
    return pending, lapsed


def _due(now: datetime, actions: list[str] | None) -> sa.ColumnElement[bool]:
    return sa.and_(sa.or_(*_due_parts(now)), _of_actions(actions))


# Queue order: higher priority first (as Heratio's processor), then the oldest.
QUEUE_ORDER = (q.c.priority.desc(), q.c.scheduled_at, q.c.id)


def _first_due(now: datetime, actions: list[str] | None, limit: int) -> list[sa.Select[Any]]:
    """The first ``limit`` due items of each part in queue order. Each part alone is served
    by an index in that order (``idx_ahg_doi_queue_claim`` for the pending ones), so a claim
    reads a chunk's worth of index entries however long the queue is; asked as one OR, the
    database would sort every pending item on every claim."""
    return [
        sa.select(q.c.id, q.c.priority, q.c.scheduled_at)
        .where(part, _of_actions(actions))
        .order_by(*QUEUE_ORDER)
        .limit(limit)
        for part in _due_parts(now)
    ]


def _queue_order_key(row: Any) -> tuple[int, bool, datetime, int]:
    """Queue order in Python, for merging the parts (NULL times first, as SQLite sorts)."""
    return (-row.priority, row.scheduled_at is not None, row.scheduled_at or datetime.min, row.id)


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


# --- claiming -------------------------------------------------------------------------------


def claim_batch(
    engine: sa.Engine,
    worker_id: str,
    limit: int,
    *,
    lease: timedelta = DEFAULT_LEASE,
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
    parts = _first_due(now, actions, limit)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            # One atomic statement: SQLite runs it under its write lock.
            both = sa.union_all(*(sa.select(part.subquery()) for part in parts)).subquery()
            chosen = (
                sa.select(both.c.id)
                .order_by(both.c.priority.desc(), both.c.scheduled_at, both.c.id)
                .limit(limit)
            )
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
                locked = [_lock_one_by_one(conn, part, limit) for part in parts]
            else:
                locked = [
                    list(conn.execute(part.with_for_update(skip_locked=True))) for part in parts
                ]
            # The first ``limit`` of both parts; the other rows locked are let go at commit.
            ids = [
                row.id for row in sorted((r for rows in locked for r in rows), key=_queue_order_key)
            ]
            ids = ids[:limit]
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


def _lock_one_by_one(conn: sa.Connection, part: sa.Select[Any], limit: int) -> list[Any]:
    """MySQL/MariaDB: lock the first ``limit`` rows of ``part`` (a due query in queue order),
    skipping rows others hold.

    InnoDB locks every row a sort reads, so ``ORDER BY ... LIMIT n FOR UPDATE SKIP LOCKED``
    would lock all due rows and leave the other workers nothing. Candidates are read without
    locks in queue order, a page at a time, then each is locked by a primary-key lookup that
    re-checks it is still due, which locks that one row only.
    """
    page = max(4 * limit, 50)
    due = part.whereclause
    assert due is not None
    chosen: list[Any] = []
    offset = 0
    while len(chosen) < limit:
        candidates = conn.execute(part.limit(page).offset(offset)).all()
        for candidate in candidates:
            locked = conn.execute(
                sa.select(q.c.id, q.c.priority, q.c.scheduled_at)
                .where(q.c.id == candidate.id, due)
                .with_for_update(skip_locked=True)
            ).first()
            if locked is not None:
                chosen.append(locked)
                if len(chosen) == limit:
                    break
        if len(candidates) < page:
            break
        offset += page
    return chosen


def renew_leases(
    engine: sa.Engine,
    worker_id: str,
    item_ids: list[int],
    *,
    lease: timedelta = DEFAULT_LEASE,
    now: datetime | None = None,
) -> int:
    """Extend the lease of this worker's items still in flight (the heartbeat)."""
    if not item_ids:
        return 0
    now = now or utcnow()
    with engine.begin() as conn:
        result = conn.execute(
            q.update()
            .where(q.c.id.in_(item_ids), q.c.claimed_by == worker_id, q.c.status == "processing")
            .values(lease_expires_at=now + lease)
        )
    return int(result.rowcount or 0)


class LeaseHeartbeat:
    """Renews the leases of a worker's items in flight, a few times per lease period.

    Used as a context manager around a batch; ``track``/``untrack`` as items start and end.
    """

    def __init__(
        self,
        engine: sa.Engine,
        worker_id: str,
        lease: timedelta,
        now: Callable[[], datetime] = utcnow,
    ):
        self.engine = engine
        self.worker_id = worker_id
        self.lease = lease
        self.now = now
        self.interval = max(0.05, lease.total_seconds() / 3)
        self.failures = 0
        self._ids: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="lease-heartbeat", daemon=True)

    def track(self, item_ids: list[int]) -> None:
        with self._lock:
            self._ids.update(item_ids)

    def untrack(self, item_id: int) -> None:
        with self._lock:
            self._ids.discard(item_id)

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                ids = sorted(self._ids)
            try:
                renew_leases(self.engine, self.worker_id, ids, lease=self.lease, now=self.now())
            except sa.exc.SQLAlchemyError:
                # The database is away for a moment: the next beat tries again; if it stays
                # away, the leases lapse and another worker takes the items, as after a crash.
                self.failures += 1

    def __enter__(self) -> LeaseHeartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# --- outcomes of a claimed item (inside the caller's transaction) --------------------------


def _clear_claim() -> dict[str, Any]:
    return {"claimed_by": None, "lease_expires_at": None}


# The statement of the commonest outcome, built once (its values come as parameters).
_COMPLETE = q.update().where(q.c.id == sa.bindparam("item_id"))


def complete(conn: sa.Connection, item: ClaimedItem, now: datetime) -> None:
    conn.execute(
        _COMPLETE,
        {
            "item_id": item.id,
            "status": "completed",
            "last_error": None,
            "completed_at": now,
            **_clear_claim(),
        },
    )


def fail(conn: sa.Connection, item: ClaimedItem, reason: str, now: datetime) -> None:
    conn.execute(
        q.update()
        .where(q.c.id == item.id)
        .values(status="failed", last_error=reason, completed_at=now, **_clear_claim())
    )


def retry(conn: sa.Connection, item: ClaimedItem, reason: str, now: datetime) -> None:
    """Back to pending after Heratio's linear back-off: 5 minutes times the attempt number."""
    conn.execute(
        q.update()
        .where(q.c.id == item.id)
        .values(
            status="pending",
            last_error=reason,
            scheduled_at=next_attempt_at(now, item.attempts),
            **_clear_claim(),
        )
    )


def resend(conn: sa.Connection, item: ClaimedItem, reason: str, now: datetime) -> None:
    """Back to pending with the attempt refunded: DataCite holds the DOI, only the transition
    is still to be sent. Due after the same back-off as a retry."""
    conn.execute(
        q.update()
        .where(q.c.id == item.id)
        .values(
            status="pending",
            attempts=q.c.attempts - 1,
            last_error=reason,
            scheduled_at=next_attempt_at(now, item.attempts),
            **_clear_claim(),
        )
    )


def resends_so_far(conn: sa.Connection, item: ClaimedItem) -> int:
    """How many of this item's attempts were refunded by ``resend`` (bounded by the caller)."""
    return _logged_outcomes(conn, item.id, item.information_object_id).get(RESEND_OUTCOME, 0)


def _logged_outcomes(conn: sa.Connection, item_id: int, record_id: int) -> dict[str, int]:
    """Outcomes logged for one queue item, by kind (from its ``ahg_doi_log`` rows)."""
    counts: dict[str, int] = {}
    details = conn.execute(
        sa.select(ahg_doi_log.c.details).where(ahg_doi_log.c.information_object_id == record_id)
    ).scalars()
    for entry in details:
        if isinstance(entry, dict) and entry.get("queue_item") == item_id and "outcome" in entry:
            counts[entry["outcome"]] = counts.get(entry["outcome"], 0) + 1
    return counts


# --- transitions of items nobody holds any more --------------------------------------------


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
                started_at=None,
                attempts=q.c.attempts - 1,
                **_clear_claim(),
            )
        )
    return int(result.rowcount or 0)


def hold_after_auth_failure(
    engine: sa.Engine, item: ClaimedItem, reason: str, now: datetime
) -> None:
    """A 401 is nobody's item's fault: keep the item pending, attempt not spent, reason shown."""
    with engine.begin() as conn:
        conn.execute(
            q.update()
            .where(q.c.id == item.id)
            .values(
                status="pending",
                attempts=q.c.attempts - 1,
                last_error=reason,
                scheduled_at=next_attempt_at(now, 1),
                started_at=None,
                **_clear_claim(),
            )
        )
        write_log(
            conn,
            doi_id=None,
            information_object_id=item.information_object_id,
            action=item.action,
            status_before=None,
            status_after=None,
            details={"queue_item": item.id, "error": reason, "outcome": "batch stopped"},
            now=now,
        )


def end_abandoned(engine: sa.Engine, now: datetime | None = None) -> list[int]:
    """Fail the items whose lease lapsed on their last attempt: workers kept dying on them.

    The reason counts the claims that ended without an outcome ("worker stopped while
    processing, 3 times"); each failure has its log row.
    """
    now = now or utcnow()
    ended: list[int] = []
    with engine.begin() as conn:
        rows = conn.execute(
            sa.select(q.c.id, q.c.information_object_id, q.c.action, q.c.pipeline_action)
            .add_columns(q.c.attempts, q.c.max_attempts)
            .where(_lapsed(now), q.c.attempts >= q.c.max_attempts)
        ).all()
    for row in rows:
        with engine.begin() as conn:
            # Attempts that ended in a retry had an outcome (refunded ones are not counted).
            retried = _logged_outcomes(conn, row.id, row.information_object_id)
            stopped = max(1, row.attempts - retried.get(RETRY_OUTCOME, 0))
            reason = f"worker stopped while processing, {stopped} times"
            result = conn.execute(
                q.update()
                .where(q.c.id == row.id, _lapsed(now), q.c.attempts >= q.c.max_attempts)
                .values(status="failed", last_error=reason, completed_at=now, **_clear_claim())
            )
            if not result.rowcount:
                continue  # another worker ended it first
            doi = doi_for_record(conn, row.information_object_id)
            write_log(
                conn,
                doi_id=doi.id if doi else None,
                information_object_id=row.information_object_id,
                action=action_of(row.action, row.pipeline_action),
                status_before=doi.status if doi else None,
                status_after=doi.status if doi else None,
                details={
                    "queue_item": row.id,
                    "attempt": row.attempts,
                    "error": reason,
                    "outcome": "failed",
                },
                now=now,
            )
            ended.append(row.id)
    return ended


def reclaim_heratio_in_progress(
    engine: sa.Engine,
    now: datetime | None = None,
    *,
    stale_after: timedelta = HERATIO_STALE_AFTER,
) -> list[int]:
    """Make Heratio's ``in_progress`` rows (no lease) pending again once they are this old.

    Heratio's processor sets no lease and leaves a crashed item ``in_progress`` for ever; a
    row started longer ago than ``stale_after`` is taken to be abandoned. The claim it made is
    counted as an attempt (Heratio counts it too), and a log row says what happened.
    """
    now = now or utcnow()
    since = now - stale_after
    stale = sa.and_(
        q.c.status == "in_progress",
        q.c.lease_expires_at.is_(None),
        sa.func.coalesce(q.c.started_at, q.c.created_at) < since,
    )
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(q.c.id, q.c.information_object_id, q.c.action, q.c.pipeline_action).where(
                stale
            )
        ).all()
    reclaimed: list[int] = []
    for row in rows:
        with engine.begin() as conn:
            result = conn.execute(
                q.update()
                .where(q.c.id == row.id, stale)
                .values(status="pending", scheduled_at=now, started_at=None, **_clear_claim())
            )
            if not result.rowcount:
                continue
            hours = stale_after.total_seconds() / 3600
            write_log(
                conn,
                doi_id=None,
                information_object_id=row.information_object_id,
                action=action_of(row.action, row.pipeline_action),
                status_before=None,
                status_after=None,
                details={
                    "queue_item": row.id,
                    "outcome": "reclaimed",
                    "note": f"reclaimed from Heratio's processor: in_progress for more than "
                    f"{hours:g} hour(s) without a lease",
                },
                now=now,
            )
            reclaimed.append(row.id)
    return reclaimed


# --- reading the queue's due items (sensors, status) ---------------------------------------


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


# --- (new) -> pending: the insert behind queue/enqueue.py -----------------------------------


def insert_skipping_open(conn: sa.Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert queue rows, skipping those the open-item index refuses; the records inserted.

    PostgreSQL and SQLite: ``ON CONFLICT DO NOTHING``; MariaDB/MySQL: ``INSERT IGNORE``
    (the rows are built here, so the only error it can turn into a warning is the
    duplicate key). A conflicting insert waits for the other transaction and then skips.
    """
    if not rows:
        return []
    record = ahg_doi_queue.c.information_object_id
    dialect = conn.dialect.name
    stmt: Any
    if dialect == "postgresql":
        stmt = postgresql.insert(ahg_doi_queue).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite.insert(ahg_doi_queue).on_conflict_do_nothing()
    elif dialect == "mysql" and conn.dialect.insert_returning:
        stmt = sa.insert(ahg_doi_queue).prefix_with("IGNORE")
    else:
        return _insert_one_by_one(conn, rows)
    # The rows as parameters (one cached statement, sent in batches), not as a VALUES list
    # compiled afresh for every chunk.
    return [int(i) for i in conn.execute(stmt.returning(record), rows).scalars()]


def _insert_one_by_one(conn: sa.Connection, rows: list[dict[str, Any]]) -> list[int]:
    """MySQL has no ``INSERT ... RETURNING``: one insert per row, a refused one skipped."""
    inserted = []
    for row in rows:
        result = conn.execute(sa.insert(ahg_doi_queue).values(row).prefix_with("IGNORE"))
        if result.rowcount:
            inserted.append(int(row["information_object_id"]))
    return inserted
