"""Reservations DataCite never saw are released; DOIs it holds or confirmed are kept."""

from __future__ import annotations

import sqlalchemy as sa
from click.testing import CliRunner

from heratio_doi_pipelines.catalogue.reader import CatalogueReader
from heratio_doi_pipelines.cli import main
from heratio_doi_pipelines.devtools.emulator import EmulatorHandle
from heratio_doi_pipelines.queue.batch_mint import enqueue_mint_batch
from heratio_doi_pipelines.queue.enqueue import enqueue
from heratio_doi_pipelines.queue.processor import process_queue
from heratio_doi_pipelines.store.tables import ahg_doi, ahg_doi_log

from .conftest import PREFIX

WRONG_PREFIX = "10.9999"


def _records(archive: sa.Engine, count: int) -> list[int]:
    reader = CatalogueReader(archive)
    return [
        r.id
        for r in reader.read_records(reader.records_without_doi())
        if r.publication_status != "draft" and r.title and r.slug
    ][:count]


def _dois(archive: sa.Engine, ids: list[int]) -> dict[int, sa.Row]:
    with archive.connect() as conn:
        rows = conn.execute(sa.select(ahg_doi).where(ahg_doi.c.information_object_id.in_(ids)))
        return {r.information_object_id: r for r in rows}


def _log(archive: sa.Engine, action: str) -> list[sa.Row]:
    with archive.connect() as conn:
        return list(
            conn.execute(
                sa.select(ahg_doi_log).where(ahg_doi_log.c.action == action).order_by("id")
            )
        )


def test_wrong_prefix_then_fixed_mints_under_the_right_prefix(
    archive: sa.Engine, emulator: EmulatorHandle, overrides: dict[str, str], monkeypatch
) -> None:
    ids = _records(archive, 4)
    enqueue(archive, "mint", ids)
    wrong = process_queue(archive, archive, overrides={**overrides, "prefix": WRONG_PREFIX})
    assert {o.status for o in wrong.outcomes} == {"failed"}  # 403: not the repository's prefix
    assert emulator.stats()["requests"]["PUT"] == {"403": 4}
    refused = _dois(archive, ids)
    assert {r.status for r in refused.values()} == {"failed"}
    assert all(r.doi.startswith(WRONG_PREFIX + "/") for r in refused.values())

    for name, value in (
        ("HERATIO_DOI_DB_URL", archive.url.render_as_string(hide_password=False)),
        ("DATACITE_URL", overrides["datacite_url"]),
        ("DATACITE_REPOSITORY_ID", overrides["repository_id"]),
        ("DATACITE_PASSWORD", overrides["password"]),
        ("DATACITE_PREFIX", PREFIX),
        ("HERATIO_BASE_URL", overrides["base_url"]),
    ):
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["enqueue", "mint", "--all-without-doi", "--limit", "200"])
    assert result.exit_code == 0, result.output
    fixed = process_queue(archive, archive, overrides=overrides, limit=1000)

    minted = _dois(archive, ids)
    assert {o.status for o in fixed.outcomes if o.record_id in ids} == {"completed"}
    for record_id, row in minted.items():
        assert row.doi.startswith(PREFIX + "/"), row.doi
        assert row.confirmed_at is not None and row.status == "findable"
        assert row.id == refused[record_id].id  # the record keeps its one row
        assert row.doi.split("/", 1)[1] == refused[record_id].doi.split("/", 1)[1]
    released = {r.information_object_id: r.details for r in _log(archive, "release")}
    assert set(released) == set(ids)
    for record_id, details in released.items():
        old = refused[record_id].doi
        assert details["note"] == f"reservation {old} released: never registered at DataCite"
    remote = {doi.lower() for doi in emulator.state.dois}
    assert {r.doi for r in minted.values()} <= remote
    assert not any(doi.startswith(WRONG_PREFIX) for doi in remote)
    stats = emulator.stats()
    assert stats["dois_created"] == len(remote)  # nothing created twice
    assert stats["requests"]["GET"] == {"404": 4}  # one look-up per released reservation


def test_a_reservation_datacite_holds_is_kept(
    archive: sa.Engine, emulator: EmulatorHandle, overrides: dict[str, str]
) -> None:
    """An answer that was lost leaves the DOI unconfirmed here but held at DataCite."""
    ids = _records(archive, 2)
    enqueue(archive, "mint", ids)
    process_queue(archive, archive, overrides=overrides)
    held = _dois(archive, ids)
    with archive.begin() as conn:
        conn.execute(
            ahg_doi.update()
            .where(ahg_doi.c.information_object_id.in_(ids))
            .values(confirmed_at=None, status="failed")
        )
    changed = {**overrides, "suffix_pattern": "new/{object_id}"}

    queued = enqueue_mint_batch(archive, archive, all_without_doi=True, cap=1000)
    assert set(ids) <= set(queued.queued)
    report = process_queue(archive, archive, overrides=changed, limit=1000, actions=["mint"])

    assert {o.status for o in report.outcomes if o.record_id in ids} == {"completed"}
    after = _dois(archive, ids)
    assert {i: r.doi for i, r in after.items()} == {i: r.doi for i, r in held.items()}
    assert all(r.confirmed_at is not None for r in after.values())
    assert not [r for r in _log(archive, "release") if r.information_object_id in ids]


def test_a_confirmed_doi_is_never_re_derived(
    archive: sa.Engine, emulator: EmulatorHandle, overrides: dict[str, str]
) -> None:
    ids = _records(archive, 2)
    enqueue(archive, "mint", ids)
    process_queue(archive, archive, overrides=overrides)
    before = _dois(archive, ids)
    emulator.reset(dois=False)
    changed = {**overrides, "suffix_pattern": "new/{object_id}"}

    queued = enqueue_mint_batch(archive, archive, all_without_doi=True, cap=1000)
    assert not set(ids) & set(queued.queued)
    assert enqueue(archive, "mint", ids).queued == ids
    report = process_queue(archive, archive, overrides=changed, limit=1000)

    outcomes = {o.record_id: o for o in report.outcomes if o.record_id in ids}
    assert {o.status for o in outcomes.values()} == {"skipped"}  # already minted
    after = _dois(archive, ids)
    assert {i: r.doi for i, r in after.items()} == {i: r.doi for i, r in before.items()}
    assert "GET" not in emulator.stats()["requests"]
    assert not _log(archive, "release")
