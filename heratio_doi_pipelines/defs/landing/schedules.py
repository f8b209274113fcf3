"""Weekly landing-page health."""

import dagster as dg

from heratio_doi_pipelines.defs.landing.jobs import landing_check_job

landing_check_job_schedule = dg.ScheduleDefinition(
    job=landing_check_job,
    cron_schedule="0 3 * * 1",
    execution_timezone="UTC",
    description="Mondays at 03:00 UTC: check every DOI's resolution and landing page.",
)
