"""DOIs at DataCite: each asset processes the due queue items of one action in one batch."""

# No ``from __future__ import annotations`` here: Dagster 1.13 reads an asset's ``config``
# annotation as written, and cannot resolve it from a string.
from typing import Any

import dagster as dg
import pandas as pd
from pydantic import Field

from heratio_doi_pipelines.catalogue.owners import RecordOwners
from heratio_doi_pipelines.datacite_access import BatchRefused
from heratio_doi_pipelines.defs.shared.resources import DataCite, HeratioDatabase
from heratio_doi_pipelines.defs.shared.tables import table
from heratio_doi_pipelines.notify import (
    NotifierReport,
    notification_settings,
    notifier_from_settings,
)
from heratio_doi_pipelines.paths import reports_dir
from heratio_doi_pipelines.queue.actions import DEACTIVATE, MINT, REINSTATE, UPDATE, VERIFY
from heratio_doi_pipelines.queue.enqueue import bulk_requested
from heratio_doi_pipelines.queue.processor import ProcessReport, process_queue
from heratio_doi_pipelines.queue.sync import run_sync
from heratio_doi_pipelines.reports.export import QUEUE_OPEN_ITEMS_CSV, export_queue_status
from heratio_doi_pipelines.store.schema import require_tables

# Only a whole step can fail here, and only when the database cannot be reached (DataCite
# errors are each item's outcome, retried by the queue's own back-off): then the step retries
# on the queue's schedule, 5, 10, 15 minutes.
DATABASE_RETRY_POLICY = dg.RetryPolicy(max_retries=3, delay=300, backoff=dg.Backoff.LINEAR)


class QueueBatchConfig(dg.Config):
    limit: int = Field(default=1000, description="Most queue items to process in this run.")
    concurrency: int = Field(default=16, description="DataCite requests in flight at once.")
    bulk: bool = Field(
        default=False,
        description="Use the bulk budget (doi_bulk_rate_limit, DataCite's advice for sustained "
        "bulk work) whatever the batch size; batches past doi_bulk_threshold, and batches with "
        "due items queued in bulk mode (sync repair of outdated metadata), use it anyway.",
    )


def _process(
    context: dg.AssetExecutionContext,
    config: QueueBatchConfig,
    heratio_db: HeratioDatabase,
    datacite: DataCite,
    actions: list[str],
) -> dg.MaterializeResult:
    doi_engine = heratio_db.doi_engine()
    require_tables(doi_engine)
    access = datacite.access(doi_engine)
    for warning in access.warnings:
        context.log.warning(warning)
    catalogue_engine = heratio_db.catalogue_engine()
    notifier = notifier_from_settings(
        notification_settings(doi_engine, access.overrides),
        owner_lookup=RecordOwners(catalogue_engine),
    )
    queued_in_bulk = bulk_requested(doi_engine, actions)
    if queued_in_bulk and not config.bulk:
        context.log.info("queued items ask for the bulk budget (sync repair): this batch uses it")
    try:
        report = process_queue(
            doi_engine,
            catalogue_engine,
            access=access,
            bulk=config.bulk or queued_in_bulk or None,
            limit=config.limit,
            actions=actions,
            concurrency=config.concurrency,
            listener=notifier,
        )
    finally:
        # Mail for what was done, even when the batch broke off; mail never fails the step.
        mail = notifier.flush() if notifier else NotifierReport()
    if report.refused:
        raise dg.Failure(description=report.refused, allow_retries=False)
    context.log.info(report.summary())
    context.log.info(report.rate_summary())
    for outcome in report.outcomes:
        if outcome.status in ("failed", "retry"):
            context.log.warning(f"record {outcome.record_id}: {outcome.message}")
    for error in mail.errors:
        context.log.warning(f"notification mail not sent: {error}")
    metadata = report_metadata(report)
    metadata["bulk_asked_by_queue"] = dg.MetadataValue.bool(queued_in_bulk)
    metadata["emails_sent"] = dg.MetadataValue.int(mail.sent)
    metadata["email_errors"] = dg.MetadataValue.int(mail.failed)
    if report.auth_error:
        raise dg.Failure(
            description=f"DataCite authentication failed; the batch stopped: {report.auth_error}",
            metadata=metadata,
            allow_retries=False,
        )
    failed = report.counts["failed"]
    if failed:
        open_items = export_queue_status(doi_engine, reports_dir()).open_items_csv
        metadata["open_items_csv"] = dg.MetadataValue.path(str(open_items))
    if report.nothing_succeeded:
        raise dg.Failure(
            description=f"{failed} item(s) failed and none succeeded: "
            f"{report.reasons('failed')} (open items: {metadata['open_items_csv'].value})",
            metadata=metadata,
            allow_retries=False,
        )
    return dg.MaterializeResult(metadata=metadata, check_results=[_failed_items_check(report)])


