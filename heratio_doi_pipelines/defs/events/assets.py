"""Usage and funding assets: each calls one service and turns its result into metadata
(counts the UI plots over time, markdown previews). Secrets come only from ``datacite``."""

from datetime import date

import dagster as dg
import pandas as pd
import sqlalchemy as sa
from pydantic import Field

from heratio_doi_pipelines.datacite_access import BatchRefused
from heratio_doi_pipelines.defs.datacite.assets import DATABASE_RETRY_POLICY
from heratio_doi_pipelines.defs.shared.resources import DataCite, HeratioDatabase
from heratio_doi_pipelines.defs.shared.tables import table
from heratio_doi_pipelines.events.access_logs import backfill_metrics
from heratio_doi_pipelines.events.config import EventsConfig
from heratio_doi_pipelines.events.flush import flush_events
from heratio_doi_pipelines.events.status import STATES, event_status
from heratio_doi_pipelines.events.usage_report import submit_usage_report
from heratio_doi_pipelines.funding.importer import import_funding_csv
from heratio_doi_pipelines.store.schema import require_tables

# Months that have ended, from the same first month as the DOI reports.
USAGE_MONTHS = dg.MonthlyPartitionsDefinition(start_date="2024-11-01")
GROUP = "events"
OWNERS = ["team:digital-preservation"]
PREVIEW_ROWS = 20


class EventFlushConfig(dg.Config):
    limit: int | None = Field(default=None, description="Most events to send in this run.")
    time_budget_s: float = Field(
        default=3300.0,
        description="Stop after this many seconds (the hourly schedule starts the next run); "
        "the per-minute cap spreads a big backlog over several runs.",
    )


def _events_config(datacite: DataCite, engine: sa.Engine) -> EventsConfig:
    """The events settings, refused (before any request) when DataCite is not configured."""
    access = datacite.access(engine)
    try:
        access.check("events", settings_check=False)
    except BatchRefused as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    return access.events_config()


@dg.asset(
    group_name=GROUP,
    kinds={"api"},
    owners=OWNERS,
    pool="datacite_api",
    retry_policy=DATABASE_RETRY_POLICY,
    tags={"heratio/area": "events"},
)
def datacite_events(
    context: dg.AssetExecutionContext,
    config: EventFlushConfig,
    heratio_db: HeratioDatabase,
    datacite: DataCite,
) -> dg.MaterializeResult:
    """Usage, citation and relation events at DataCite: sends every pending (and due failed)
    event with PUT /events/{uuid} under the per-minute cap, then reports pending/sent/failed
    counts by kind (view, download, citation, relation)."""
    engine = heratio_db.doi_engine()
    require_tables(engine, ("ahg_datacite_event",))
    events_config = _events_config(datacite, engine)
    report = flush_events(
        engine, events_config, limit=config.limit, time_budget_s=config.time_budget_s
    )
    for warning in report.warnings:
        context.log.warning(warning)
    context.log.info(report.summary())
    status = event_status(engine)
    metadata: dict[str, dg.MetadataValue] = {
        "sent_now": dg.MetadataValue.int(report.sent),
        "retry_now": dg.MetadataValue.int(report.retry),
        "failed_now": dg.MetadataValue.int(report.failed),
        "not_sent_out_of_scope": dg.MetadataValue.int(report.not_sent),
        "due": dg.MetadataValue.int(status.due),
        "retrying": dg.MetadataValue.int(status.retrying),
        "events_url": dg.MetadataValue.url(events_config.url),
        "auth": dg.MetadataValue.text(events_config.auth_label),
    }
    for state in STATES:
        metadata[state] = dg.MetadataValue.int(status.total(state))
    for row in status.rows():
        for state in STATES:
            metadata[f"{row['kind']}_{state}"] = dg.MetadataValue.int(int(str(row[state])))
    metadata["by_kind"] = table(pd.DataFrame(status.rows()))
    if report.stopped:
        raise dg.Failure(description=report.stopped, metadata=metadata, allow_retries=False)
    return dg.MaterializeResult(metadata=metadata)


class MetricsBackfillConfig(dg.Config):
    log_paths: list[str] = Field(
        description="Access logs on the code location's host (combined format, plain or gzip)."
    )
    since: str = Field(default="", description="Only hits on or after this day (YYYY-MM-DD).")
    until: str = Field(default="", description="Only hits on or before this day (YYYY-MM-DD).")


def _optional_day(text: str) -> date | None:
    return date.fromisoformat(text) if text.strip() else None


