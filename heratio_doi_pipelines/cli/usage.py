"""``events``, ``metrics``, ``funding`` and ``usage-report``: usage and funding commands."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click
import sqlalchemy as sa

from heratio_doi_pipelines.catalogue import atom_tables as atom
from heratio_doi_pipelines.datacite_access import DataCiteAccess
from heratio_doi_pipelines.db import cached_engine, catalogue_db_url, doi_db_url
from heratio_doi_pipelines.devtools.sample_logs import generate_access_log
from heratio_doi_pipelines.events.access_logs import backfill_metrics
from heratio_doi_pipelines.events.config import EventsConfig
from heratio_doi_pipelines.events.flush import count_due, flush_events
from heratio_doi_pipelines.events.status import event_status
from heratio_doi_pipelines.events.targets import load_usage_map
from heratio_doi_pipelines.events.usage_report import submit_usage_report
from heratio_doi_pipelines.funding.importer import import_funding_csv
from heratio_doi_pipelines.store.schema import require_tables

DAY = click.DateTime(formats=["%Y-%m-%d"])
MONTH = click.DateTime(formats=["%Y-%m"])
EVENT_TABLES = ("ahg_doi", "ahg_datacite_event")


def _doi_engine(*tables: str) -> sa.Engine:
    engine = cached_engine(doi_db_url())
    require_tables(engine, tables or EVENT_TABLES)
    return engine


def _events_config(engine: sa.Engine) -> EventsConfig:
    """The events settings; refused (before any request) when DataCite is not configured."""
    access = DataCiteAccess(engine)
    access.check("events", settings_check=False)
    return access.events_config()


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


@click.group("events")
def events_group() -> None:
    """DataCite events: send what was recorded, see where it stands."""


@events_group.command("flush")
@click.option("--limit", type=int, default=None, help="Most events to send in this run.")
@click.option(
    "--time-budget",
    type=float,
    default=None,
    help="Stop after this many seconds (the per-minute cap spreads big backlogs over hours).",
)
def flush_command(limit: int | None, time_budget: float | None) -> None:
    """Send pending (and due failed) events with PUT /events/{uuid}."""
    engine = _doi_engine()
    config = _events_config(engine)
    due = count_due(engine)
    length = min(due, limit) if limit is not None else due
    with click.progressbar(length=length, label=f"sending events to {config.url}") as bar:
        report = flush_events(
            engine,
            config,
            limit=limit,
            time_budget_s=time_budget,
            progress=lambda _o: bar.update(1),
        )
    for warning in report.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    click.echo(report.summary())
    for outcome in report.outcomes:
        if outcome.status != "sent":
            click.echo(f"  event {outcome.event_id} ({outcome.kind}): {outcome.message}")
    if report.stopped:
        click.secho(report.stopped, fg="red", err=True)
        raise SystemExit(2)


@events_group.command("status")
def status_command() -> None:
    """Events by kind (view, download, citation, relation) and state."""
    for line in event_status(_doi_engine()).lines():
        click.echo(line)


@click.group("metrics")
def metrics_group() -> None:
    """Usage metrics from web-server access logs."""


@metrics_group.command("backfill")
@click.option(
    "--log",
    "logs",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An access log (combined format, plain or gzip); repeat, or list more after it.",
)
@click.argument("more_logs", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--since", type=DAY, default=None, help="Only hits on or after this day (UTC).")
@click.option("--until", type=DAY, default=None, help="Only hits on or before this day (UTC).")
def backfill_command(
    logs: tuple[Path, ...],
    more_logs: tuple[Path, ...],
    since: datetime | None,
    until: datetime | None,
) -> None:
    """Count record views and downloads in access logs into daily usage events.

    Re-running over the same logs changes nothing; a log that grew replaces its earlier counts.
    """
    paths = [*logs, *more_logs]
    if not paths:
        raise click.UsageError("name at least one access log with --log FILE")
    engine = _doi_engine("ahg_doi", "ahg_datacite_event", "heratio_doi_usage_count")
    total = sum(p.stat().st_size for p in paths)
    with click.progressbar(length=total, label="reading access logs") as bar:
        report = backfill_metrics(
            engine,
            cached_engine(catalogue_db_url()),
            paths,
            since=_day(since),
            until=_day(until),
            progress=bar.update,
        )
    click.echo(report.summary())
    click.echo(
        f"{report.stats.lines / report.seconds if report.seconds else 0:,.0f} lines/s; "
        f"{report.dois_mapped} DOIs mapped; run `heratio-doi events flush` to send"
    )


@metrics_group.command("sample-log")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--lines", type=int, default=10_000, show_default=True)
@click.option("--gzip", "compress", is_flag=True, help="Write gzip (the name is not changed).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--days", type=float, default=7.0, show_default=True)
@click.option("--start", type=DAY, default=None, help="First day of the log (default 2026-03-01).")
def sample_log_command(
    out: Path, lines: int, compress: bool, seed: int, days: float, start: datetime | None
) -> None:
    """Write a realistic access log over the catalogue's records with a DOI."""
    engine = cached_engine(doi_db_url())
    catalogue = cached_engine(catalogue_db_url())
    usage_map = load_usage_map(engine, catalogue)
    views, downloads = usage_map.view_paths(), usage_map.download_paths()
    if not views:
        views = _any_slugs(catalogue)
        click.echo("no records with a findable DOI yet: using catalogue slugs")
    if not views:
        raise click.ClickException("the catalogue has no slugs to build a log from")
    summary = generate_access_log(
        out,
        views,
        downloads,
        lines=lines,
        seed=seed,
        days=days,
        compress=compress,
        start=start,
    )
    click.echo(
        f"wrote {summary.lines} lines to {out}: {summary.views} views, {summary.downloads} "
        f"downloads, {summary.robot_hits} robot hits, {summary.malformed} malformed"
    )


