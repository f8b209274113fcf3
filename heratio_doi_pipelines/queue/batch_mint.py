"""Heratio's batch-mint screen (/admin/doi/batch-mint): a checked batch of records queued
for minting.

Checked before anything is queued: at most ``BATCH_MINT_CAP`` named records, every one a
description of the catalogue. "Records without a DOI" leaves out those whose last mint
failed for good before any DOI was reserved (the record itself was refused: a catalogue
draft, invalid metadata) and that have not been edited since: queueing them again would fail
the same way (fix the record, or name it, to queue it again). Records holding a DOI that
DataCite never confirmed are always taken: a settings fix (prefix, pattern) may cure them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from heratio_doi_pipelines.catalogue.reader import CatalogueReader
from heratio_doi_pipelines.errors import HeratioDoiError
from heratio_doi_pipelines.queue.actions import DEFAULT_TARGET_STATE, HERATIO_ACTION, MINT
from heratio_doi_pipelines.queue.enqueue import enqueue
from heratio_doi_pipelines.store.dois import record_ids_to_mint_again
from heratio_doi_pipelines.store.tables import ahg_doi_queue

BATCH_MINT_CAP = 100  # Heratio's batch-mint screen lists at most 100 records
UNKNOWN_SHOWN = 20


class BatchTooLargeError(HeratioDoiError):
    """More records named than one batch takes."""


class UnknownRecordsError(HeratioDoiError):
    """Named records that are not descriptions of the catalogue."""

    def __init__(self, unknown: list[int]):
        self.unknown = unknown
        shown = ", ".join(str(i) for i in unknown[:UNKNOWN_SHOWN])
        more = f" and {len(unknown) - UNKNOWN_SHOWN} more" if len(unknown) > UNKNOWN_SHOWN else ""
        super().__init__(
            f"{len(unknown)} record id(s) are not descriptions in the catalogue: {shown}{more}; "
            "nothing was queued"
        )


@dataclass(frozen=True)
class BatchMintResult:
    queued: list[int]
    already_queued: list[int]
    taken_without_doi: int = 0  # records without a DOI taken into this batch
    remaining_without_doi: int = 0  # records without a DOI left for later batches
    held_back: list[int] = field(default_factory=list)  # last mint failed, unchanged since

    @property
    def count(self) -> int:
        return len(self.queued)

    def summary(self) -> str:
        text = f"queued {self.count} record(s) for mint"
        if self.already_queued:
            text += f" ({len(self.already_queued)} already queued)"
        if self.taken_without_doi or self.remaining_without_doi:
            text += (
                f"; took {self.taken_without_doi} record(s) without a DOI, "
                f"{self.remaining_without_doi} remain"
            )
        if self.held_back:
            text += (
                f"; {len(self.held_back)} left out: their last mint failed and they have not "
                "changed since"
            )
        return text


def check_batch_size(record_ids: Iterable[int], cap: int = BATCH_MINT_CAP) -> None:
    """Refuse a batch of more than ``cap`` named records (nothing is cut off silently)."""
    count = len(set(record_ids))
    if count > cap:
        raise BatchTooLargeError(
            f"record_ids: at most {cap} records per batch, got {count}; split them into "
            "batches, or use all_without_doi"
        )


def failed_unchanged(
    doi_engine: sa.Engine, reader: CatalogueReader, record_ids: Iterable[int] | None = None
) -> list[int]:
    """Records whose latest mint item failed for good and that were not edited since."""
    q = ahg_doi_queue
    latest = (
        sa.select(q.c.information_object_id, sa.func.max(q.c.id).label("id"))
        .where(
            sa.or_(
                q.c.pipeline_action == MINT,
                sa.and_(q.c.pipeline_action.is_(None), q.c.action == HERATIO_ACTION[MINT]),
            )
        )
        .group_by(q.c.information_object_id)
        .subquery()
    )
    stmt = (
        sa.select(q.c.information_object_id, q.c.completed_at, q.c.scheduled_at)
        .join(latest, latest.c.id == q.c.id)
        .where(q.c.status == "failed")
    )
    if record_ids is not None:
        stmt = stmt.where(q.c.information_object_id.in_(list(record_ids)))
    with doi_engine.connect() as conn:
        failed: dict[int, datetime | None] = {
            row.information_object_id: row.completed_at or row.scheduled_at
            for row in conn.execute(stmt)
        }
    if not failed:
        return []
    changed = reader.last_changed(failed)

    def edited_since(record_id: int) -> bool:
        edited, failed_at = changed.get(record_id), failed[record_id]
        return edited is not None and failed_at is not None and edited > failed_at

    return sorted(record_id for record_id in failed if not edited_since(record_id))


def enqueue_mint_batch(
    doi_engine: sa.Engine,
    catalogue_engine: sa.Engine,
    *,
    record_ids: Iterable[int] = (),
    all_without_doi: bool = False,
    target_state: str = DEFAULT_TARGET_STATE,
    cap: int = BATCH_MINT_CAP,
) -> BatchMintResult:
    """Queue a batch mint: the named records (at most ``cap``, all known to the catalogue),
    plus up to ``cap`` records without a DOI. Raises before queueing anything when the named
    records are too many or not all in the catalogue."""
    named = list(dict.fromkeys(int(i) for i in record_ids))
    check_batch_size(named, cap)
    reader = CatalogueReader(catalogue_engine, doi_engine=doi_engine)
    if named:
        known = reader.last_changed(named)
        unknown = [i for i in named if i not in known]
        if unknown:
            raise UnknownRecordsError(unknown)
    ids = list(named)
    taken = remaining = 0
    held_back: list[int] = []
    if all_without_doi:
        # With them, records whose DOI DataCite never confirmed: the mint reuses or
        # releases the reservation (queue.reservations), so they are never held back.
        unconfirmed = set(record_ids_to_mint_again(doi_engine))
        held_back = [i for i in failed_unchanged(doi_engine, reader) if i not in unconfirmed]
        skip = set(held_back) | set(named)
        without = set(reader.records_without_doi()) | unconfirmed
        candidates = [i for i in sorted(without) if i not in skip]
        chosen = candidates[:cap]
        taken, remaining = len(chosen), len(candidates) - len(chosen)
        ids.extend(chosen)
    result = enqueue(doi_engine, MINT, ids, target_state=target_state)
    return BatchMintResult(
        queued=result.queued,
        already_queued=result.already_queued,
        taken_without_doi=taken,
        remaining_without_doi=remaining,
        held_back=held_back,
    )
