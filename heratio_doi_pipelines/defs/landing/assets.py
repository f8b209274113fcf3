"""Landing-page health: the asset calls the link check and turns its report into metadata.

No ``from __future__ import annotations`` here: Dagster 1.13 reads an asset's ``config``
annotation as written.
"""

import dagster as dg
from pydantic import Field

from heratio_doi_pipelines.defs.landing.checks import landing_check_result, landing_check_spec
from heratio_doi_pipelines.defs.reports.resources import ReportsFolder
from heratio_doi_pipelines.defs.shared.resources import DataCite, HeratioDatabase
from heratio_doi_pipelines.defs.shared.tables import table
from heratio_doi_pipelines.linkcheck import CHECKED_STATES, PROBLEMS, run_linkcheck

PREVIEW_ROWS = 20


class LinkcheckConfig(dg.Config):
    limit: int | None = Field(
        default=None, description="Most DOIs to check (the oldest results first); none: all."
    )
    states: list[str] = Field(default=list(CHECKED_STATES), description="DOI states to check.")
    repair: bool = Field(
        default=False, description="Queue an update for each DOI whose slug changed."
    )


@dg.asset(
    deps=["minted_dois", "updated_dois", "deactivated_dois"],
    kinds={"http", "csv"},
    check_specs=[landing_check_spec("landing_page_health")],
    group_name="landing",
    owners=["team:digital-preservation"],
    tags={"heratio/area": "landing"},
)
def landing_page_health(
    context: dg.AssetExecutionContext,
    config: LinkcheckConfig,
    heratio_db: HeratioDatabase,
    datacite: DataCite,
    reports_folder: ReportsFolder,
) -> dg.MaterializeResult:
    """Every DOI with a confirmed state resolves through the handle system to its registered
    URL, that page answers (redirects followed) with HTML that shows the DOI, and the URL
    agrees with the record's current public URL; landing_page_health.csv lists each DOI's
    last check."""
    engine = heratio_db.doi_engine()
    report = run_linkcheck(
        engine,
        heratio_db.catalogue_engine(),
        datacite.access(engine).overrides,
        out_dir=reports_folder.folder(),
        states=config.states,
        limit=config.limit,
        repair=config.repair,
    )
    context.log.info(report.summary())
    metadata: dict[str, dg.MetadataValue] = {
        "checked": dg.MetadataValue.int(report.checked),
        "dois": dg.MetadataValue.int(report.dois),
        "dagster/row_count": dg.MetadataValue.int(report.dois),
        "with_problems": dg.MetadataValue.int(report.problem_count),
        "queued_repairs": dg.MetadataValue.int(report.queued_repairs),
        "requests": dg.MetadataValue.int(report.requests_sent),
        "dois_per_s": dg.MetadataValue.float(round(report.rate_per_s, 2)),
        "csv": dg.MetadataValue.path(str(report.csv_path)),
    }
    counts = report.counts
    for kind in ("ok", *PROBLEMS):
        metadata[f"problem_{kind}" if kind != "ok" else "ok"] = dg.MetadataValue.int(
            counts.get(kind, 0)
        )
    metadata["preview"] = table(
        {
            "doi": c.doi,
            "problem": c.problem,
            "http_status": c.http_status,
            "detail": (c.detail or "")[:160],
        }
        for c in report.problems[:PREVIEW_ROWS]
    )
    return dg.MaterializeResult(metadata=metadata, check_results=[landing_check_result(report)])
