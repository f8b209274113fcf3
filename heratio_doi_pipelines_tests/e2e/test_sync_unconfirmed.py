"""Sync confirms unconfirmed DOIs that DataCite already holds as wanted, with no PUT."""

from __future__ import annotations

from pathlib import Path

import requests
import sqlalchemy as sa

from heratio_doi_pipelines.catalogue.reader import CatalogueReader
from heratio_doi_pipelines.datacite_access import DataCiteAccess
from heratio_doi_pipelines.devtools.emulator import EmulatorHandle
from heratio_doi_pipelines.queue.enqueue import enqueue
from heratio_doi_pipelines.queue.processor import process_queue
from heratio_doi_pipelines.queue.sync import run_sync
from heratio_doi_pipelines.store.tables import ahg_doi, ahg_doi_log, ahg_doi_queue


def _puts(emulator: EmulatorHandle) -> int:
    stats = requests.get(f"{emulator.url}/_emulator/stats", timeout=10).json()
    return sum(stats["requests"].get("PUT", {}).values())


def _rows(archive: sa.Engine, ids: list[int]) -> dict[int, sa.Row]:
    with archive.connect() as conn:
        rows = conn.execute(sa.select(ahg_doi).where(ahg_doi.c.information_object_id.in_(ids)))
        return {r.information_object_id: r for r in rows}


def test_nightly_sync_confirms_unconfirmed_dois_without_puts(
    archive: sa.Engine, emulator: EmulatorHandle, overrides: dict[str, str], tmp_path: Path
) -> None:
    reader = CatalogueReader(archive)
    ids = [
        r.id
        for r in reader.read_records(reader.records_without_doi())
        if r.publication_status != "draft" and r.title and r.slug
    ][:5]
    enqueue(archive, "mint", ids)
    minted = process_queue(archive, archive, overrides=overrides)
    assert {o.status for o in minted.outcomes} == {"completed"}
    lost, wanted_otherwise = ids[:4], ids[4]
    with archive.begin() as conn:
        # Answers lost after DataCite applied the mint: failed here, or still only reserved.
        for n, record_id in enumerate(ids):
            conn.execute(
                ahg_doi.update()
                .where(ahg_doi.c.information_object_id == record_id)
                .values(
                    confirmed_at=None,
                    status="failed" if n % 2 else "draft",
                    url=None,
                    datacite_state=None,
                    last_error="connection to DataCite failed",
                )
            )
        # The latest mint of this record asked for "registered"; DataCite holds it findable.
        conn.execute(
            ahg_doi_queue.insert().values(
                information_object_id=wanted_otherwise,
                action="mint",
                pipeline_action="mint",
                target_state="registered",
                status="failed",
            )
        )
    puts_before = _puts(emulator)

    nightly, _ = run_sync(
        archive, DataCiteAccess(archive, overrides), out_dir=tmp_path, catalogue_engine=archive
    )

    assert nightly.confirmed == len(lost)
    assert _puts(emulator) == puts_before
    rows = _rows(archive, ids)
    for record_id in lost:
        row = rows[record_id]
        assert row.confirmed_at is not None and row.status == "findable"
        assert row.url and row.url.startswith("https://archive.example.org/")
        assert row.last_error is None
    assert rows[wanted_otherwise].confirmed_at is None
    drift = [d for d in nightly.drift if d.kind == "unconfirmed"]
    assert [(d.information_object_id, d.repair) for d in drift] == [(wanted_otherwise, "")]
    with archive.connect() as conn:
        notes = conn.execute(
            sa.select(ahg_doi_log.c.information_object_id, ahg_doi_log.c.details).where(
                ahg_doi_log.c.action == "sync"
            )
        ).all()
    assert sorted(r[0] for r in notes) == sorted(lost)
    assert all("confirmed by sync" in r[1]["note"] for r in notes)

    repaired, _ = run_sync(
        archive, DataCiteAccess(archive, overrides), repair=True, out_dir=tmp_path
    )

    assert (repaired.confirmed, repaired.queued_mints) == (0, 1)
    assert _puts(emulator) == puts_before
    with archive.connect() as conn:
        queued = conn.execute(
            sa.select(ahg_doi_queue.c.information_object_id, ahg_doi_queue.c.target_state).where(
                ahg_doi_queue.c.status == "pending"
            )
        ).all()
    assert [tuple(r) for r in queued] == [(wanted_otherwise, "registered")]
