"""The queue health check: a warning when queue items are stuck or have failed for good."""

import dagster as dg

from heratio_doi_pipelines.defs.shared.tables import table
from heratio_doi_pipelines.reports.queue_status import QueueStatus

QUEUE_HEALTH_CHECK = "no_stuck_or_failed_items"
STUCK_PREVIEW_ROWS = 20  # of the status's bounded preview


def queue_health_spec(asset: str) -> dg.AssetCheckSpec:
    """The check ``doi_queue_status`` evaluates each time it looks at the queue."""
    return dg.AssetCheckSpec(
        name=QUEUE_HEALTH_CHECK,
        asset=asset,
        description=(
            "Warns when a queue item is stuck in processing (its worker's lease lapsed, or "
            "Heratio's in_progress item has no lease and started too long ago) or when items "
            "failed after their last attempt and need an operator."
        ),
    )


def queue_health_result(status: QueueStatus) -> dg.AssetCheckResult:
    """Passed when nothing is stuck or failed; otherwise a WARN with what to look at."""
    stuck, failed = status.stuck_count, status.failed
    metadata: dict[str, dg.MetadataValue] = {
        "stuck_items": dg.MetadataValue.int(stuck),
        "failed_items": dg.MetadataValue.int(failed),
    }
    if stuck:
        preview = status.stuck.head(STUCK_PREVIEW_ROWS)
        metadata["stuck_preview"] = table(preview)
    problems = []
    if stuck:
        problems.append(f"{stuck} item(s) stuck in processing past their lease")
    if failed:
        problems.append(f"{failed} failed item(s): read last_error, fix, then re-queue")
    return dg.AssetCheckResult(
        check_name=QUEUE_HEALTH_CHECK,
        passed=not problems,
        severity=dg.AssetCheckSeverity.WARN,
        metadata=metadata,
        description="; ".join(problems) or "no stuck or failed queue items",
    )
