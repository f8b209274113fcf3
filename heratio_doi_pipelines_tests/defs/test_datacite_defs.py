"""The Dagster layer of the DOI lifecycle: jobs, sensor and secrets, against the emulator."""

from __future__ import annotations

import os
from collections.abc import Iterator

import dagster as dg
import pytest
import sqlalchemy as sa

from heratio_doi_pipelines.catalogue import atom_tables, constants
from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.definitions import defs
from heratio_doi_pipelines.defs.datacite.sensors import pending_queue_sensor
from heratio_doi_pipelines.defs.shared.resources import HeratioDatabase
from heratio_doi_pipelines.devtools.emulator import EmulatorConfig, EmulatorHandle, running_emulator
from heratio_doi_pipelines.devtools.sample_archive import generate_sample_archive
from heratio_doi_pipelines.queue.enqueue import enqueue
from heratio_doi_pipelines.store.schema import init_database
from heratio_doi_pipelines.store.tables import ahg_doi, ahg_doi_log, ahg_doi_queue

PASSWORD = "dagster-secret-Pa55"
TOKEN = "dagster-token-T0ken"


@pytest.fixture
def emulator() -> Iterator[EmulatorHandle]:
    config = EmulatorConfig(repository_id="HERATIO.DAG", password=PASSWORD)
    with running_emulator(config) as handle:
        yield handle


@pytest.fixture
def site(
    tmp_path, monkeypatch: pytest.MonkeyPatch, emulator: EmulatorHandle
) -> Iterator[sa.Engine]:
    url = f"sqlite:///{tmp_path / 'site.db'}"
    engine = make_engine(url)
    init_database(engine)
    generate_sample_archive(engine, records=30, seed=4)
    for name, value in {
        "HERATIO_DOI_DB_URL": url,
        "DATACITE_URL": emulator.url,
        "DATACITE_REPOSITORY_ID": "HERATIO.DAG",
        "DATACITE_PASSWORD": PASSWORD,
        "DATACITE_API_TOKEN": TOKEN,
        "HERATIO_BASE_URL": "https://archive.example.org",
    }.items():
        monkeypatch.setenv(name, value)
    yield engine
    engine.dispose()


def _all_event_text(instance: dg.DagsterInstance, run_id: str) -> str:
    run = instance.get_run_by_id(run_id)
    assert run is not None
    texts = [str(run.run_config), str(run.tags)]
    for entry in instance.all_logs(run_id):
        texts.append(str(entry.user_message))
        texts.append(str(entry.dagster_event))
    return "\n".join(texts)


def test_mint_job_mints_the_launchpad_batch(site: sa.Engine, emulator: EmulatorHandle) -> None:
    job = defs().resolve_job_def("mint_job")
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(
            instance=instance,
            run_config={"ops": {"pending_records": {"config": {"all_without_doi": True}}}},
        )
        assert result.success
        materialization = result.asset_materializations_for_node("minted_dois")[0]
        counts = {k: v.value for k, v in materialization.metadata.items()}
        assert counts["claimed"] == 30
        assert counts["completed_items"] + counts["failed_items"] == 30
        assert 15 < counts["completed_items"] < 30  # the sample's catalogue drafts are refused
        [check] = [
            c for c in result.get_asset_check_evaluations() if c.check_name == "no_failed_items"
        ]
        assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
        assert f"{counts['failed_items']} of 30 item(s) failed" in (check.description or "")
        open_items = check.metadata["open_items_csv"].value
        assert open_items.endswith("doi_queue_open_items.csv") and os.path.exists(open_items)
        text = _all_event_text(instance, result.run_id)
    assert PASSWORD not in text and TOKEN not in text
    with site.connect() as conn:
        findable = conn.execute(
            sa.select(sa.func.count()).select_from(ahg_doi).where(ahg_doi.c.status == "findable")
        ).scalar_one()
    assert findable == counts["completed_items"] == emulator.stats()["dois_by_state"]["findable"]


def test_a_batch_where_every_item_fails_fails_its_step_with_the_count_and_reasons(
    site: sa.Engine, emulator: EmulatorHandle
) -> None:
    status = atom_tables.status
    with site.connect() as conn:  # catalogue drafts: refused before anything is sent
        drafts = sorted(
            conn.execute(
                sa.select(status.c.object_id).where(
                    status.c.type_id == constants.STATUS_TYPE_PUBLICATION,
                    status.c.status_id == constants.PUBLICATION_STATUS_DRAFT,
                    status.c.object_id != constants.ROOT_INFORMATION_OBJECT_ID,
                )
            ).scalars()
        )
    assert drafts
    job = defs().resolve_job_def("mint_job")
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(
            instance=instance,
            run_config={"ops": {"pending_records": {"config": {"record_ids": drafts}}}},
            raise_on_error=False,
        )
    assert not result.success
    failure = result.failure_data_for_node("minted_dois")
    assert failure is not None and failure.user_failure_data is not None
    description = failure.user_failure_data.description or ""
    assert description.startswith(f"{len(drafts)} item(s) failed and none succeeded: record ")
    assert "invalid metadata" in description and "doi_queue_open_items.csv" in description
    assert emulator.state.dois == {}


def test_a_failing_run_keeps_secrets_out_of_logs_metadata_and_errors(
    site: sa.Engine, monkeypatch: pytest.MonkeyPatch, emulator: EmulatorHandle
) -> None:
    configured = "rotated-but-wrong-" + PASSWORD  # the operator's password is out of date
    monkeypatch.setenv("DATACITE_PASSWORD", configured)
    job = defs().resolve_job_def("mint_job")
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(
            instance=instance,
            run_config={"ops": {"pending_records": {"config": {"all_without_doi": True}}}},
            raise_on_error=False,
        )
        assert not result.success
        failure = result.failure_data_for_node("minted_dois")
        assert failure is not None
        assert "authentication failed" in str(failure.error)
        text = _all_event_text(instance, result.run_id)
    assert "credentials" in text
    with site.connect() as conn:
        stored = [str(r) for r in conn.execute(sa.select(ahg_doi_log))]
        stored += [str(r) for r in conn.execute(sa.select(ahg_doi_queue))]
    for secret in (configured, TOKEN):
        assert secret not in text
        assert not any(secret in s for s in stored)
    assert emulator.state.dois == {}


def test_pending_queue_sensor_requests_one_batched_run_per_action(site: sa.Engine) -> None:
    resources = {"heratio_db": HeratioDatabase(doi_db_url=str(site.url))}
    context = dg.build_sensor_context(resources=resources)
    assert isinstance(pending_queue_sensor(context), dg.SkipReason)

    enqueue(site, "mint", range(2, 12))
    enqueue(site, "verify", [3, 4])
    result = pending_queue_sensor(dg.build_sensor_context(resources=resources))
    assert isinstance(result, dg.SensorResult)
    by_job = {r.job_name: r for r in result.run_requests or []}
    assert set(by_job) == {"mint_job", "verify_job"}
    again = pending_queue_sensor(dg.build_sensor_context(resources=resources))
    assert isinstance(again, dg.SensorResult)
    assert {r.run_key for r in again.run_requests or []} == {r.run_key for r in by_job.values()}


def test_definitions_load_every_lifecycle_job() -> None:
    loaded = defs()
    for name in ("mint_job", "update_job", "verify_job", "deactivate_job", "sync_job"):
        assert loaded.resolve_job_def(name).name == name
    assert loaded.resolve_sensor_def("pending_queue_sensor")
    assert loaded.resolve_schedule_def("sync_job_schedule")
    assert loaded.resolve_schedule_def("verify_job_schedule")
