"""The landing-page check as a job of its own (it asks the catalogue's site, not DataCite)."""

import dagster as dg

landing_check_job = dg.define_asset_job(
    "landing_check_job",
    selection=["landing_page_health"],
    description="Check every confirmed DOI's resolution and landing page; write the CSV.",
    executor_def=dg.in_process_executor,
    tags={"heratio/job_kind": "linkcheck"},
)
