"""Event, usage and funding jobs: one in-process run per batch."""

import dagster as dg

event_flush_job = dg.define_asset_job(
    "event_flush_job",
    selection=["datacite_events"],
    description="Send pending and due failed events to DataCite (PUT /events/{uuid}).",
    executor_def=dg.in_process_executor,
    tags={"heratio/job_kind": "events"},
)

metrics_backfill_job = dg.define_asset_job(
    "metrics_backfill_job",
    selection=["backfilled_usage"],
    description="Count views and downloads in access logs (launchpad: log_paths, since, until).",
    executor_def=dg.in_process_executor,
    tags={"heratio/job_kind": "metrics"},
)

funding_import_job = dg.define_asset_job(
    "funding_import_job",
    selection=["funding_references"],
    description="Import funding references from a CSV (launchpad: csv_path).",
    executor_def=dg.in_process_executor,
    tags={"heratio/job_kind": "funding"},
)

usage_report_job = dg.define_asset_job(
    "usage_report_job",
    selection=["usage_report"],
    description="Send one month's COUNTER usage report to DataCite and follow it up.",
    executor_def=dg.in_process_executor,
    tags={"heratio/job_kind": "events"},
)