FAILED_ITEMS_CHECK = "no_failed_items"


def failed_items_spec(asset: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        FAILED_ITEMS_CHECK,
        asset=asset,
        description="Fails (ERROR) when items of the batch failed for good; warns when items "
        "will be retried. Names the count and links the open-items CSV.",
    )


def _failed_items_check(report: ProcessReport) -> dg.AssetCheckResult:
    """ERROR for items that failed for good, WARN for items that back off and retry."""
    counts = report.counts
    metadata: dict[str, dg.MetadataValue] = {
        "failed_items": dg.MetadataValue.int(counts["failed"]),
        "retry_items": dg.MetadataValue.int(counts["retry"]),
    }
    if counts["failed"]:
        path = reports_dir() / QUEUE_OPEN_ITEMS_CSV
        metadata["open_items_csv"] = dg.MetadataValue.path(str(path))
        return dg.AssetCheckResult(
            check_name=FAILED_ITEMS_CHECK,
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata=metadata,
            description=f"{counts['failed']} of {report.claimed} item(s) failed: "
            f"{report.reasons('failed')}. Every open item: {path}",
        )
    if counts["retry"]:
        return dg.AssetCheckResult(
            check_name=FAILED_ITEMS_CHECK,
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            metadata=metadata,
            description=f"{counts['retry']} item(s) will be retried: {report.reasons('retry')}",
        )
    return dg.AssetCheckResult(
        check_name=FAILED_ITEMS_CHECK,
        passed=True,
        metadata=metadata,
        description="no item of the batch failed",
    )


def report_metadata(report: ProcessReport) -> dict[str, dg.MetadataValue]:
    counts = report.counts
    metadata: dict[str, dg.MetadataValue] = {
        f"{name}_items": dg.MetadataValue.int(value) for name, value in counts.items()
    }
    metadata["claimed"] = dg.MetadataValue.int(report.claimed)
    metadata["datacite_requests"] = dg.MetadataValue.int(report.requests_sent)
    metadata["http_429"] = dg.MetadataValue.int(report.rate_limited)
    metadata["stored_differs"] = dg.MetadataValue.int(report.stored_differs)
    metadata["accepted_per_s"] = dg.MetadataValue.float(round(report.accepted_rate, 2))
    metadata["rate_budget"] = dg.MetadataValue.text(report.budget or "none")
    if report.outcomes:
        frame = pd.DataFrame(
            [
                {
                    "record": o.record_id,
                    "action": o.action,
                    "result": o.status,
                    "doi": o.doi or "",
                    "state": o.state or "",
                    "message": o.message[:200],
                }
                for o in report.outcomes[:50]
            ]
        )
        metadata["preview"] = table(frame)
    return metadata


AREA = {"heratio/area": "datacite"}
_COMMON: dict[str, Any] = {
    "group_name": "datacite",
    "kinds": {"api"},
    "owners": ["team:digital-preservation"],
    "pool": "datacite_api",
    "retry_policy": DATABASE_RETRY_POLICY,
}


@dg.asset(
    deps=["doi_metadata_payloads"],
    tags={**AREA, "heratio/action": "mint"},
    check_specs=[failed_items_spec("minted_dois")],
    **_COMMON,
)
def minted_dois(
    context: dg.AssetExecutionContext,
    config: QueueBatchConfig,
    heratio_db: HeratioDatabase,
    datacite: DataCite,
) -> dg.MaterializeResult:
    """DOIs minted at DataCite: reserves each DOI string, sends the validated metadata with
    PUT /dois/{doi} and records the state DataCite confirms, for every due mint item."""
    return _process(context, config, heratio_db, datacite, [MINT])


