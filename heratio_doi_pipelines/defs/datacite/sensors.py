"""Sensors that turn due queue items into batched runs (one run per batch, never per item),
and the one that tells the ops mailbox when a run fails."""

import dagster as dg
from dagster._utils.error import SerializableErrorInfo

from heratio_doi_pipelines.defs.datacite.jobs import (
    deactivate_job,
    mint_job,
    update_job,
    verify_job,
)
from heratio_doi_pipelines.defs.shared.resources import DataCite, HeratioDatabase
from heratio_doi_pipelines.notify import RunFailure, notification_settings, send_run_failure_mail
from heratio_doi_pipelines.notify.run_failure import clip
from heratio_doi_pipelines.queue.actions import DEACTIVATE, MINT, REINSTATE, UPDATE, VERIFY
from heratio_doi_pipelines.queue.auto_mint import queue_catalogue_changes
from heratio_doi_pipelines.queue.transitions import due_by_action
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


def _root_error(error: SerializableErrorInfo | None) -> str:
    """The innermost cause, without the stack: Dagster wraps user errors in its own."""
    if error is None:
        return ""
    while error.cause is not None:
        error = error.cause
    return error.message.strip()


def _step_errors(context: dg.RunFailureSensorContext) -> tuple[str, ...]:
    errors = []
    for event in context.get_step_failure_events():
        data = event.step_failure_data
        described = data.user_failure_data.description if data.user_failure_data else None
        errors.append(f"{event.step_key}: {clip(described or _root_error(data.error))}")
    return tuple(errors)


def run_failure(context: dg.RunFailureSensorContext) -> RunFailure:
    """What the ops mail says about a failed run: the Dagster failure message and the step
    errors (the assets never put secrets in errors; the mail masks known secrets anyway)."""
    run_error = _root_error(getattr(context.failure_event.event_specific_data, "error", None))
    message = context.failure_event.message or ""
    return RunFailure(
        job_name=context.dagster_run.job_name,
        run_id=context.dagster_run.run_id,
        message="\n".join(part for part in (message, clip(run_error)) if part),
        step_errors=_step_errors(context),
    )


@dg.run_failure_sensor(
    name="run_failure_email_sensor",
    monitor_all_code_locations=False,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="E-mails the ops mailbox (doi_failure_notify) with the job, run id and failure "
    "message when a run of any job in this code location fails.",
)
def run_failure_email_sensor(
    context: dg.RunFailureSensorContext, heratio_db: HeratioDatabase, datacite: DataCite
) -> None:
    settings = notification_settings(heratio_db.doi_engine, datacite.deployment_overrides())
    report = send_run_failure_mail(settings, run_failure(context))
    if report is None:
        context.log.info("no SMTP host or doi_failure_notify address: no failure mail")
    elif report.ok:
        context.log.info(f"failure of run {context.dagster_run.run_id} mailed to the ops mailbox")
    else:
        context.log.warning(f"failure mail not sent: {report.summary()}")


@dg.sensor(
    jobs=[mint_job, update_job],
    minimum_interval_seconds=120,
    description="When auto_mint is 1, queues a mint for each new catalogue description and an "
    "update for each edited one, then launches the mint/update runs.",
)
def auto_mint_sensor(
    context: dg.SensorEvaluationContext, heratio_db: HeratioDatabase, datacite: DataCite
) -> dg.SensorResult | dg.SkipReason:
    try:
        engine = heratio_db.doi_engine()
        result = queue_catalogue_changes(
            engine,
            heratio_db.catalogue_engine(),
            context.cursor,
            overrides=datacite.access(engine).overrides,
        )
    except TablesMissingError as exc:
        return dg.SkipReason(str(exc))
    if not result.enabled:
        return dg.SkipReason("auto_mint is off (ahg_settings / ahg_doi_config)")
    requests = []
    if result.minted:
        requests.append(dg.RunRequest(run_key=f"auto-mint:{result.cursor}", job_name=mint_job.name))
    if result.updated:
        requests.append(
            dg.RunRequest(run_key=f"auto-update:{result.cursor}", job_name=update_job.name)
        )
    return dg.SensorResult(run_requests=requests, cursor=result.cursor)
