"""``enqueue``, ``process`` and ``status``: the work queue from the terminal."""

from __future__ import annotations

from datetime import timedelta
from time import monotonic

import click

from heratio_doi_pipelines.datacite_access import DataCiteAccess
from heratio_doi_pipelines.db import cached_engine, catalogue_db_url, doi_db_url
from heratio_doi_pipelines.queue.actions import ACTIONS, MINT, TARGET_STATES
from heratio_doi_pipelines.queue.batch_mint import BATCH_MINT_CAP, enqueue_mint_batch
from heratio_doi_pipelines.queue.enqueue import enqueue
from heratio_doi_pipelines.queue.transitions import DEFAULT_LEASE
from heratio_doi_pipelines.store.schema import require_tables


@click.command("enqueue")
@click.argument("action", type=click.Choice(ACTIONS))
@click.option("--record", "records", type=int, multiple=True, help="Record id (repeatable).")
@click.option("--all-without-doi", is_flag=True, help="mint: every record without a DOI.")
@click.option("--all", "all_records", is_flag=True, help="update/verify/deactivate: every DOI.")
@click.option(
    "--state",
    type=click.Choice(TARGET_STATES),
    default="findable",
    show_default=True,
    help="mint: the DataCite state to mint into.",
)
@click.option("--limit", type=int, default=None, help="Most records to queue.")
def enqueue_command(
    action: str,
    records: tuple[int, ...],
    all_without_doi: bool,
    all_records: bool,
    state: str,
    limit: int | None,
) -> None:
    """Queue ACTION for records; the queue processor does the DataCite calls."""
    doi_engine = cached_engine(doi_db_url())
    require_tables(doi_engine)
    if not records and not all_without_doi and not all_records:
        raise click.UsageError("name records with --record, or use --all-without-doi / --all")
    if action == MINT:
        if all_records:
            raise click.UsageError("mint takes --all-without-doi, not --all")
        # the terminal takes any number of named records; --limit caps the batch
        default_cap = 10**9 if all_without_doi else max(BATCH_MINT_CAP, len(records))
        batch = enqueue_mint_batch(
            doi_engine,
            cached_engine(catalogue_db_url()),
            record_ids=records,
            all_without_doi=all_without_doi,
            target_state=state,
            cap=limit if limit is not None else default_cap,
        )
        click.echo(batch.summary())
        return
    if all_without_doi:
        raise click.UsageError("--all-without-doi only applies to mint")
    ids = list(records)
    if all_records:
        from heratio_doi_pipelines.store.dois import record_ids_with_doi

        ids.extend(record_ids_with_doi(doi_engine))
    result = enqueue(doi_engine, action, ids[:limit] if limit else ids)
    click.echo(
        f"queued {result.count} record(s) for {action}"
        + (f"; {len(result.already_queued)} already queued" if result.already_queued else "")
    )


