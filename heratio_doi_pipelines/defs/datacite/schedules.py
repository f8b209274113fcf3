"""Nightly sync with DataCite and a weekly verify of every DOI."""

import dagster as dg

from heratio_doi_pipelines.defs.datacite.jobs import sync_job, verify_job
from heratio_doi_pipelines.defs.shared.resources import HeratioDatabase
from heratio_doi_pipelines.queue.actions import VERIFY
from heratio_doi_pipelines.queue.enqueue import enqueue
from heratio_doi_pipelines.store.dois import record_ids_with_doi

sync_job_schedule = dg.ScheduleDefinition(
    job=sync_job,
    cron_schedule="30 2 * * *",
    description="Nightly drift report against DataCite (no repairs unless configured).",
)


@dg.schedule(
    job=verify_job,
    cron_schedule="0 4 * * 0",
    description="Weekly: queue a verify for every DOI that DataCite holds, then verify them.",
)
def verify_job_schedule(
    context: dg.ScheduleEvaluationContext, heratio_db: HeratioDatabase
) -> dg.RunRequest:
    engine = heratio_db.doi_engine()
    queued = enqueue(engine, VERIFY, record_ids_with_doi(engine))
    return dg.RunRequest(
        run_key=f"verify-{context.scheduled_execution_time:%Y-%m-%d}",
        tags={"heratio/queued_verifies": str(queued.count)},
    )