@dg.asset(
    group_name=GROUP,
    kinds={"sql"},
    owners=OWNERS,
    tags={"heratio/area": "events"},
)
def backfilled_usage(
    context: dg.AssetExecutionContext,
    config: MetricsBackfillConfig,
    heratio_db: HeratioDatabase,
) -> dg.MaterializeResult:
    """Daily usage (views and downloads per DOI) counted from web-server access logs, robots
    and double-clicks filtered out; re-running over the same logs changes nothing."""
    report = backfill_metrics(
        heratio_db.doi_engine(),
        heratio_db.catalogue_engine(),
        config.log_paths,
        since=_optional_day(config.since),
        until=_optional_day(config.until),
    )
    context.log.info(report.summary())
    s = report.stats
    files = pd.DataFrame(
        [
            {
                "log": parsed.path,
                "lines": parsed.stats.lines,
                "views": parsed.stats.views,
                "downloads": parsed.stats.downloads,
                "counted": parsed.stats.counted,
                "robots": parsed.stats.bots,
                "malformed": parsed.stats.malformed,
                "first day": str(parsed.stats.first_day or ""),
                "last day": str(parsed.stats.last_day or ""),
            }
            for parsed in report.files
        ]
    )
    return dg.MaterializeResult(
        metadata={
            "lines": dg.MetadataValue.int(s.lines),
            "views": dg.MetadataValue.int(s.views),
            "downloads": dg.MetadataValue.int(s.downloads),
            "counted": dg.MetadataValue.int(s.counted),
            "double_clicks": dg.MetadataValue.int(s.double_clicks),
            "robots": dg.MetadataValue.int(s.bots),
            "malformed": dg.MetadataValue.int(s.malformed),
            "events_created": dg.MetadataValue.int(report.events.created),
            "events_changed": dg.MetadataValue.int(report.events.updated),
            "events_unchanged": dg.MetadataValue.int(report.events.unchanged),
            "lines_per_s": dg.MetadataValue.float(round(report.lines_per_second, 1)),
            "files": table(files),
        }
    )


class FundingImportConfig(dg.Config):
    csv_path: str = Field(description="The funding CSV on the code location's host.")


@dg.asset(
    group_name=GROUP,
    kinds={"sql", "csv"},
    owners=OWNERS,
    tags={"heratio/area": "funding"},
)
def funding_references(
    context: dg.AssetExecutionContext,
    config: FundingImportConfig,
    heratio_db: HeratioDatabase,
) -> dg.MaterializeResult:
    """Funding references (ahg_io_funding) imported from a CSV: bad rows rejected with their
    line and reason, good rows upserted, changed records with a DOI queued for update."""
    report = import_funding_csv(
        heratio_db.doi_engine(), heratio_db.catalogue_engine(), config.csv_path
    )
    context.log.info(report.summary())
    for rejection in report.rejected[:PREVIEW_ROWS]:
        context.log.warning(f"rejected {rejection}")
    rejections = pd.DataFrame(
        [{"line": r.line, "reason": r.reason} for r in report.rejected[:PREVIEW_ROWS]]
    )
    return dg.MaterializeResult(
        metadata={
            "rows": dg.MetadataValue.int(report.rows),
            "imported": dg.MetadataValue.int(report.imported),
            "updated": dg.MetadataValue.int(report.updated),
            "unchanged": dg.MetadataValue.int(report.unchanged),
            "rejected": dg.MetadataValue.int(len(report.rejected)),
            "queued_for_update": dg.MetadataValue.int(len(report.queued)),
            "rejections": table(rejections),
        }
    )


class UsageReportConfig(dg.Config):
    compress: bool = Field(default=True, description="Send gzip (DataCite's large-report path).")
    force: bool = Field(default=False, description="Send even if DataCite accepted it already.")
    max_polls: int = Field(default=12, description="Status checks after a 202 (pending).")
    poll_interval_s: float = Field(default=5.0, description="Seconds between status checks.")


@dg.asset(
    partitions_def=USAGE_MONTHS,
    deps=[datacite_events],
    group_name=GROUP,
    kinds={"api", "json"},
    owners=OWNERS,
    pool="datacite_api",
    retry_policy=DATABASE_RETRY_POLICY,
    tags={"heratio/area": "events"},
)
def usage_report(
    context: dg.AssetExecutionContext,
    config: UsageReportConfig,
    heratio_db: HeratioDatabase,
    datacite: DataCite,
) -> dg.MaterializeResult:
    """The month's COUNTER usage report (SUSHI JSON, gzip) at DataCite /reports, in the release
    doi_usage_report_release names (rd1 dataset report, or the R5.1 Item Report), under a
    stable report id so re-running a month updates it; a 202 is followed up until DataCite
    accepts or rejects the report."""
    engine = heratio_db.doi_engine()
    month = date.fromisoformat(context.partition_key)
    events_config = _events_config(datacite, engine)
    result = submit_usage_report(
        engine,
        events_config,
        month,
        compress=config.compress,
        force=config.force,
        max_polls=config.max_polls,
        poll_interval_s=config.poll_interval_s,
    )
    context.log.info(result.summary())
    metadata: dict[str, dg.MetadataValue] = {
        "status": dg.MetadataValue.text(result.status),
        "release": dg.MetadataValue.text(result.release),
        "report_id": dg.MetadataValue.text(result.report_id),
        "datasets": dg.MetadataValue.int(result.datasets),
        "polls": dg.MetadataValue.int(result.polls),
    }
    if result.http_status is not None:
        metadata["http_status"] = dg.MetadataValue.int(result.http_status)
    if result.status in ("failed", "rejected"):
        raise dg.Failure(description=result.summary(), metadata=metadata, allow_retries=False)
    return dg.MaterializeResult(metadata=metadata)
