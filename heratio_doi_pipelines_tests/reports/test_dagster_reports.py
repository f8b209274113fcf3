"""The report assets, job, check and schedules, run by Dagster against a real database."""

from __future__ import annotations

import stat
from base64 import b64encode
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa

from heratio_doi_pipelines.clock import utcnow
from heratio_doi_pipelines.defs.reports.assets import (
    doi_dashboard,
    doi_queue_status,
    monthly_doi_report,
    repository_doi_report,
)
from heratio_doi_pipelines.defs.reports.checks import QUEUE_HEALTH_CHECK
from heratio_doi_pipelines.defs.reports.jobs import dashboard_job, report_job
from heratio_doi_pipelines.defs.reports.resources import ReportsFolder
from heratio_doi_pipelines.defs.reports.schedules import (
    dashboard_job_schedule,
    report_job_schedule,
)
from heratio_doi_pipelines.defs.shared.resources import HeratioDatabase
from heratio_doi_pipelines.reports.months import add_months, month_start
from heratio_doi_pipelines_tests.reports.conftest import Archive

REPORT_ASSETS = [monthly_doi_report, repository_doi_report, doi_dashboard, doi_queue_status]
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


@pytest.fixture
def resources(engine: sa.Engine, tmp_path: Path) -> dict[str, object]:
    url = engine.url.render_as_string(hide_password=False)
    return {
        "heratio_db": HeratioDatabase(doi_db_url=url),
        "reports_folder": ReportsFolder(path=str(tmp_path / "reports")),
    }


@pytest.fixture
def this_month() -> date:
    return month_start(utcnow())


def _minted_history(archive: Archive, this_month: date) -> None:
    """Three DOIs minted last month, one this month, one update accepted last month."""
    archive.repository(100, "MA", {"en": "Municipal Archive"})
    archive.record(10, repository_id=100, title="Fonds")
    last_month = add_months(this_month, -1)
    for record_id in (10, 11, 12):
        if record_id != 10:
            archive.record(record_id, parent_id=10, title=f"Item {record_id}")
        archive.doi(record_id, minted_at=datetime(last_month.year, last_month.month, 2, 9, 0))
    archive.record(13, parent_id=10, title="Item 13")
    archive.doi(13, status="registered", minted_at=datetime(this_month.year, this_month.month, 1))
    archive.log(1, 10, "update", datetime(last_month.year, last_month.month, 20))


def _metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict[str, dg.MetadataValue]:
    events = [
        e
        for e in result.get_asset_materialization_events()
        if e.materialization.asset_key == dg.AssetKey(asset)
    ]
    assert len(events) == 1
    return dict(events[0].materialization.metadata)


def test_one_month_partition(archive: Archive, resources, this_month: date, tmp_path) -> None:
    _minted_history(archive, this_month)
    key = add_months(this_month, -1).isoformat()

    result = dg.materialize([monthly_doi_report], partition_key=key, resources=resources)

    meta = _metadata(result, "monthly_doi_report")
    assert (meta["minted"].value, meta["updated"].value) == (3, 1)
    assert meta["dagster/row_count"].value == 1
    partition_csv = Path(meta["partition_csv"].value)
    assert partition_csv.read_text().splitlines() == [
        "month,minted,updated",
        f"{key[:7]},3,1",
    ]
    combined = pd.read_csv(meta["combined_csv"].value)
    assert len(combined) == 24 and combined["month"].iloc[-1] == this_month.isoformat()[:7]
    assert combined["minted"].tolist()[-2:] == [3, 1]
    png = Path(meta["chart_png"].value).read_bytes()
    assert png.startswith(b"\x89PNG")
    assert (
        meta["chart"].value == f"![DOIs per month](data:image/png;base64,{b64encode(png).decode()})"
    )
    preview = meta["preview"]
    assert [c.name for c in preview.schema.columns] == ["month", "minted", "updated"]
    by_month = {r.data["month"]: r.data for r in preview.records}
    assert by_month == {row["month"]: row for row in combined.to_dict("records")}
    assert Path(meta["combined_csv"].value).parent == tmp_path / "reports"
    for written in (partition_csv, Path(meta["combined_csv"].value), Path(meta["chart_png"].value)):
        assert stat.S_IMODE(written.stat().st_mode) == 0o644  # readable by the reports share


def test_rematerialising_a_partition_refreshes_its_counts(
    archive: Archive, resources, this_month: date
) -> None:
    _minted_history(archive, this_month)
    key = add_months(this_month, -1).isoformat()
    with dg.instance_for_test() as instance:
        dg.materialize(
            [monthly_doi_report], partition_key=key, resources=resources, instance=instance
        )
        archive.record(14, parent_id=10)
        archive.doi(14, minted_at=datetime.fromisoformat(key) + timedelta(days=9))

        again = dg.materialize(
            [monthly_doi_report], partition_key=key, resources=resources, instance=instance
        )
        history = instance.fetch_materializations(monthly_doi_report.key, limit=10).records

    assert _metadata(again, "monthly_doi_report")["minted"].value == 4
    assert len(history) == 2
    assert (
        Path(_metadata(again, "monthly_doi_report")["partition_csv"].value)
        .read_text()
        .endswith(f"{key[:7]},4,1\n")
    )


