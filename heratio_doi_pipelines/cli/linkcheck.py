"""``linkcheck``: landing-page health of every confirmed DOI, from the terminal."""

from __future__ import annotations

import click

from heratio_doi_pipelines.datacite_access import deployment_overrides
from heratio_doi_pipelines.db import cached_engine, catalogue_db_url, doi_db_url
from heratio_doi_pipelines.linkcheck import CHECKED_STATES

SHOWN_PROBLEMS = 20


@click.command("linkcheck")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Most DOIs to check.")
@click.option(
    "--state",
    "states",
    type=click.Choice(CHECKED_STATES),
    multiple=True,
    help="Only DOIs in this state (repeatable; default: all three).",
)
@click.option("--repair", is_flag=True, help="Queue an update for each DOI whose slug changed.")
def linkcheck_command(limit: int | None, states: tuple[str, ...], repair: bool) -> None:
    """Check that each DOI resolves to its registered URL, whose page answers and shows the DOI.

    The oldest results are checked first, so repeated runs with --limit cover every DOI.
    """
    from heratio_doi_pipelines.linkcheck import run_linkcheck
    from heratio_doi_pipelines.paths import reports_dir

    click.echo("checking landing pages (oldest results first)...", err=True)
    report = run_linkcheck(
        cached_engine(doi_db_url()),
        cached_engine(catalogue_db_url()),
        deployment_overrides(),
        out_dir=reports_dir(),
        states=states or CHECKED_STATES,
        limit=limit,
        repair=repair,
    )
    click.echo(report.summary())
    problems = report.problems
    for check in problems[:SHOWN_PROBLEMS]:
        repaired = f" [queued {check.repair}]" if check.repair else ""
        click.echo(f"  {check.problem:20} {check.doi}  {check.detail or ''}{repaired}")
    if report.problem_count > SHOWN_PROBLEMS:
        click.echo(f"  ... {report.problem_count - SHOWN_PROBLEMS} more in the CSV")
    click.echo(f"landing-page report: {report.csv_path}")