@dg.asset(
    deps=["doi_metadata_payloads"],
    tags={**AREA, "heratio/action": "update"},
    check_specs=[failed_items_spec("updated_dois")],
    **_COMMON,
)
def updated_dois(
    context: dg.AssetExecutionContext,
    config: QueueBatchConfig,
    heratio_db: HeratioDatabase,
    datacite: DataCite,
) -> dg.MaterializeResult:
    """DOIs whose DataCite metadata was refreshed from the catalogue; unchanged metadata is
    skipped by its payload hash."""
    return _process(context, config, heratio_db, datacite, [UPDATE])


@dg.asset(
    tags={**AREA, "heratio/action": "verify"},
    check_specs=[failed_items_spec("verified_dois")],
    **_COMMON,
)
def verified_dois(
    context: dg.AssetExecutionContext,
    config: QueueBatchConfig,
    heratio_db: HeratioDatabase,
    datacite: DataCite,
) -> dg.MaterializeResult:
    """DOIs checked against DataCite: state and URL refreshed, drift recorded in the log."""
    return _process(context, config, heratio_db, datacite, [VERIFY])


@dg.asset(
    tags={**AREA, "heratio/action": "deactivate"},
    check_specs=[failed_items_spec("deactivated_dois")],
    **_COMMON,
)
def deactivated_dois(
    context: dg.AssetExecutionContext,
    config: QueueBatchConfig,
    heratio_db: HeratioDatabase,
    datacite: DataCite,
) -> dg.MaterializeResult:
    """Tombstoned DOIs (URL moved to the tombstone page, hidden at DataCite), drafts deleted,
    and reinstated DOIs (published again at their record URL)."""
    return _process(context, config, heratio_db, datacite, [DEACTIVATE, REINSTATE])


class SyncConfig(dg.Config):
    repair: bool = Field(
        default=False,
        description="Queue the updates that make DataCite agree with the catalogue (those of "
        "outdated metadata in bulk mode).",
    )


@dg.asset(
    group_name="datacite",
    kinds={"api", "csv"},
    owners=["team:digital-preservation"],
    pool="datacite_api",
    retry_policy=DATABASE_RETRY_POLICY,
    tags=AREA,
)
def datacite_drift_report(
    context: dg.AssetExecutionContext,
    config: SyncConfig,
    heratio_db: HeratioDatabase,
    datacite: DataCite,
) -> dg.MaterializeResult:
    """Local DOIs compared with DataCite's listing of the repository: state, URL and metadata
    drift, DOIs stuck in draft, DOIs missing at DataCite and DOIs only DataCite knows."""
    engine = heratio_db.doi_engine()
    try:
        report, path = run_sync(
            engine,
            datacite.access(engine),
            repair=config.repair,
            out_dir=reports_dir(),
            catalogue_engine=heratio_db.catalogue_engine(),
        )
    except BatchRefused as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    context.log.info(report.summary())
    metadata: dict[str, dg.MetadataValue] = {
        "local_dois": dg.MetadataValue.int(report.local_dois),
        "remote_dois": dg.MetadataValue.int(report.remote_dois),
        "in_agreement": dg.MetadataValue.int(report.in_agreement),
        "drift": dg.MetadataValue.int(len(report.drift)),
        "queued_updates": dg.MetadataValue.int(report.queued_updates),
        # of them: updates of outdated metadata, queued asking for the bulk budget
        "queued_bulk_updates": dg.MetadataValue.int(report.queued_bulk_updates),
        "queued_mints": dg.MetadataValue.int(report.queued_mints),
        "confirmed": dg.MetadataValue.int(report.confirmed),
        "csv": dg.MetadataValue.path(str(path)),
    }
    for kind, count in report.counts().items():
        metadata[f"drift_{kind}"] = dg.MetadataValue.int(count)
    if report.drift:
        frame = pd.DataFrame([d.__dict__ for d in report.drift[:50]])
        metadata["preview"] = table(frame)
    return dg.MaterializeResult(metadata=metadata)