def test_backfill_of_24_months_is_one_run(archive: Archive, resources, this_month: date) -> None:
    _minted_history(archive, this_month)
    first = add_months(this_month, -23)

    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [monthly_doi_report],
            resources=resources,
            instance=instance,
            tags={RANGE_START: first.isoformat(), RANGE_END: this_month.isoformat()},
        )
        runs = instance.get_runs()

    assert result.success and len(runs) == 1
    events = result.get_asset_materialization_events()
    assert len(events) == 24
    assert {e.materialization.partition for e in events} == {
        add_months(first, n).isoformat() for n in range(24)
    }
    meta = dict(events[0].materialization.metadata)
    assert (meta["minted"].value, meta["updated"].value, meta["dagster/row_count"].value) == (
        4,
        1,
        24,
    )
    folder = Path(meta["partition_folder"].value)
    assert len(list(folder.glob("doi_monthly_*.csv"))) == 24
    zero_month = folder / f"doi_monthly_{first.isoformat()[:7]}.csv"
    assert zero_month.read_text().splitlines()[1] == f"{first.isoformat()[:7]},0,0"


def test_repository_report_and_dashboard(archive: Archive, resources, this_month: date) -> None:
    _minted_history(archive, this_month)
    archive.queue_item(14)

    result = dg.materialize([repository_doi_report, doi_dashboard], resources=resources)

    repo = _metadata(result, "repository_doi_report")
    assert (repo["repositories"].value, repo["total"].value, repo["findable"].value) == (1, 4, 3)
    assert pd.read_csv(repo["csv"].value)["repository_code"].tolist() == ["MA"]
    board = _metadata(result, "doi_dashboard")
    assert isinstance(board["total"], dg.IntMetadataValue)
    names = ("total", "findable", "registered", "pending_items")
    counts = {name: board[name].value for name in names}
    assert counts == {"total": 4, "findable": 3, "registered": 1, "pending_items": 1}
    assert "Item 13" in [r.data["title"] for r in board["recent_dois"].records]


def test_queue_check_warns_on_stuck_and_failed(archive: Archive, resources) -> None:
    now = utcnow()
    archive.queue_item(1, "processing", started_at=now, lease_expires_at=now - timedelta(hours=1))
    archive.queue_item(2, "failed", attempts=3, last_error="HTTP 422")
    archive.queue_item(3, "completed")

    result = dg.materialize([doi_queue_status], resources=resources)

    assert result.success  # a warning, not a failed run
    meta = _metadata(result, "doi_queue_status")
    assert (meta["stuck_items"].value, meta["failed_items"].value, meta["open_items"].value) == (
        1,
        1,
        2,
    )
    assert len(pd.read_csv(meta["csv"].value)) == 2
    [check] = result.get_asset_check_evaluations()
    assert check.check_name == QUEUE_HEALTH_CHECK
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert "stuck" in (check.description or "") and "failed" in (check.description or "")


def test_queue_check_passes_on_a_healthy_queue(archive: Archive, resources) -> None:
    archive.queue_item(1, "pending")

    result = dg.materialize([doi_queue_status], resources=resources)

    [check] = result.get_asset_check_evaluations()
    assert check.passed


def test_report_job_runs_every_report_for_a_month(archive: Archive, resources, this_month) -> None:
    _minted_history(archive, this_month)
    defs = dg.Definitions(
        assets=REPORT_ASSETS, jobs=[report_job, dashboard_job], resources=resources
    )
    key = add_months(this_month, -1).isoformat()

    result = defs.resolve_job_def("report_job").execute_in_process(partition_key=key)
    refresh = defs.resolve_job_def("dashboard_job").execute_in_process()

    assert result.success and refresh.success
    done = {
        (e.materialization.asset_key.to_user_string(), e.materialization.partition)
        for e in result.get_asset_materialization_events()
    }
    assert done == {
        ("monthly_doi_report", key),
        ("repository_doi_report", None),
        ("doi_dashboard", None),
        ("doi_queue_status", None),
    }


def test_schedules() -> None:
    with dg.instance_for_test() as instance:
        tick = datetime(2027, 1, 1, 2, 0, tzinfo=UTC)
        request = report_job_schedule(
            dg.build_schedule_context(instance=instance, scheduled_execution_time=tick)
        )
    assert isinstance(request, dg.RunRequest)
    assert request.partition_key == "2026-12-01"  # the month that just ended
    assert report_job_schedule.cron_schedule == "0 2 1 * *"
    assert dashboard_job_schedule.cron_schedule == "0 6 * * *"


def test_assets_are_described_and_grouped() -> None:
    for asset in REPORT_ASSETS:
        spec = next(iter(asset.specs))
        assert spec.group_name == "reports"
        assert spec.description and len(spec.description) > 40
        assert spec.owners and spec.kinds
    assert report_job.description and dashboard_job.description


def test_code_location_has_the_reports_wired_to_the_lifecycle() -> None:
    from heratio_doi_pipelines.definitions import defs

    location = defs()
    graph = location.resolve_asset_graph()
    for asset in REPORT_ASSETS:
        node = graph.get(asset.key)
        assert node.group_name == "reports"
        assert node.parent_keys and all(graph.get(p).is_materializable for p in node.parent_keys)
    assert location.resolve_job_def("report_job").name == "report_job"
    assert location.resolve_schedule_def("report_job_schedule").job_name == "report_job"
    assert location.resolve_schedule_def("dashboard_job_schedule").job_name == "dashboard_job"
    assert "reports_folder" in (location.resources or {})
