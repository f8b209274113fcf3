"""The Dagster layer with real resources: a test database and the emulator."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from heratio_doi_pipelines.defs.events.assets import (
    backfilled_usage,
    datacite_events,
    funding_references,
    usage_report,
)
from heratio_doi_pipelines.defs.events.jobs import event_flush_job
from heratio_doi_pipelines.defs.events.schedules import usage_report_job_schedule
from heratio_doi_pipelines.defs.events.sensors import THRESHOLD_ENV, pending_events_sensor
from heratio_doi_pipelines.defs.shared.resources import DataCite, HeratioDatabase
from heratio_doi_pipelines.devtools.emulator import EmulatorHandle
from heratio_doi_pipelines.devtools.sample_logs import generate_access_log
from heratio_doi_pipelines.events.store import record_events, relation_event
from heratio_doi_pipelines.events.targets import load_usage_map
from heratio_doi_pipelines.store.tables import ahg_settings
from heratio_doi_pipelines_tests.events.conftest import (
    PASSWORD,
    REPOSITORY_ID,
    TOKEN,
    described_records,
    give_dois,
)


@pytest.fixture
def resources(
    archive: sa.Engine, db_url: str, emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> dict[str, object]:
    monkeypatch.setenv("DATACITE_PASSWORD", PASSWORD)
    monkeypatch.setenv("DATACITE_API_TOKEN", TOKEN)
    with archive.begin() as conn:
        conn.execute(
            ahg_settings.insert().values(
                setting_key="doi_events_per_minute", setting_value="100000", setting_group="doi"
            )
        )
    return {
        "heratio_db": HeratioDatabase(doi_db_url=db_url),
        "datacite": DataCite(datacite_url=emulator.url, repository_id=REPOSITORY_ID),
    }


def _metadata(result: dg.ExecuteInProcessResult, key: str) -> dict[str, object]:
    (materialization,) = result.asset_materializations_for_node(key)
    return {k: v.value for k, v in materialization.metadata.items()}


def test_backfill_then_flush_then_report(
    archive: sa.Engine,
    resources: dict[str, object],
    emulator: EmulatorHandle,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    give_dois(archive, described_records(archive)[:6])
    usage = load_usage_map(archive, archive)
    log = tmp_path / "access.log"
    generate_access_log(log, usage.view_paths(), usage.download_paths(), lines=2000, days=3)

    backfill = dg.materialize(
        [backfilled_usage],
        resources=resources,
        run_config={"ops": {"backfilled_usage": {"config": {"log_paths": [str(log)]}}}},
    )
    meta = _metadata(backfill, "backfilled_usage")
    assert meta["lines"] == 2000 and meta["events_created"] > 0 and meta["malformed"] > 0
    assert "access.log" in str(meta["files"])

    flush = dg.materialize([datacite_events], resources=resources)
    meta = _metadata(flush, "datacite_events")
    assert meta["sent_now"] == meta["sent"] > 0
    assert (meta["pending"], meta["failed"], meta["due"]) == (0, 0, 0)
    assert meta["view_sent"] > 0 and meta["auth"] == "Bearer token"
    assert "download" in str(meta["by_kind"])
    assert len(emulator.state.events) == meta["sent"]

    report = dg.materialize([usage_report], resources=resources, partition_key="2026-03-01")
    meta = _metadata(report, "usage_report")
    assert meta["status"] == "accepted" and meta["datasets"] > 0
    assert meta["release"] == "rd1"
    assert list(emulator.state.reports) == [meta["report_id"]]

    monkeypatch.setenv("DOI_USAGE_REPORT_RELEASE", "r5.1")
    again = dg.materialize([usage_report], resources=resources, partition_key="2026-03-01")
    meta_r51 = _metadata(again, "usage_report")
    assert (meta_r51["release"], meta_r51["status"]) == ("r5.1", "accepted")
    assert meta_r51["datasets"] == meta["datasets"]
    assert emulator.state.reports[meta["report_id"]].header["Release"] == "5.1"


def test_the_flush_fails_the_run_with_the_token_message(
    archive: sa.Engine, resources: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    record_events(archive, [relation_event("10.5072/a", "10.5072/b", "IsPartOf")])
    monkeypatch.delenv("DATACITE_API_TOKEN")
    result = dg.materialize([datacite_events], resources=resources, raise_on_error=False)
    assert not result.success
    failure = result.get_step_failure_events()[0]
    assert "events need a DataCite Bearer token" in str(failure.event_specific_data)


def test_funding_import_job_metadata(
    archive: sa.Engine, resources: dict[str, object], tmp_path: Path
) -> None:
    record = described_records(archive)[0]
    path = tmp_path / "funding.csv"
    path.write_text(
        "record_id,funder_name,funder_identifier,funder_identifier_type,award_uri\n"
        f"{record},Wellcome Trust,10.13039/100004440,Crossref Funder ID,https://wellcome.org/\n"
        f"{record},Bad,10.5555/1,Crossref Funder ID,\n"
        f"{record},Bad URI,,,ftp://x.org\n"
    )
    result = dg.materialize(
        [funding_references],
        resources=resources,
        run_config={"ops": {"funding_references": {"config": {"csv_path": str(path)}}}},
    )
    meta = _metadata(result, "funding_references")
    assert (meta["imported"], meta["rejected"], meta["rows"]) == (1, 2, 3)
    assert "line" in str(meta["rejections"]) and "10.13039/" in str(meta["rejections"])


def test_sensor_flushes_early_above_the_threshold(
    archive: sa.Engine, resources: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(THRESHOLD_ENV, "3")
    record_events(archive, [relation_event("10.5072/a", "10.5072/b1", "HasPart")])
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, resources=resources)
        assert isinstance(pending_events_sensor(context), dg.SkipReason)
        record_events(
            archive, [relation_event("10.5072/a", f"10.5072/c{i}", "HasPart") for i in range(3)]
        )
        result = pending_events_sensor(context)
        assert isinstance(result, dg.SensorResult)
        (request,) = result.run_requests or []
        assert request.tags["heratio/due_events"] == "4"
        assert event_flush_job.name == "event_flush_job"


def test_the_usage_report_schedule_picks_the_month_that_ended() -> None:
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 4, 2, 3, 0, tzinfo=UTC)
    )
    request = usage_report_job_schedule(context)
    assert isinstance(request, dg.RunRequest)
    assert request.partition_key == "2026-03-01"
