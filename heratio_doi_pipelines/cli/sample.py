"""``heratio-doi sample``: write a deterministic sample archive into the catalogue database."""

from __future__ import annotations

import time

import click

from heratio_doi_pipelines.db import catalogue_db_url, make_engine


@click.command("sample")
@click.option("--records", type=click.IntRange(min=1), required=True, help="Descriptions to write.")
@click.option("--seed", type=int, default=42, show_default=True, help="Same seed, same archive.")
@click.option(
    "--db",
    "db_url",
    default=None,
    help="Catalogue database URL (default: HERATIO_CATALOGUE_DB_URL, else the DOI database).",
)
def sample_command(records: int, seed: int, db_url: str | None) -> None:
    """Write RECORDS AtoM-shaped sample descriptions (appends after existing ones)."""
    from heratio_doi_pipelines.devtools.sample_archive import generate_sample_archive

    engine = make_engine(db_url or catalogue_db_url())
    try:
        started = time.perf_counter()
        summary = generate_sample_archive(engine, records=records, seed=seed)
        elapsed = time.perf_counter() - started
    finally:
        engine.dispose()
    click.echo(summary.as_text())
    rate = summary.records / max(elapsed, 1e-9)
    click.echo(f"  written in {elapsed:.1f} s ({rate:,.0f} records/s)")
    click.echo(f"  database: {engine.url.render_as_string(hide_password=True)}")
