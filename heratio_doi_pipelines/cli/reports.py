"""``show``, ``browse``, ``queue`` and ``report``: Heratio's DOI view, browse, queue and
report screens in the terminal."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from tabulate import tabulate

from heratio_doi_pipelines.db import cached_engine, catalogue_db_url, doi_db_url
from heratio_doi_pipelines.paths import reports_dir
from heratio_doi_pipelines.reports.history import Page, browse_dois, doi_history, list_queue
from heratio_doi_pipelines.reports.queue_status import queue_counts
from heratio_doi_pipelines.store.schema import require_tables
from heratio_doi_pipelines.store.tables import DOI_STATES, QUEUE_STATES

TITLE_WIDTH = 50


def _engines() -> tuple[sa.Engine, sa.Engine]:
    doi_engine = cached_engine(doi_db_url())
    require_tables(doi_engine)
    return doi_engine, cached_engine(catalogue_db_url())


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def _short(text: str | None, width: int = TITLE_WIDTH) -> str:
    if not text:
        return "-"
    return text if len(text) <= width else text[: width - 1] + "…"


def _details(details: Any) -> str:
    if details is None or details == "":
        return ""
    if isinstance(details, str):
        return details
    return json.dumps(details, ensure_ascii=False, sort_keys=True, default=str)


@click.command("show")
@click.argument("doi")
def show_command(doi: str) -> None:
    """Print a DOI (or ahg_doi id) with its record, state, timestamps and activity log."""
    doi_engine, catalogue_engine = _engines()
    history = doi_history(doi_engine, doi, catalogue_engine)
    if history is None:
        raise click.ClickException(f"DOI not found: {doi}")
    state = history.status
    if history.datacite_state and history.datacite_state != history.status:
        state += f" (DataCite: {history.datacite_state})"
    fields = [
        ("DOI", history.doi),
        ("Record", f"{history.information_object_id}  {history.title or ''}".rstrip()),
        ("State", state),
        ("URL", history.url or "-"),
        ("Created", _when(history.created_at)),
        ("Minted", _when(history.minted_at)),
        ("Updated", _when(history.updated_at)),
        ("Last sync", _when(history.last_sync_at)),
    ]
    if history.last_error:
        fields.append(("Last error", history.last_error))
    fields.extend(_landing_page_fields(doi_engine, history.id))
    click.echo(tabulate(fields, tablefmt="plain"))
    click.echo(f"\nActivity log ({len(history.log)} entries)")
    if history.log:
        rows = [
            (
                _when(entry.performed_at),
                entry.action,
                f"{entry.status_before or '-'} -> {entry.status_after or '-'}",
                _details(entry.details),
            )
            for entry in history.log
        ]
        click.echo(tabulate(rows, headers=["when", "action", "state", "details"]))


def _landing_page_fields(doi_engine: sa.Engine, doi_id: int) -> list[tuple[str, str]]:
    """The DOI's last landing-page check (``heratio-doi linkcheck``), when there is one."""
    from heratio_doi_pipelines.store.landing_checks import check_for_doi

    if not sa.inspect(doi_engine).has_table("heratio_doi_landing_check"):
        return []
    with doi_engine.connect() as conn:
        check = check_for_doi(conn, doi_id)
    if check is None:
        return [("Landing page", "never checked (heratio-doi linkcheck)")]
    status = f"HTTP {check.http_status}" if check.http_status else "no answer"
    fields = [
        ("Landing page", f"{check.problem or 'ok'} ({status}, checked {_when(check.checked_at)})"),
        ("Resolves to", check.handle_target or "-"),
    ]
    if check.problem:
        fields.append(("Landing problem", check.detail or check.problem))
    if check.repair:
        fields.append(("Repair", f"{check.repair} queued"))
    return fields


@click.command("browse")
@click.option("--state", type=click.Choice(DOI_STATES), default=None, help="Only this state.")
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True)
def browse_command(state: str | None, page: int) -> None:
    """List DOIs, most recently minted first, 20 per page."""
    doi_engine, catalogue_engine = _engines()
    result = browse_dois(doi_engine, state=state, page=page, catalogue_engine=catalogue_engine)
    rows = [
        (
            item.id,
            item.doi,
            item.status,
            _when(item.minted_at),
            item.information_object_id,
            _short(item.title),
        )
        for item in result.items
    ]
    click.echo(tabulate(rows, headers=["id", "doi", "state", "minted", "record", "title"]))
    what = f"{state} DOIs" if state else "DOIs"
    click.echo(f"\n{_page_line(result, what)}")


def _page_line(result: Page[Any], what: str) -> str:
    """ "page 2 of 7 (140 DOIs)"; past the last page, says so and shows the last one."""
    line = f"page {result.page} of {result.pages} ({result.total} {what})"
    if result.clamped:
        line = f"there is no page {result.requested_page}: showing the last page. " + line
    return line


@click.command("queue")
@click.option(
    "--status",
    type=click.Choice([*QUEUE_STATES, "in_progress"]),
    default=None,
    help="Only items in this state (processing includes Heratio's in_progress).",
)
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True)
def queue_command(status: str | None, page: int) -> None:
    """Show the work queue: items per state, then the items, newest first."""
    doi_engine, catalogue_engine = _engines()
    counts = queue_counts(doi_engine)
    click.echo("queue items by status: " + "  ".join(f"{name}: {n}" for name, n in counts.items()))
    result = list_queue(doi_engine, status=status, page=page, catalogue_engine=catalogue_engine)
    rows = [
        (
            item.id,
            item.information_object_id,
            _short(item.title, 30),
            item.action,
            item.status,
            f"{item.attempts}/{item.max_attempts}",
            _when(item.scheduled_at),
            _short(item.last_error, 60) if item.last_error else "",
        )
        for item in result.items
    ]
    click.echo()
    headers = ["id", "record", "title", "action", "status", "attempts", "scheduled", "last error"]
    click.echo(tabulate(rows, headers=headers))
    click.echo(f"\n{_page_line(result, 'items')}")


@click.command("report")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the CSVs (default: HERATIO_DOI_REPORTS_DIR or data/reports).",
)
def report_command(out_dir: Path | None) -> None:
    """Write the monthly and by-repository reports as CSV (and the monthly chart)."""
    from heratio_doi_pipelines.reports.export import (  # matplotlib: only when reporting
        export_monthly_report,
        export_repository_report,
    )

    doi_engine, catalogue_engine = _engines()
    folder = out_dir or reports_dir()
    monthly = export_monthly_report(doi_engine, folder)
    by_repository = export_repository_report(doi_engine, folder, catalogue_engine)
    click.echo(str(monthly.combined_csv))
    click.echo(str(by_repository.path))
    click.echo(str(monthly.chart_png))


def register(group: click.Group) -> None:
    for command in (show_command, browse_command, queue_command, report_command):
        group.add_command(command)
