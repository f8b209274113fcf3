"""The SQL a mint costs: a fixed number of statements per item and per claimed chunk, and a
fixed number of catalogue reads per chunk, however large the batch and the catalogue."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa

from heratio_doi_pipelines.catalogue.reader import CatalogueReader
from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.devtools.emulator import EmulatorHandle
from heratio_doi_pipelines.devtools.sample_archive import generate_sample_archive
from heratio_doi_pipelines.metadata import build_payload, context_from_settings
from heratio_doi_pipelines.queue.actions import MINT
from heratio_doi_pipelines.queue.enqueue import enqueue
from heratio_doi_pipelines.queue.processor import process_queue
from heratio_doi_pipelines.settings import SettingsResolver

CONCURRENCY = 2
CHUNK = 2 * CONCURRENCY  # items claimed (and their records read) at a time


@dataclass
class Cost:
    doi_statements: int
    catalogue_statements: int
    doi_writes: int  # transactions committed on the ahg_* tables
    doi_reads: int  # transactions begun there and not committed (read, then closed)


@contextmanager
def counting(engine: sa.Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def _mintable(engine: sa.Engine, overrides: dict[str, str]) -> list[int]:
    """Records without a DOI whose metadata is valid, all of one repository (settings are
    resolved once per repository, which would otherwise vary with the selection)."""
    settings = SettingsResolver(engine, overrides).global_settings()
    ctx = context_from_settings(settings, year=2026)
    reader = CatalogueReader(engine)
    records = reader.read_records(reader.records_without_doi())
    usable = [r for r in records if r.publication_status != "draft" and build_payload(r, ctx).ok]
    repository = usable[0].repository_id
    return [r.id for r in usable if r.repository_id == repository]


@contextmanager
def transactions(engine: sa.Engine) -> Iterator[list[str]]:
    events: list[str] = []

    def on_begin(_conn: sa.Connection) -> None:
        events.append("begin")

    def on_commit(_conn: sa.Connection) -> None:
        events.append("commit")

    sa.event.listen(engine, "begin", on_begin)
    sa.event.listen(engine, "commit", on_commit)
    try:
        yield events
    finally:
        sa.event.remove(engine, "begin", on_begin)
        sa.event.remove(engine, "commit", on_commit)


def _mint(
    doi_engine: sa.Engine, catalogue: sa.Engine, overrides: dict[str, str], ids: list[int]
) -> Cost:
    enqueue(doi_engine, MINT, ids)
    with (
        counting(doi_engine) as doi_sql,
        counting(catalogue) as catalogue_sql,
        transactions(doi_engine) as doi_transactions,
    ):
        report = process_queue(
            doi_engine,
            catalogue,
            overrides=overrides,
            limit=len(ids),
            concurrency=CONCURRENCY,
            chunk_size=CHUNK,
        )
    assert report.counts["completed"] == len(ids), report.summary()
    writes = doi_transactions.count("commit")
    reads = doi_transactions.count("begin") - writes
    return Cost(len(doi_sql), len(catalogue_sql), writes, reads)


def test_statements_per_item_and_per_chunk_stay_constant(
    engine: sa.Engine, emulator: EmulatorHandle, overrides: dict[str, str]
) -> None:
    # The catalogue is read through its own engine (same database), so its SQL is counted apart.
    catalogue = make_engine(engine.url.render_as_string(hide_password=False))
    generate_sample_archive(engine, records=60, seed=11)
    costs: dict[str, list[Cost]] = {}
    for size in ("small", "grown"):
        if size == "grown":
            generate_sample_archive(engine, records=240, seed=12)  # five times the catalogue
        ids = _mintable(engine, overrides)
        assert len(ids) >= 6 * CHUNK, "the sample archive should hold enough valid records"
        # Batches of one, two and three chunks, each of records not minted before.
        costs[size] = [
            _mint(engine, catalogue, overrides, ids[start : start + chunks * CHUNK])
            for chunks, start in ((1, 0), (2, CHUNK), (3, 3 * CHUNK))
        ]
    catalogue.dispose()

    for one, two, three in costs.values():
        # Each further chunk of items costs the same: nothing grows but the number of items.
        step = two.doi_statements - one.doi_statements
        assert three.doi_statements - two.doi_statements == step
        assert step <= 10 * CHUNK  # per item: lookups, reserve, complete (+ MariaDB row locks)
        # Transactions: a first mint costs one write of its own (its outcome) and no read;
        # its DOI row and stored payload are read, and its DOI string reserved, for its whole
        # chunk: per chunk one claim, one read and one reservation.
        writes = two.doi_writes - one.doi_writes
        assert writes == three.doi_writes - two.doi_writes == CHUNK + 2
        assert two.doi_reads - one.doi_reads == three.doi_reads - two.doi_reads == 1
        # Catalogue reads: one fixed set of queries per chunk, never one per record (plus the
        # reader's one-off look at the schema and AtoM's settings).
        per_chunk = two.catalogue_statements - one.catalogue_statements
        assert three.catalogue_statements - two.catalogue_statements == per_chunk <= 15
    assert costs["small"] == costs["grown"]  # a catalogue five times larger costs nothing more
