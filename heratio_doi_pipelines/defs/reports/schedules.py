"""When reports run: the monthly report after each month closes, the dashboard every day."""

import dagster as dg

from heratio_doi_pipelines.defs.reports.jobs import dashboard_job, report_job
from heratio_doi_pipelines.reports.months import add_months, month_start


@dg.schedule(
    cron_schedule="0 2 1 * *",
    job=report_job,
    execution_timezone="UTC",
    description="On the 1st at 02:00 UTC: report the month that just ended, then all the rest.",
)
def report_job_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """The partition is the previous month: the current one has only just begun."""
    month = add_months(month_start(context.scheduled_execution_time), -1)
    key = month.isoformat()
    return dg.RunRequest(run_key=f"report-{key}", partition_key=key)


dashboard_job_schedule = dg.ScheduleDefinition(
    name="dashboard_job_schedule",
    job=dashboard_job,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    description="Every day at 06:00 UTC: dashboard counts and queue status for the UI's plots.",
)