def _any_slugs(catalogue: sa.Engine, limit: int = 1000) -> list[str]:
    slug, io = atom.slug, atom.information_object
    with catalogue.connect() as conn:
        rows = conn.execute(
            sa.select(slug.c.slug)
            .join(io, io.c.id == slug.c.object_id)
            .where(io.c.id != 1)
            .order_by(slug.c.object_id)
            .limit(limit)
        )
        return [f"/{value}" for value in rows.scalars()]


@click.group("funding")
def funding_group() -> None:
    """Funding references (ahg_io_funding)."""


@funding_group.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def funding_import_command(csv_file: Path) -> None:
    """Import funding references from CSV; bad rows are listed and skipped."""
    engine = _doi_engine("ahg_doi", "ahg_doi_queue")
    report = import_funding_csv(engine, cached_engine(catalogue_db_url()), csv_file)
    for rejection in report.rejected:
        click.echo(f"  rejected {rejection}")
    click.echo(report.summary())


@click.command("usage-report")
@click.option("--month", type=MONTH, required=True, help="The month to report, YYYY-MM.")
@click.option("--no-gzip", "plain", is_flag=True, help="Send uncompressed JSON.")
@click.option("--force", is_flag=True, help="Send even if DataCite accepted the same report.")
def usage_report_command(month: datetime, plain: bool, force: bool) -> None:
    """Send the month's COUNTER usage report to DataCite (/reports, Bearer token)."""
    engine = _doi_engine("ahg_doi", "ahg_datacite_event", "heratio_doi_usage_report")
    config = _events_config(engine)
    result = submit_usage_report(engine, config, month.date(), compress=not plain, force=force)
    click.echo(result.summary())
    if result.status in ("failed", "rejected"):
        raise SystemExit(2)


def register(group: click.Group) -> None:
    group.add_command(events_group)
    group.add_command(metrics_group)
    group.add_command(funding_group)
    group.add_command(usage_report_command)
