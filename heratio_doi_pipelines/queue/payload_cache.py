"""The payload cache: validated payloads kept per record, so what is sent is what was validated.

``doi_metadata_payloads`` builds and validates the payload of every record pending mint or
update and stores it with ``source_hash``, the SHA-256 of the canonical JSON of everything the
build reads (the catalogue record, the repository's metadata settings, the pipeline version).
The sending steps reuse a stored payload while that hash matches and otherwise build (and
validate) a fresh one. The pre-flight report validates every record that would be minted or
updated, batch by batch, and lists the ones that would be rejected.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import fields, is_dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from heratio_doi_pipelines import __version__
from heratio_doi_pipelines.catalogue.reader import CatalogueReader
from heratio_doi_pipelines.catalogue.records import CatalogueRecord
from heratio_doi_pipelines.clock import utcnow
from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.metadata import (
    MetadataContext,
    Payload,
    PayloadBatch,
    PayloadSummary,
    RejectionReport,
    build_payloads,
    context_from_settings,
)
from heratio_doi_pipelines.metadata.payload import canonical_json
from heratio_doi_pipelines.metadata.tombstone import tombstone_host_warning
from heratio_doi_pipelines.queue.actions import MINT, OPEN_STATUSES, REINSTATE, UPDATE, action_of
from heratio_doi_pipelines.settings import SettingsResolver
from heratio_doi_pipelines.store.dois import dois_for_records
from heratio_doi_pipelines.store.payloads import payload_rows, replace_payload_rows
from heratio_doi_pipelines.store.schema import require_tables
from heratio_doi_pipelines.store.tables import ahg_doi_queue

SENDING_ACTIONS = (MINT, UPDATE, REINSTATE)
BUILD_BATCH = 500


def _plain(value: Any) -> Any:
    """JSON-ready form of records and contexts: dataclasses as dicts, tuples as lists."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def source_hash(record: CatalogueRecord, ctx: MetadataContext) -> str:
    """SHA-256 of the canonical JSON of the record, its context and the pipeline version:
    equal inputs give an equal hash across processes and machines; any change gives another."""
    source = {"record": _plain(record), "context": _plain(ctx), "pipeline": __version__}
    return hashlib.sha256(canonical_json(source).encode("utf-8")).hexdigest()


def _row(payload: Payload, source: str, now: datetime) -> dict[str, Any]:
    return {
        "information_object_id": payload.record_id,
        "doi": payload.doi,
        "source_fingerprint": source,
        "payload_hash": payload.payload_hash,
        "target_state": payload.target_state,
        "attributes": payload.attributes,
        "xml": payload.xml.decode("utf-8") if payload.xml else None,
        "warnings": payload.warnings,
        "errors": payload.errors,
        "built_at": now,
    }


def _payload(row: sa.RowMapping) -> Payload:
    return Payload(
        record_id=row["information_object_id"],
        doi=row["doi"],
        attributes=row["attributes"],
        xml=row["xml"].encode("utf-8") if row["xml"] else None,
        payload_hash=row["payload_hash"],
        warnings=list(row["warnings"] or []),
        errors=list(row["errors"] or []),
        target_state=row["target_state"],
    )


def save_payloads(engine: sa.Engine, payloads: Sequence[tuple[Payload, str]], now: datetime) -> int:
    """Store (replace) each record's payload with the source hash it was built from."""
    with engine.begin() as conn:
        return replace_payload_rows(conn, [_row(p, source, now) for p, source in payloads])


def cached_payloads(
    conn: sa.Connection, sources: Mapping[int, tuple[CatalogueRecord, MetadataContext]]
) -> dict[int, Payload]:
    """The stored payloads whose source hash still matches (``sources``: record id -> the
    record and its context); the hash is made only for the records that have one stored."""
    rows = payload_rows(conn, list(sources))
    return {
        record_id: _payload(row)
        for record_id, row in rows.items()
        if row["source_fingerprint"] == source_hash(*sources[record_id])
    }


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


def iter_payload_batches(
    doi_engine: sa.Engine,
    catalogue_engine: sa.Engine,
    record_ids: Sequence[int],
    *,
    overrides: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    store: bool = True,
) -> Iterator[PayloadBatch]:
    """Build and validate the payloads of ``record_ids`` batch by batch (records keep their
    reserved or minted DOI); with ``store`` each batch is cached for the sending steps."""
    require_tables(doi_engine)
    now = now or utcnow()
    contexts = context_source(SettingsResolver(doi_engine, overrides), now)
    reader = CatalogueReader(catalogue_engine, doi_engine=doi_engine)
    for records in reader.iter_records(record_ids, batch_size=BUILD_BATCH):
        with doi_engine.connect() as conn:
            known = {
                rid: row.doi for rid, row in dois_for_records(conn, [r.id for r in records]).items()
            }
        batch = build_payloads(records, contexts, known)
        if store:
            by_id = {r.id: r for r in records}
            save_payloads(
                doi_engine,
                [
                    (p, source_hash(by_id[p.record_id], contexts(by_id[p.record_id])))
                    for p in batch.valid + batch.rejected
                ],
                now,
            )
        yield batch


