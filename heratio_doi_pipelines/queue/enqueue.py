"""Putting records on the work queue, at most one open item per record and action.

An item may ask for the bulk budget (``bulk``): the batch that runs it then uses
``doi_bulk_rate_limit``, as the launchpad's ``bulk: true`` and ``process --bulk`` ask for a
whole run (``bulk_requested`` tells the callers of the processor).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from heratio_doi_pipelines.clock import utcnow
from heratio_doi_pipelines.queue.actions import (
    ACTIONS,
    DEFAULT_TARGET_STATE,
    HERATIO_ACTION,
    MINT,
    OPEN_STATUSES,
    TARGET_STATES,
    action_of,
)
from heratio_doi_pipelines.queue.transitions import insert_skipping_open
from heratio_doi_pipelines.store.tables import ahg_doi_queue


@dataclass(frozen=True)
class EnqueueResult:
    queued: list[int]
    already_queued: list[int]

    @property
    def count(self) -> int:
        return len(self.queued)


def enqueue(
    engine: sa.Engine,
    action: str,
    record_ids: Iterable[int],
    *,
    target_state: str | None = None,
    priority: int = 100,
    max_attempts: int = 3,
    bulk: bool = False,
) -> EnqueueResult:
    """Queue ``action`` for each record unless an open item for the same action exists.

    ``bulk`` marks the new items as asking for the bulk budget (an item already open keeps
    what it asked for).

    The database keeps it to one open item per record and action (the unique index over
    ``open_action``): the insert skips rows that conflict, so of two concurrent enqueues of
    a record exactly one queues it and the other reports it already queued. Heratio's own
    open rows, outside that index, are looked up first.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")
    if action == MINT:
        target_state = target_state or DEFAULT_TARGET_STATE
        if target_state not in TARGET_STATES:
            raise ValueError(
                f"unknown target state {target_state!r}; expected {', '.join(TARGET_STATES)}"
            )
    ids = list(dict.fromkeys(int(i) for i in record_ids))
    open_ids = _open_record_ids(engine, action, ids)
    now = utcnow()
    new_rows = [
        {
            "information_object_id": record_id,
            "action": HERATIO_ACTION[action],
            "pipeline_action": action,
            "target_state": target_state,
            "status": "pending",
            "priority": priority,
            "attempts": 0,
            "max_attempts": max_attempts,
            "bulk": bulk,
            "scheduled_at": now,
            "created_at": now,
        }
        # In record order, so concurrent enqueues wait on each other's rows in one order.
        for record_id in sorted(set(ids) - open_ids)
    ]
    inserted: set[int] = set()
    # A short write transaction of inserts only: on SQLite it takes the write lock with its
    # first statement, so concurrent writers wait on the busy timeout instead of failing.
    with engine.begin() as conn:
        for start in range(0, len(new_rows), _CHUNK):
            inserted.update(insert_skipping_open(conn, new_rows[start : start + _CHUNK]))
    return EnqueueResult(
        queued=[i for i in ids if i in inserted],
        already_queued=[i for i in ids if i not in inserted],
    )


_CHUNK = 500


def _open_record_ids(engine: sa.Engine, action: str, ids: list[int]) -> set[int]:
    """Records among ``ids`` with an open item for ``action`` (Heratio's rows included)."""
    found: set[int] = set()
    with engine.connect() as conn:
        for start in range(0, len(ids), _CHUNK):
            # Filtered on the record alone, so every database reads the record index: with a
            # status condition too, SQLite without statistics walks every open item instead.
            rows = conn.execute(
                sa.select(
                    ahg_doi_queue.c.information_object_id,
                    ahg_doi_queue.c.action,
                    ahg_doi_queue.c.pipeline_action,
                    ahg_doi_queue.c.status,
                ).where(ahg_doi_queue.c.information_object_id.in_(ids[start : start + _CHUNK]))
            )
            found.update(
                r[0] for r in rows if r[3] in OPEN_STATUSES and action_of(r[1], r[2]) == action
            )
    return found


def _of_actions(actions: Iterable[str]) -> sa.ColumnElement[bool]:
    """Items of these pipeline actions, Heratio's rows (no ``pipeline_action``) included."""
    q = ahg_doi_queue
    return sa.or_(
        *(
            sa.or_(
                q.c.pipeline_action == action,
                sa.and_(q.c.pipeline_action.is_(None), q.c.action == HERATIO_ACTION[action]),
            )
            for action in actions
        )
    )


def open_items(engine: sa.Engine, action: str | None = None) -> dict[str, int]:
    """Open queue items by status (optionally of one action), for run metadata and sensors."""
    with engine.connect() as conn:
        query = sa.select(ahg_doi_queue.c.status, sa.func.count()).group_by(ahg_doi_queue.c.status)
        if action:
            query = query.where(_of_actions([action]))
        return {status: int(n) for status, n in conn.execute(query)}


def bulk_requested(engine: sa.Engine, actions: Iterable[str] | None = None) -> bool:
    """Whether an open item of these actions (all when None) asks for the bulk budget.

    One query on the status index: open items are few beside the closed ones.
    """
    q = ahg_doi_queue
    query = sa.select(q.c.id).where(q.c.status.in_(OPEN_STATUSES), q.c.bulk.is_(True))
    if actions:
        query = query.where(_of_actions(actions))
    with engine.connect() as conn:
        return conn.execute(query.limit(1)).first() is not None
