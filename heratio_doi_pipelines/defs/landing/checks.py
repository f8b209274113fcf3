"""The landing-page check: an ERROR when a DOI resolves elsewhere or lands on an error page."""

import dagster as dg

from heratio_doi_pipelines.defs.shared.tables import table
from heratio_doi_pipelines.linkcheck import BREAKING_PROBLEMS, LinkcheckReport

LANDING_CHECK = "dois_land_on_their_records"
PREVIEW_ROWS = 20


def landing_check_spec(asset: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        name=LANDING_CHECK,
        asset=asset,
        description=(
            "Fails (ERROR) when any DOI resolves to a URL other than the registered one, or its "
            "page is missing, answers an HTTP error, loops, times out or cannot be reached: "
            + ", ".join(sorted(BREAKING_PROBLEMS))
            + "."
        ),
    )


def landing_check_result(report: LinkcheckReport) -> dg.AssetCheckResult:
    broken = report.broken
    metadata: dict[str, dg.MetadataValue] = {
        "broken_dois": dg.MetadataValue.int(report.broken_count)
    }
    if broken:
        metadata["broken_preview"] = table(
            {"doi": c.doi, "problem": c.problem, "detail": c.detail} for c in broken[:PREVIEW_ROWS]
        )
    return dg.AssetCheckResult(
        check_name=LANDING_CHECK,
        passed=not broken,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
        description=(
            f"{report.broken_count} DOI(s) resolve elsewhere or land on an error page"
            if broken
            else "every checked DOI lands on its record's page"
        ),
    )
