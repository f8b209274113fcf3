"""Report jobs: the monthly reports in one run, and the operator's view refreshed on its own."""

import dagster as dg

report_job = dg.define_asset_job(
    "report_job",
    selection=dg.AssetSelection.groups("reports"),
    description=(
        "Write every report: the monthly CSV for the chosen month plus the combined 24-month "
        "CSV and chart, DOIs by repository, the dashboard counts and the queue status."
    ),
    executor_def=dg.in_process_executor,
    tags={"heratio/job_kind": "report"},
)

dashboard_job = dg.define_asset_job(
    "dashboard_job",
    selection=["doi_dashboard", "doi_queue_status"],
    description="Refresh the dashboard counts and the queue status (with its health check).",
    executor_def=dg.in_process_executor,
    tags={"heratio/job_kind": "report"},
)
