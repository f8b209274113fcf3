"""Putting records on the work queue, at most one open item per record and action."""

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
) -> EnqueueResult:
    """Queue ``action`` for each record unless an open item for the same action exists."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")
    if action == MINT:
        target_state = target_state or DEFAULT_TARGET_STATE
        if target_state not in TARGET_STATES:
            raise ValueError(
                f"unknown target state {target_state!r}; expected {', '.join(TARGET_STATES)}"
            )
    ids = list(dict.fromkeys(int(i) for i in record_ids))
    now = utcnow()
    queued: list[int] = []
    skipped: list[int] = []
    with engine.begin() as conn:
        open_ids: set[int] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = conn.execute(
                sa.select(
                    ahg_doi_queue.c.information_object_id,
                    ahg_doi_queue.c.action,
                    ahg_doi_queue.c.pipeline_action,
                ).where(
                    ahg_doi_queue.c.information_object_id.in_(chunk),
                    ahg_doi_queue.c.status.in_(OPEN_STATUSES),
                )
            )
            open_ids.update(r[0] for r in rows if action_of(r[1], r[2]) == action)
        new_rows = []
        for record_id in ids:
            if record_id in open_ids:
                skipped.append(record_id)
                continue
            queued.append(record_id)
            new_rows.append(
                {
                    "information_object_id": record_id,
                    "action": HERATIO_ACTION[action],
                    "pipeline_action": action,
                    "target_state": target_state,
                    "status": "pending",
                    "priority": priority,
                    "attempts": 0,
                    "max_attempts": max_attempts,
                    "scheduled_at": now,
                    "created_at": now,
                }
            )
        if new_rows:
            conn.execute(ahg_doi_queue.insert(), new_rows)
    return EnqueueResult(queued=queued, already_queued=skipped)


BATCH_MINT_CAP = 100  # the seed's batch-mint screen lists at most 100 records


def enqueue_mint_batch(
    doi_engine: sa.Engine,
    catalogue_engine: sa.Engine,
    *,
    record_ids: Iterable[int] = (),
    all_without_doi: bool = False,
    target_state: str = DEFAULT_TARGET_STATE,
    cap: int = BATCH_MINT_CAP,
) -> EnqueueResult:
    """Queue a batch mint: the given records, or records without a DOI, at most ``cap``."""
    from heratio_doi_pipelines.catalogue.reader import CatalogueReader

    ids = list(record_ids)
    if all_without_doi:
        reader = CatalogueReader(catalogue_engine, doi_engine=doi_engine)
        ids.extend(reader.records_without_doi(limit=cap))
    return enqueue(doi_engine, MINT, ids[:cap], target_state=target_state)


def open_items(engine: sa.Engine, action: str | None = None) -> dict[str, int]:
    """Open queue items by status (optionally of one action), for run metadata and sensors."""
    with engine.connect() as conn:
        query = sa.select(ahg_doi_queue.c.status, sa.func.count()).group_by(ahg_doi_queue.c.status)
        if action:
            query = query.where(
                sa.or_(
                    ahg_doi_queue.c.pipeline_action == action,
                    sa.and_(
                        ahg_doi_queue.c.pipeline_action.is_(None),
                        ahg_doi_queue.c.action == HERATIO_ACTION[action],
                    ),
                )
            )
        return {status: int(n) for status, n in conn.execute(query)}
