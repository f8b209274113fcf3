"""Sync finds DOIs whose metadata at DataCite is of an older schema or mapping, and re-sends."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from heratio_doi_pipelines.cli import main
from heratio_doi_pipelines.datacite.client import DataCiteClient, decode_xml
from heratio_doi_pipelines.datacite_access import DataCiteAccess
from heratio_doi_pipelines.devtools.emulator import EmulatorHandle
from heratio_doi_pipelines.metadata.kernel_xml import schema_version_of
from heratio_doi_pipelines.metadata.mapping import MAPPING_VERSION
from heratio_doi_pipelines.queue.batch_mint import enqueue_mint_batch
from heratio_doi_pipelines.queue.enqueue import bulk_requested
from heratio_doi_pipelines.queue.processor import process_queue
from heratio_doi_pipelines.queue.sync import run_sync
from heratio_doi_pipelines.store.tables import ahg_doi, ahg_doi_log, ahg_doi_queue, ahg_settings
from heratio_doi_pipelines_tests.e2e.conftest import PASSWORD, REPOSITORY_ID


def _stored_versions(emulator: EmulatorHandle) -> set[str | None]:
    return {
        schema_version_of(decode_xml({"xml": record.xml}) or b"")
        for record in emulator.state.dois.values()
    }


def test_older_schema_and_mapping_are_reported_and_repaired(
    archive: sa.Engine, emulator: EmulatorHandle, overrides: dict[str, str], tmp_path: Path
) -> None:
    old = {**overrides, "schema_version": "4.5", "xml_mode": "1"}
    enqueue_mint_batch(archive, archive, all_without_doi=True, cap=3)
    minted = process_queue(archive, archive, overrides=old, limit=3)
    done = [o.record_id for o in minted.outcomes if o.status == "completed"]
    assert len(done) >= 2
    assert _stored_versions(emulator) == {"4.5"}

    current = {**overrides, "xml_mode": "1"}  # 4.7, the default
    report, _ = run_sync(archive, DataCiteAccess(archive, current), out_dir=tmp_path)
    outdated = [d for d in report.drift if d.kind == "outdated_metadata"]
    assert sorted(d.information_object_id for d in outdated) == sorted(done)
    assert {(d.local, d.datacite) for d in outdated} == {("schema 4.7", "schema 4.5")}

    repaired, _ = run_sync(archive, DataCiteAccess(archive, current), repair=True, out_dir=tmp_path)
    assert repaired.queued_updates == len(done)
    updates = process_queue(archive, archive, overrides=current, limit=10)
    assert [o.status for o in updates.outcomes] == ["completed"] * len(done)
    assert _stored_versions(emulator) == {"4.7"}
    again, _ = run_sync(archive, DataCiteAccess(archive, current), out_dir=tmp_path)
    assert not [d for d in again.drift if d.kind == "outdated_metadata"]

    # a DOI whose last write came from an older mapping
    with archive.begin() as conn:
        doi_id = conn.execute(
            sa.select(ahg_doi.c.id).where(ahg_doi.c.information_object_id == done[0])
        ).scalar_one()
        last = conn.execute(
            sa.select(ahg_doi_log.c.id, ahg_doi_log.c.details)
            .where(ahg_doi_log.c.doi_id == doi_id, ahg_doi_log.c.action == "update")
            .order_by(ahg_doi_log.c.id.desc())
            .limit(1)
        ).one()
        assert last.details["mapping_version"] == MAPPING_VERSION
        conn.execute(
            ahg_doi_log.update()
            .where(ahg_doi_log.c.id == last.id)
            .values(details={**last.details, "mapping_version": MAPPING_VERSION - 1})
        )
    by_mapping, _ = run_sync(
        archive, DataCiteAccess(archive, current), repair=True, out_dir=tmp_path
    )
    found = [d for d in by_mapping.drift if d.kind == "outdated_metadata"]
    assert [(d.information_object_id, d.local, d.datacite, d.repair) for d in found] == [
        (done[0], f"mapping {MAPPING_VERSION}", f"mapping {MAPPING_VERSION - 1}", "update (bulk)")
    ]
    assert by_mapping.queued_updates == 1
    resent = process_queue(archive, archive, overrides=current, limit=10)
    assert [o.status for o in resent.outcomes] == ["completed"]
    final, _ = run_sync(archive, DataCiteAccess(archive, current), out_dir=tmp_path)
    assert not [d for d in final.drift if d.kind == "outdated_metadata"]


def _update_items(archive: sa.Engine) -> dict[int, bool | None]:
    q = ahg_doi_queue
    with archive.connect() as conn:
        rows = conn.execute(
            sa.select(q.c.information_object_id, q.c.bulk).where(
                q.c.pipeline_action == "update", q.c.status == "pending"
            )
        ).all()
    return {record_id: bulk for record_id, bulk in rows}


def test_sync_repair_queues_outdated_updates_in_bulk_mode(
    archive: sa.Engine, emulator: EmulatorHandle, overrides: dict[str, str], tmp_path: Path
) -> None:
    with archive.begin() as conn:  # send the XML, so DataCite's copy names its schema
        conn.execute(
            ahg_settings.insert().values(
                setting_key="doi_xml_mode", setting_value="1", setting_group="doi"
            )
        )
    enqueue_mint_batch(archive, archive, all_without_doi=True, cap=2)
    old = process_queue(archive, archive, overrides={**overrides, "schema_version": "4.5"})
    outdated = sorted(o.record_id for o in old.outcomes if o.status == "completed")
    enqueue_mint_batch(archive, archive, all_without_doi=True, cap=1)
    (current,) = process_queue(archive, archive, overrides=overrides).outcomes
    assert len(outdated) == 2 and current.status == "completed"
    client = DataCiteClient(emulator.url, REPOSITORY_ID, PASSWORD)  # only its URL drifts
    client.put_doi(str(current.doi), {"url": "https://elsewhere.example.org/moved"})
    client.close()

    env = {
        "HERATIO_DOI_DB_URL": archive.url.render_as_string(hide_password=False),
        "HERATIO_DOI_REPORTS_DIR": str(tmp_path),
        "DATACITE_URL": emulator.url,
        "DATACITE_REPOSITORY_ID": REPOSITORY_ID,
        "DATACITE_PASSWORD": PASSWORD,
        "HERATIO_BASE_URL": overrides["base_url"],
        "DATACITE_BULK_RATE_LIMIT": "600/60",  # compressed for the test
    }
    runner = CliRunner()
    synced = runner.invoke(main, ["sync", "--repair"], env=env)
    assert synced.exit_code == 0, synced.output
    assert "queued 3 updates (2 of outdated metadata in bulk mode), 0 mints" in synced.output
    (csv_path,) = tmp_path.glob("doi_drift_*.csv")
    assert csv_path.read_text().count("update (bulk)") == 2
    # the outdated DOIs' updates ask for the bulk budget; the URL repair does not
    assert _update_items(archive) == {
        outdated[0]: True,
        outdated[1]: True,
        current.record_id: False,
    }
    assert bulk_requested(archive, ["update"]) and not bulk_requested(archive, ["mint"])

    processed = runner.invoke(main, ["process", "--action", "update"], env=env)
    assert processed.exit_code == 0, processed.output
    assert "queued items ask for the bulk budget" in processed.output
    assert "3 items: 3 completed" in processed.output
    assert "budget bulk: 600 per 60 s, shared by every worker" in processed.output
    assert _stored_versions(emulator) == {"4.7"}
    assert not bulk_requested(archive)  # done: nothing asks any more
    again = runner.invoke(main, ["sync"], env=env)
    assert "outdated_metadata" not in again.output and "drift: none" in again.output
