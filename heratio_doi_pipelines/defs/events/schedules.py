"""Hourly event flushes, and the usage report of each month once it has ended."""

import dagster as dg

from heratio_doi_pipelines.defs.events.jobs import event_flush_job, usage_report_job
from heratio_doi_pipelines.reports.months import add_months, month_start

event_flush_job_schedule = dg.ScheduleDefinition(
    name="event_flush_job_schedule",
    job=event_flush_job,
    cron_schedule="7 * * * *",
    execution_timezone="UTC",
    description="Every hour: send what was recorded since the last flush.",
)


@dg.schedule(
    cron_schedule="0 3 2 * *",
    job=usage_report_job,
    execution_timezone="UTC",
    description="On the 2nd at 03:00 UTC: the COUNTER usage report of the month that ended.",
)
def usage_report_job_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """The partition is the previous month (its last day's usage had a day to be flushed)."""
    key = add_months(month_start(context.scheduled_execution_time), -1).isoformat()
    return dg.RunRequest(run_key=f"usage-report-{key}", partition_key=key)
