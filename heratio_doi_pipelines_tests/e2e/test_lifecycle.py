"""Update, verify, deactivate, reinstate and sync against the emulator, on every backend."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from heratio_doi_pipelines.catalogue import atom_tables
from heratio_doi_pipelines.catalogue.reader import CatalogueReader
from heratio_doi_pipelines.cli import main
from heratio_doi_pipelines.datacite.client import DataCiteClient
from heratio_doi_pipelines.datacite_access import DataCiteAccess
from heratio_doi_pipelines.devtools.emulator import EmulatorHandle
from heratio_doi_pipelines.devtools.landing_site import running_landing_site
from heratio_doi_pipelines.queue.enqueue import enqueue
from heratio_doi_pipelines.queue.processor import process_queue
from heratio_doi_pipelines.queue.sync import run_sync
from heratio_doi_pipelines.store.tables import ahg_doi, ahg_doi_log, ahg_doi_queue

from .conftest import PASSWORD, REPOSITORY_ID


def _minted(archive: sa.Engine, overrides: dict[str, str], count: int = 6) -> list[int]:
    reader = CatalogueReader(archive)
    ids = [
        r.id
        for r in reader.read_records(reader.records_without_doi())
        if r.publication_status != "draft" and r.title and r.slug
    ][:count]
    enqueue(archive, "mint", ids)
    report = process_queue(archive, archive, overrides=overrides)
    assert [o.status for o in report.outcomes] == ["completed"] * len(ids)
    return ids


def _row(archive: sa.Engine, record_id: int) -> sa.Row:
    with archive.connect() as conn:
        return conn.execute(
            sa.select(ahg_doi).where(ahg_doi.c.information_object_id == record_id)
        ).one()


def _retitle(archive: sa.Engine, record_id: int, title: str) -> None:
    i18n = atom_tables.information_object_i18n
    with archive.begin() as conn:
        conn.execute(i18n.update().where(i18n.c.id == record_id).values(title=title))


def test_update_sends_changed_metadata_and_skips_unchanged(
    archive: sa.Engine, emulator: EmulatorHandle, overrides: dict[str, str]
) -> None:
    first, second = _minted(archive, overrides, 2)
    # settle: a parent minted in the same batch adds IsPartOf to its children's metadata
    enqueue(archive, "update", [first, second])
    process_queue(archive, archive, overrides=overrides)
    hash_before = _row(archive, first).payload_hash
    _retitle(archive, first, "A corrected title")
    enqueue(archive, "update", [first, second])
    report = process_queue(archive, archive, overrides=overrides)
    outcomes = {o.record_id: o.status for o in report.outcomes}
    assert outcomes == {first: "completed", second: "skipped"}
    row = _row(archive, first)
    assert row.payload_hash != hash_before and row.status == "findable"
    remote = emulator.state.doi(row.doi)
    assert remote is not None and remote.attributes["titles"][0]["title"] == "A corrected title"
    assert remote.update_count >= 1 and remote.created_count == 1
    with archive.connect() as conn:
        notes = [
            r.details.get("note")
            for r in conn.execute(sa.select(ahg_doi_log).where(ahg_doi_log.c.action == "update"))
        ]
    assert "metadata unchanged: skipped" in notes


def test_deactivate_tombstones_and_reinstate_restores(
    archive: sa.Engine, emulator: EmulatorHandle, overrides: dict[str, str]
) -> None:
    (record_id,) = _minted(archive, overrides, 1)
    original_url = _row(archive, record_id).url
    enqueue(archive, "deactivate", [record_id])
    process_queue(archive, archive, overrides=overrides)
    row = _row(archive, record_id)
    remote = emulator.state.doi(row.doi)
    assert row.status == "tombstone" and remote is not None and remote.state == "registered"
    # Heratio has no tombstone page: the hidden DOI keeps the record's own public page,
    # a page the site serves (its slug is the record's).
    assert remote.url == original_url and row.url == remote.url
    slug = atom_tables.slug
    with archive.connect() as conn:
        served = conn.execute(
            sa.select(slug.c.object_id).where(
                slug.c.slug == remote.url.removeprefix("https://archive.example.org/")
            )
        ).scalar_one()
    assert served == record_id

    enqueue(archive, "reinstate", [record_id])
    process_queue(archive, archive, overrides=overrides)
    row = _row(archive, record_id)
    assert row.status == "findable" and emulator.state.doi(row.doi).state == "findable"
    assert row.url == original_url
    with archive.connect() as conn:
        log = [
            (r.action, r.status_before, r.status_after)
            for r in conn.execute(sa.select(ahg_doi_log).order_by(ahg_doi_log.c.id))
        ]
    assert ("deactivate", "findable", "tombstone") in log
    assert ("reinstate", "tombstone", "findable") in log


def test_a_tombstoned_doi_resolves_on_the_sample_site(
    archive: sa.Engine, emulator: EmulatorHandle, overrides: dict[str, str]
) -> None:
    with running_landing_site(archive) as site:
        on_site = {**overrides, "base_url": site.url}
        (record_id,) = _minted(archive, on_site, 1)
        enqueue(archive, "deactivate", [record_id])
        process_queue(archive, archive, overrides=on_site)
        row = _row(archive, record_id)
        remote = emulator.state.doi(row.doi)
        assert row.status == "tombstone" and remote is not None and remote.state == "registered"
        assert remote.url.startswith(site.url + "/")
        with urllib.request.urlopen(remote.url, timeout=10) as page:
            assert page.status == 200
            assert f"https://doi.org/{row.doi}" in page.read().decode("utf-8")


def test_a_site_tombstone_page_pattern_and_a_broken_one(
    archive: sa.Engine, emulator: EmulatorHandle, overrides: dict[str, str]
) -> None:
    first, second = _minted(archive, overrides, 2)
    enqueue(archive, "deactivate", [first])
    withdrawn = {**overrides, "tombstone_url_pattern": "{base_url}/withdrawn/{object_id}"}
    process_queue(archive, archive, overrides=withdrawn)
    row = _row(archive, first)
    assert row.status == "tombstone"
    assert emulator.state.doi(row.doi).url == f"https://archive.example.org/withdrawn/{first}"

    enqueue(archive, "deactivate", [second])
    broken = {**overrides, "tombstone_url_pattern": "{base_url}/gone/{record}"}
    report = process_queue(archive, archive, overrides=broken)
    # a bad setting stops the batch before anything is claimed: no attempt spent
    assert report.outcomes == [] and report.refused is not None
    assert "doi_tombstone_url_pattern '{base_url}/gone/{record}': unknown placeholder {record}" in (
        report.refused
    )
    assert _row(archive, second).status == "findable"  # nothing was sent
    with archive.connect() as conn:
        item = conn.execute(
            sa.select(ahg_doi_queue.c.status, ahg_doi_queue.c.attempts)
            .where(ahg_doi_queue.c.information_object_id == second)
            .order_by(ahg_doi_queue.c.id.desc())
        ).first()
    assert item is not None
    assert (item.status, item.attempts) == ("pending", 0)


def test_deactivating_a_draft_deletes_it_at_datacite(
    archive: sa.Engine, emulator: EmulatorHandle, overrides: dict[str, str]
) -> None:
    reader = CatalogueReader(archive)
    record_id = next(
        r.id
        for r in reader.read_records(reader.records_without_doi())
        if r.publication_status != "draft" and r.title and r.slug
    )
    enqueue(archive, "mint", [record_id], target_state="draft")
    process_queue(archive, archive, overrides=overrides)
    doi = _row(archive, record_id).doi
    assert emulator.state.doi(doi).state == "draft"
    enqueue(archive, "deactivate", [record_id])
    process_queue(archive, archive, overrides=overrides)
    assert _row(archive, record_id).status == "deleted"
    assert emulator.state.doi(doi) is None


def test_verify_records_drift_and_an_ignored_transition_is_an_error(
    archive: sa.Engine, emulator: EmulatorHandle, overrides: dict[str, str]
) -> None:
    first, second = _minted(archive, overrides, 2)
    client = DataCiteClient(emulator.url, REPOSITORY_ID, PASSWORD)
    drifted = _row(archive, first).doi
    client.put_doi(drifted, {"event": "hide", "url": "https://elsewhere.example.org/x"})
    enqueue(archive, "verify", [first, second])
    process_queue(archive, archive, overrides=overrides)
    with archive.connect() as conn:
        verify_log = {
            r.information_object_id: r.details
            for r in conn.execute(sa.select(ahg_doi_log).where(ahg_doi_log.c.action == "verify"))
        }
    assert verify_log[first]["drift"]["state"] == {"local": "findable", "datacite": "registered"}
    assert "url" in verify_log[first]["drift"]
    assert verify_log[second]["note"] == "in agreement with DataCite"
    assert _row(archive, first).status == "registered"  # the local state follows DataCite

    # A mint into "registered" of a DOI DataCite already holds as findable: DataCite ignores
    # the event, and the pipeline records that instead of assuming success.
    with archive.begin() as conn:
        conn.execute(
            ahg_doi.update()
            .where(ahg_doi.c.information_object_id == second)
            .values(status="draft", confirmed_at=None)
        )
    enqueue(archive, "mint", [second], target_state="registered")
    report = process_queue(archive, archive, overrides=overrides)
    assert report.outcomes[0].status == "failed"
    assert "instead of 'registered'" in report.outcomes[0].message
    client.close()


def test_sync_reports_drift_in_bulk_and_repairs(
    archive: sa.Engine, emulator: EmulatorHandle, overrides: dict[str, str], tmp_path: Path
) -> None:
    ids = _minted(archive, overrides, 5)
    client = DataCiteClient(emulator.url, REPOSITORY_ID, PASSWORD)
    client.put_doi(_row(archive, ids[0]).doi, {"url": "https://elsewhere.example.org/moved"})
    client.put_doi(_row(archive, ids[1]).doi, {"event": "hide"})
    client.put_doi(
        "10.5072/only/at-datacite",
        {
            "url": "https://archive.example.org/x",
            "titles": [{"title": "Orphan"}],
            "creators": [{"name": "Someone"}],
            "publisher": "P",
            "publicationYear": 2026,
            "types": {"resourceTypeGeneral": "Text"},
            "event": "publish",
        },
    )
    client.close()
    gets_before = emulator.stats()["requests"].get("GET", {})
    report, path = run_sync(
        archive, DataCiteAccess(archive, overrides), repair=True, out_dir=tmp_path
    )
    kinds = {(d.kind, d.information_object_id) for d in report.drift}
    assert ("url", ids[0]) in kinds and ("state", ids[1]) in kinds
    assert ("remote_only", None) in kinds
    assert report.in_agreement == 3 and report.local_dois == 5
    assert path.exists() and "remote_only" in path.read_text()
    # one listing page, not one GET per DOI
    gets_after = emulator.stats()["requests"].get("GET", {})
    assert sum(gets_after.values()) - sum(gets_before.values()) <= 2
    assert report.queued_updates == 2

    process_queue(archive, archive, overrides=overrides)
    again, _ = run_sync(archive, DataCiteAccess(archive, overrides), out_dir=tmp_path)
    assert {d.kind for d in again.drift} == {"remote_only"}
    assert emulator.state.doi(_row(archive, ids[1]).doi).state == "findable"


def test_cli_enqueue_all_and_process(
    archive: sa.Engine, emulator: EmulatorHandle, overrides: dict[str, str]
) -> None:
    ids = _minted(archive, overrides, 3)
    env = {
        "HERATIO_DOI_DB_URL": archive.url.render_as_string(hide_password=False),
        "DATACITE_URL": emulator.url,
        "DATACITE_REPOSITORY_ID": REPOSITORY_ID,
        "DATACITE_PASSWORD": PASSWORD,
        "HERATIO_BASE_URL": overrides["base_url"],
    }
    runner = CliRunner()
    result = runner.invoke(main, ["enqueue", "verify", "--all"], env=env)
    assert result.exit_code == 0 and "queued 3 record(s) for verify" in result.output
    result = runner.invoke(main, ["process"], env=env)
    assert result.exit_code == 0, result.output
    assert "3 items: 3 completed" in result.output
    result = runner.invoke(main, ["status"], env=env)
    assert result.exit_code == 0 and "findable" in result.output
    with archive.connect() as conn:
        open_items = conn.execute(
            sa.select(sa.func.count())
            .select_from(ahg_doi_queue)
            .where(ahg_doi_queue.c.status != "completed")
        ).scalar_one()
    assert open_items == 0 and len(ids) == 3
