"""Report assets: each calls one service in ``heratio_doi_pipelines.reports`` and turns its
result into metadata the Dagster UI shows (paths, counts it plots over time, previews).

No ``from __future__ import annotations`` here: Dagster inspects the context and resource
annotations when the assets are defined, and needs the real classes.
"""

import warnings
from datetime import date

import dagster as dg

from heratio_doi_pipelines.defs.reports.checks import queue_health_result, queue_health_spec
from heratio_doi_pipelines.defs.reports.resources import ReportsFolder
from heratio_doi_pipelines.defs.shared.resources import HeratioDatabase
from heratio_doi_pipelines.defs.shared.tables import table
from heratio_doi_pipelines.reports.by_repository import STATE_COLUMN_NAMES
from heratio_doi_pipelines.reports.dashboard import dashboard
from heratio_doi_pipelines.reports.export import (
    MONTHLY_PARTITION_DIR,
    export_monthly_report,
    export_queue_status,
    export_repository_report,
    png_markdown,
)

# Monthly partitions from 24 months before the project's first release; end_offset=1 adds
# the month in progress, so the current month can be reported (and re-reported) too.
MONTHLY_PARTITIONS = dg.MonthlyPartitionsDefinition(start_date="2024-11-01", end_offset=1)
PREVIEW_ROWS = 20
ERROR_PREVIEW_CHARS = 120

GROUP = "reports"
OWNERS = ["team:digital-preservation"]
TAGS = {"heratio/area": "reports"}


# BackfillPolicy is flagged beta in Dagster 1.13; the single-run backfill it gives is what a
# 24-month backfill needs (tested), so its warning is silenced here and nowhere else.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", category=dg.BetaWarning)

    @dg.asset(
        partitions_def=MONTHLY_PARTITIONS,
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=["minted_dois", "updated_dois"],
        kinds={"sql", "csv"},
        group_name=GROUP,
        owners=OWNERS,
        tags=TAGS,
    )
    def monthly_doi_report(
        context: dg.AssetExecutionContext,
        heratio_db: HeratioDatabase,
        reports_folder: ReportsFolder,
    ) -> dg.MaterializeResult:
        """DOIs minted (ahg_doi.minted_at) and updated (accepted metadata updates in the log)
        per month. Each partition is one month with its own CSV; every run also rewrites the
        combined CSV of the last 24 months (zero months included) and a bar chart. A backfill
        of many months runs as one run and one grouped query."""
        months = [date.fromisoformat(key) for key in context.partition_keys]
        folder = reports_folder.folder()
        files = export_monthly_report(heratio_db.doi_engine(), folder, months)
        partitions = files.partitions
        metadata: dict[str, dg.MetadataValue] = {
            "minted": dg.MetadataValue.int(int(partitions["minted"].sum())),
            "updated": dg.MetadataValue.int(int(partitions["updated"].sum())),
            "dagster/row_count": dg.MetadataValue.int(len(partitions)),
            "months": dg.MetadataValue.text(", ".join(files.partition_csvs)),
            "partition_folder": dg.MetadataValue.path(str(folder / MONTHLY_PARTITION_DIR)),
            "combined_csv": dg.MetadataValue.path(str(files.combined_csv)),
            "combined_rows": dg.MetadataValue.int(len(files.combined)),
            "chart": dg.MetadataValue.md(png_markdown(files.chart_png, "DOIs per month")),
            "chart_png": dg.MetadataValue.path(str(files.chart_png)),
            "preview": table(files.combined),
        }
        if len(files.partition_csvs) == 1:
            metadata["partition_csv"] = dg.MetadataValue.path(
                str(next(iter(files.partition_csvs.values())))
            )
        context.log.info(f"{len(months)} month(s) reported; combined CSV at {files.combined_csv}")
        return dg.MaterializeResult(metadata=metadata)


@dg.asset(
    deps=["minted_dois", "verified_dois", "deactivated_dois"],
    kinds={"sql", "csv"},
    group_name=GROUP,
    owners=OWNERS,
    tags=TAGS,
)
def repository_doi_report(
    heratio_db: HeratioDatabase, reports_folder: ReportsFolder
) -> dg.MaterializeResult:
    """DOIs per holding repository split by state (findable, registered, draft, failed_dois,
    tombstone). A record without its own repository counts for its nearest ancestor's, as
    AtoM displays it; DOIs with no repository at all share one row at the end."""
    result = export_repository_report(
        heratio_db.doi_engine(), reports_folder.folder(), heratio_db.catalogue_engine()
    )
    frame = result.frame
    metadata: dict[str, dg.MetadataValue] = {
        "csv": dg.MetadataValue.path(str(result.path)),
        "dagster/row_count": dg.MetadataValue.int(len(frame)),
        "repositories": dg.MetadataValue.int(int(frame["repository_id"].notna().sum())),
        "total": dg.MetadataValue.int(int(frame["total"].sum())),
        **{
            column: dg.MetadataValue.int(int(frame[column].sum()))
            for column in STATE_COLUMN_NAMES.values()
        },
        "preview": table(frame.head(PREVIEW_ROWS)),
    }
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(
    deps=["minted_dois", "updated_dois", "verified_dois", "deactivated_dois"],
    kinds={"sql"},
    group_name=GROUP,
    owners=OWNERS,
    tags=TAGS,
)
def doi_dashboard(heratio_db: HeratioDatabase) -> dg.MaterializeResult:
    """Heratio's DOI dashboard (/admin/doi): DOIs in total and per state (failed_dois are DOIs
    DataCite never accepted), queue items pending or in progress and failed queue items, as
    numbers the UI plots over time, and the ten most recently created DOIs."""
    view = dashboard(heratio_db.doi_engine(), heratio_db.catalogue_engine())
    metadata: dict[str, dg.MetadataValue] = {
        name: dg.MetadataValue.int(value) for name, value in view.counts.items()
    }
    metadata["recent_dois"] = table(view.recent_frame())
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(
    deps=["pending_records"],
    kinds={"sql", "csv"},
    check_specs=[queue_health_spec("doi_queue_status")],
    group_name=GROUP,
    owners=OWNERS,
    tags=TAGS,
)
def doi_queue_status(
    heratio_db: HeratioDatabase, reports_folder: ReportsFolder
) -> dg.MaterializeResult:
    """The work queue (Heratio's queue screen, /admin/doi/queue): items per state, a CSV of
    every item not yet completed (action, attempts, scheduled time, lease, last error) with the
    oldest 50 as a preview, and a check that warns about items stuck past their lease or
    failed for good."""
    result = export_queue_status(heratio_db.doi_engine(), reports_folder.folder())
    status = result.status
    metadata: dict[str, dg.MetadataValue] = {
        f"{name}_items": dg.MetadataValue.int(value) for name, value in status.counts.items()
    }
    metadata["stuck_items"] = dg.MetadataValue.int(status.stuck_count)
    metadata["open_items"] = dg.MetadataValue.int(status.open_count)
    metadata["dagster/row_count"] = dg.MetadataValue.int(status.open_count)
    metadata["csv"] = dg.MetadataValue.path(str(result.open_items_csv))
    preview = status.open_items.copy()  # the oldest open items (the CSV has every one)
    preview["last_error"] = preview["last_error"].str.slice(0, ERROR_PREVIEW_CHARS)
    metadata["preview"] = table(preview)
    return dg.MaterializeResult(metadata=metadata, check_results=[queue_health_result(status)])
