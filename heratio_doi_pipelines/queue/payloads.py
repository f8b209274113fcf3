"""Building and validating the payloads of queued records before anything is sent.

Behind the ``doi_metadata_payloads`` asset (payloads of every record pending mint or
update, stored for the sending steps) and the pre-flight report (every record that would be
minted or updated, with the reasons the rejected ones would fail).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from heratio_doi_pipelines.catalogue.reader import CatalogueReader
from heratio_doi_pipelines.catalogue.records import CatalogueRecord
from heratio_doi_pipelines.clock import utcnow
from heratio_doi_pipelines.metadata import (
    MetadataContext,
    PayloadBatch,
    build_payloads,
    context_from_settings,
    write_rejections_csv,
)
from heratio_doi_pipelines.queue.actions import MINT, OPEN_STATUSES, REINSTATE, UPDATE, action_of
from heratio_doi_pipelines.settings import SettingsResolver
from heratio_doi_pipelines.store.dois import dois_for_records
from heratio_doi_pipelines.store.payloads import save_payloads, source_fingerprint
from heratio_doi_pipelines.store.schema import require_tables
from heratio_doi_pipelines.store.tables import ahg_doi_queue

SENDING_ACTIONS = (MINT, UPDATE, REINSTATE)


def context_source(
    resolver: SettingsResolver, now: datetime
) -> Callable[[CatalogueRecord], MetadataContext]:
    """Each record's metadata context, from its repository's settings (cached per repository)."""
    cache: dict[int | None, MetadataContext] = {}

    def for_record(record: CatalogueRecord) -> MetadataContext:
        if record.repository_id not in cache:
            settings = resolver.for_repository(record.repository_id)
            cache[record.repository_id] = context_from_settings(settings, year=now.year)
        return cache[record.repository_id]

    return for_record


def queued_record_ids(engine: sa.Engine, actions: tuple[str, ...] = SENDING_ACTIONS) -> list[int]:
    """Records with an open queue item whose action sends metadata."""
    q = ahg_doi_queue
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(q.c.information_object_id, q.c.action, q.c.pipeline_action).where(
                q.c.status.in_(OPEN_STATUSES)
            )
        ).all()
    return sorted({r[0] for r in rows if action_of(r[1], r[2]) in actions})


def build_and_store_payloads(
    doi_engine: sa.Engine,
    catalogue_engine: sa.Engine,
    record_ids: list[int],
    *,
    overrides: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    store: bool = True,
) -> PayloadBatch:
    """Build and validate the payloads of ``record_ids``; store them for the sending steps."""
    require_tables(doi_engine)
    now = now or utcnow()
    contexts = context_source(SettingsResolver(doi_engine, overrides), now)
    reader = CatalogueReader(catalogue_engine, doi_engine=doi_engine)
    batch = PayloadBatch()
    for records in reader.iter_records(record_ids, batch_size=500):
        with doi_engine.connect() as conn:
            known = {
                rid: row.doi for rid, row in dois_for_records(conn, [r.id for r in records]).items()
            }
        part = build_payloads(records, contexts, known)
        if store:
            by_id = {r.id: r for r in records}
            save_payloads(
                doi_engine,
                [
                    (p, source_fingerprint(by_id[p.record_id], contexts(by_id[p.record_id])))
                    for p in part.valid + part.rejected
                ],
                now,
            )
        batch.valid.extend(part.valid)
        batch.rejected.extend(part.rejected)
    return batch


def preflight_report(
    doi_engine: sa.Engine,
    catalogue_engine: sa.Engine,
    out_path: Path,
    *,
    overrides: Mapping[str, Any] | None = None,
) -> tuple[PayloadBatch, Path]:
    """Validate every record that would be minted (no DOI yet) or updated (queued), and write
    the CSV of those that would be rejected, so the catalogue can be fixed first."""
    reader = CatalogueReader(catalogue_engine, doi_engine=doi_engine)
    ids = sorted(set(reader.records_without_doi()) | set(queued_record_ids(doi_engine)))
    batch = build_and_store_payloads(
        doi_engine, catalogue_engine, ids, overrides=overrides, store=False
    )
    write_rejections_csv(batch, out_path)
    return batch, out_path
