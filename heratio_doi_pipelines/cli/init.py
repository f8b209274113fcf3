"""``heratio-doi init``: create or upgrade the ahg_* tables, adopting Heratio's existing ones."""

from __future__ import annotations

import click

from heratio_doi_pipelines.db import doi_db_url, make_engine
from heratio_doi_pipelines.store.schema import init_database, require_tables, schema_status


@click.command("init")
@click.option(
    "--check",
    is_flag=True,
    help="Only report whether the tables exist and are current; change nothing.",
)
def init_command(check: bool) -> None:
    """Create or upgrade the DOI tables (HERATIO_DOI_DB_URL, default the embedded SQLite file).

    Tables that Heratio already created are adopted: only the pipeline's own nullable columns
    and indexes are added, Heratio's columns are never altered.
    """
    engine = make_engine(doi_db_url())
    try:
        click.echo(f"Database: {engine.url.render_as_string(hide_password=True)}")
        if check:
            require_tables(engine)
            status = schema_status(engine)
            click.echo(f"Revision: {status.revision or 'none'} (latest {status.head})")
            if not status.is_current:
                missing = ", ".join(status.missing_tables) or "none"
                raise click.ClickException(
                    f"schema is not current (missing tables: {missing}): run `heratio-doi init`"
                )
            click.echo("Schema is up to date.")
            from heratio_doi_pipelines.datacite_access import DataCiteAccess
            from heratio_doi_pipelines.queue.payload_cache import settings_warnings

            for warning in settings_warnings(DataCiteAccess(engine).settings):
                click.echo(f"Warning: {warning}", err=True)
            return
        for line in init_database(engine).lines():
            click.echo(line)
    finally:
        engine.dispose()