def build_and_store_payloads(
    doi_engine: sa.Engine,
    catalogue_engine: sa.Engine,
    record_ids: Sequence[int],
    *,
    overrides: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> PayloadSummary:
    """Build, validate and cache the payloads of ``record_ids``; returns counts and a preview."""
    summary = PayloadSummary()
    for batch in iter_payload_batches(
        doi_engine, catalogue_engine, record_ids, overrides=overrides, now=now
    ):
        summary.add(batch)
    return summary


def preflight_report(
    doi_engine: sa.Engine,
    catalogue_engine: sa.Engine,
    out_path: Path,
    *,
    overrides: Mapping[str, Any] | None = None,
    workers: int = 1,
) -> tuple[PayloadSummary, Path]:
    """Validate every record that would be minted (no DOI yet) or updated (queued), and write
    the CSV of those that would be rejected, so the catalogue can be fixed first.

    Building and validating is CPU work; with ``workers`` > 1 chunks of records are built in
    that many processes (a million records take minutes instead of a quarter of an hour per
    core), and the report is the same, in the same order.
    """
    reader = CatalogueReader(catalogue_engine, doi_engine=doi_engine)
    ids = sorted(set(reader.records_without_doi()) | set(queued_record_ids(doi_engine)))
    now = utcnow()
    summary = PayloadSummary()
    if workers > 1 and _shareable(doi_engine) and _shareable(catalogue_engine):
        batches = _parallel_batches(doi_engine, catalogue_engine, ids, overrides, now, workers)
    else:
        batches = iter_payload_batches(
            doi_engine, catalogue_engine, ids, overrides=overrides, now=now, store=False
        )
    with RejectionReport(out_path) as report:
        for batch in batches:
            summary.add(batch)
            report.write(batch)
    summary.config_warnings.extend(settings_warnings(SettingsResolver(doi_engine, overrides)))
    return summary, out_path


PREFLIGHT_CHUNK = 4 * BUILD_BATCH  # records per task of a preflight worker


def _shareable(engine: sa.Engine) -> bool:
    """Whether another process can open the same database (not an in-memory SQLite)."""
    url = engine.url
    return not (url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"))


def _parallel_batches(
    doi_engine: sa.Engine,
    catalogue_engine: sa.Engine,
    ids: Sequence[int],
    overrides: Mapping[str, Any] | None,
    now: datetime,
    workers: int,
) -> Iterator[PayloadBatch]:
    """The batches of ``ids`` built by ``workers`` processes, in order; at most two chunks per
    worker are in flight, so memory does not grow with the catalogue."""
    doi_url, catalogue_url = (
        e.url.render_as_string(hide_password=False) for e in (doi_engine, catalogue_engine)
    )
    chunks = [
        list(ids[start : start + PREFLIGHT_CHUNK]) for start in range(0, len(ids), PREFLIGHT_CHUNK)
    ]
    with ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_preflight_worker,
        initargs=(doi_url, catalogue_url, dict(overrides or {}), now),
    ) as pool:
        pending: deque[Future[list[PayloadBatch]]] = deque()
        for chunk in chunks:
            pending.append(pool.submit(_preflight_chunk, chunk))
            if len(pending) >= 2 * workers:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


_worker: dict[str, Any] = {}  # a preflight worker's engines and settings, set once per process


def _start_preflight_worker(
    doi_url: str, catalogue_url: str, overrides: dict[str, Any], now: datetime
) -> None:
    doi_engine = make_engine(doi_url)
    catalogue_engine = doi_engine if catalogue_url == doi_url else make_engine(catalogue_url)
    _worker.update(doi=doi_engine, catalogue=catalogue_engine, overrides=overrides, now=now)


def _preflight_chunk(ids: list[int]) -> list[PayloadBatch]:
    return list(
        iter_payload_batches(
            _worker["doi"],
            _worker["catalogue"],
            ids,
            overrides=_worker["overrides"],
            now=_worker["now"],
            store=False,
        )
    )


def settings_warnings(resolver: SettingsResolver) -> list[str]:
    """What in the settings would send DOIs somewhere the catalogue does not serve."""
    settings = resolver.global_settings()
    warning = tombstone_host_warning(settings.tombstone_url_pattern, settings.base_url)
    return [warning] if warning else []
