"""Flush early when many events are waiting, rather than at the next hourly schedule."""

import os

import dagster as dg

from heratio_doi_pipelines.defs.events.jobs import event_flush_job
from heratio_doi_pipelines.defs.shared.resources import HeratioDatabase
from heratio_doi_pipelines.events.flush import count_due
from heratio_doi_pipelines.store.errors import TablesMissingError, is_missing_table_error

# How many due events trigger an early flush; HERATIO_EVENTS_FLUSH_THRESHOLD overrides it.
DEFAULT_THRESHOLD = 500
THRESHOLD_ENV = "HERATIO_EVENTS_FLUSH_THRESHOLD"
ACTIVE_STATUSES = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def flush_threshold() -> int:
    return max(1, int(os.environ.get(THRESHOLD_ENV) or DEFAULT_THRESHOLD))


@dg.sensor(
    job=event_flush_job,
    minimum_interval_seconds=120,
    description="Starts an event flush when at least HERATIO_EVENTS_FLUSH_THRESHOLD (500) "
    "events are due and no flush is already running.",
)
def pending_events_sensor(
    context: dg.SensorEvaluationContext, heratio_db: HeratioDatabase
) -> dg.SensorResult | dg.SkipReason:
    try:
        due = count_due(heratio_db.doi_engine())
    except TablesMissingError as exc:
        return dg.SkipReason(str(exc))
    except Exception as exc:
        if is_missing_table_error(exc):
            return dg.SkipReason("DOI tables not found: run `heratio-doi init`")
        raise
    threshold = flush_threshold()
    if due < threshold:
        return dg.SkipReason(f"{due} events due, fewer than the threshold of {threshold}")
    running = context.instance.get_runs(
        filters=dg.RunsFilter(job_name=event_flush_job.name, statuses=ACTIVE_STATUSES), limit=1
    )
    if running:
        return dg.SkipReason(f"{due} events due; a flush is already running")
    cursor = str(int(context.cursor or 0) + 1)
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(run_key=f"event-flush-{cursor}", tags={"heratio/due_events": str(due)})
        ],
        cursor=cursor,
    )
