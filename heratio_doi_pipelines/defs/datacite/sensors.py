"""Sensors that turn due queue items into batched runs (one run per batch, never per item)."""

from __future__ import annotations

import dagster as dg

from heratio_doi_pipelines.defs.datacite.jobs import (
    deactivate_job,
    mint_job,
    update_job,
    verify_job,
)
from heratio_doi_pipelines.defs.shared.resources import HeratioDatabase
from heratio_doi_pipelines.queue.actions import DEACTIVATE, MINT, REINSTATE, UPDATE, VERIFY
from heratio_doi_pipelines.queue.claim import due_by_action
from heratio_doi_pipelines.store.errors import TablesMissingError

JOB_FOR_ACTION = {
    MINT: mint_job.name,
    UPDATE: update_job.name,
    VERIFY: verify_job.name,
    DEACTIVATE: deactivate_job.name,
    REINSTATE: deactivate_job.name,
}


@dg.sensor(
    jobs=[mint_job, update_job, verify_job, deactivate_job],
    minimum_interval_seconds=60,
    description="Launches one batched run per action when queue items are due "
    "(new items, retries whose back-off has passed, or items whose lease lapsed).",
)
def pending_queue_sensor(
    context: dg.SensorEvaluationContext, heratio_db: HeratioDatabase
) -> dg.SensorResult | dg.SkipReason:
    try:
        due = due_by_action(heratio_db.doi_engine())
    except TablesMissingError as exc:
        return dg.SkipReason(str(exc))
    requests: dict[str, dg.RunRequest] = {}
    for summary in due:
        job_name = JOB_FOR_ACTION.get(summary.action)
        if job_name is None or job_name in requests:
            continue
        requests[job_name] = dg.RunRequest(
            run_key=f"{job_name}:{summary.run_key}",
            job_name=job_name,
            tags={"heratio/due_items": str(summary.count)},
        )
    if not requests:
        return dg.SkipReason("no queue items are due")
    cursor = ",".join(sorted(r.run_key or "" for r in requests.values()))
    return dg.SensorResult(run_requests=list(requests.values()), cursor=cursor)