@click.command("process")
@click.option("--limit", type=int, default=100, show_default=True, help="Most items to process.")
@click.option("--action", "actions", type=click.Choice(ACTIONS), multiple=True)
@click.option("--concurrency", type=int, default=16, show_default=True)
@click.option(
    "--lease-seconds",
    type=int,
    default=int(DEFAULT_LEASE.total_seconds()),
    show_default=True,
    help="How long a dead worker's items stay claimed (a heartbeat renews live ones).",
)
@click.option(
    "--bulk",
    is_flag=True,
    help="Use the bulk budget (doi_bulk_rate_limit, default 500 per 5 minutes) whatever the "
    "batch size; batches past doi_bulk_threshold, and batches with due items queued in bulk "
    "mode (sync --repair of outdated metadata), use it anyway.",
)
def process_command(
    limit: int, actions: tuple[str, ...], concurrency: int, lease_seconds: int, bulk: bool
) -> None:
    """Process due queue items once, then exit."""
    from heratio_doi_pipelines.catalogue.owners import RecordOwners
    from heratio_doi_pipelines.notify import notification_settings, notifier_from_settings
    from heratio_doi_pipelines.queue.enqueue import bulk_requested
    from heratio_doi_pipelines.queue.processor import process_queue

    doi_engine = cached_engine(doi_db_url())
    require_tables(doi_engine)
    queued_in_bulk = bulk_requested(doi_engine, list(actions) or None)
    if queued_in_bulk and not bulk:
        click.echo("queued items ask for the bulk budget (sync --repair): this batch uses it")
    access = DataCiteAccess(doi_engine)
    for warning in access.warnings:
        click.echo(f"warning: {warning}", err=True)
    catalogue_engine = cached_engine(catalogue_db_url())
    notifier = notifier_from_settings(
        notification_settings(doi_engine, access.overrides),
        owner_lookup=RecordOwners(catalogue_engine),
    )
    try:
        started = monotonic()

        def sending(_outcome: object) -> str:
            """The rate so far, beside the bar: requests, 429s, accepted per second."""
            totals = access.totals()
            rate = totals.accepted / max(monotonic() - started, 1e-6)
            return f"{totals.requests_sent} requests, {totals.rate_limited} x 429, {rate:.1f}/s"

        with click.progressbar(
            length=limit, label="processing queue", item_show_func=sending
        ) as bar:
            report = process_queue(
                doi_engine,
                catalogue_engine,
                access=access,
                bulk=bulk or queued_in_bulk or None,
                limit=limit,
                actions=list(actions) or None,
                concurrency=concurrency,
                lease=timedelta(seconds=lease_seconds),
                listener=notifier,
                progress=lambda outcome: bar.update(1, outcome),
            )
    finally:
        mail = notifier.flush() if notifier else None
        access.close()
    if report.refused:
        raise click.ClickException(report.refused)
    click.echo(report.summary())
    click.echo(report.rate_summary())
    for outcome in report.outcomes:
        if outcome.status in ("failed", "retry"):
            click.echo(f"  record {outcome.record_id} ({outcome.action}): {outcome.message}")
    if mail is not None and (mail.sent or mail.failed):
        click.echo(f"mail: {mail.summary()}", err=not mail.ok)
    if report.auth_error:
        raise SystemExit(2)


@click.command("sync")
@click.option(
    "--repair",
    is_flag=True,
    help="Queue the updates that make DataCite agree (those of outdated metadata in bulk mode).",
)
def sync_command(repair: bool) -> None:
    """Compare every local DOI with DataCite in bulk; print and save the drift report."""
    from heratio_doi_pipelines.paths import reports_dir
    from heratio_doi_pipelines.queue.sync import run_sync

    engine = cached_engine(doi_db_url())
    access = DataCiteAccess(engine)
    try:
        report, path = run_sync(
            engine,
            access,
            repair=repair,
            out_dir=reports_dir(),
            catalogue_engine=cached_engine(catalogue_db_url()),
        )
    finally:
        access.close()
    click.echo(report.summary())
    for drift in report.drift[:20]:
        click.echo(
            f"  {drift.kind:20} {drift.doi}  local={drift.local!r} datacite={drift.datacite!r}"
        )
    if len(report.drift) > 20:
        click.echo(f"  ... {len(report.drift) - 20} more")
    click.echo(f"drift report: {path}")


@click.command("status")
def status_command() -> None:
    """The dashboard: DOI counts by state, pending queue items, the ten newest DOIs."""
    from heratio_doi_pipelines.reports.dashboard import COUNT_LABELS, dashboard
    from heratio_doi_pipelines.settings import config_warnings

    doi_engine = cached_engine(doi_db_url())
    require_tables(doi_engine)
    for warning in config_warnings(doi_engine):
        click.echo(f"warning: {warning}")
    board = dashboard(doi_engine, cached_engine(catalogue_db_url()))
    width = max(len(COUNT_LABELS.get(name, name)) for name in board.counts)
    for name, value in board.counts.items():
        click.echo(f"{COUNT_LABELS.get(name, name):<{width}}  {value}")
    if board.recent:
        click.echo("\nmost recently created DOIs:")
        for item in board.recent:
            click.echo(f"  {item.doi:<40} {item.status:<11} {(item.title or '')[:60]}")


def register(group: click.Group) -> None:
    group.add_command(enqueue_command)
    group.add_command(process_command)
    group.add_command(sync_command)
    group.add_command(status_command)
