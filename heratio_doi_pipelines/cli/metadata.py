"""``heratio-doi metadata RECORD_ID``: show the DataCite payload a record would be sent with."""

from __future__ import annotations

import json

import click

from heratio_doi_pipelines.catalogue.reader import CatalogueReader
from heratio_doi_pipelines.clock import utcnow
from heratio_doi_pipelines.datacite_access import DataCiteAccess
from heratio_doi_pipelines.db import cached_engine, catalogue_db_url, doi_db_url
from heratio_doi_pipelines.metadata import build_payload, context_from_settings, payload_for_send
from heratio_doi_pipelines.metadata.mapping import TARGET_REGISTERED
from heratio_doi_pipelines.store.dois import doi_for_record


@click.command("metadata")
@click.argument("record_id", type=int)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["json", "xml"]),
    default="json",
    show_default=True,
    help="json: the JSON:API body for /dois; xml: the Kernel-4 XML document.",
)
def metadata_command(record_id: int, output_format: str) -> None:
    """Print the validated payload for RECORD_ID, or why it cannot be sent (exit status 1)."""
    doi_engine = cached_engine(doi_db_url())
    catalogue_engine = cached_engine(catalogue_db_url())
    records = CatalogueReader(catalogue_engine, doi_engine=doi_engine).read_records([record_id])
    if not records:
        raise click.ClickException(f"record {record_id} not found in the catalogue")
    record = records[0]
    settings = DataCiteAccess(doi_engine).settings.for_repository(record.repository_id)
    with doi_engine.connect() as conn:
        existing = doi_for_record(conn, record_id)
    ctx = context_from_settings(settings, year=utcnow().year)
    payload = build_payload(record, ctx, existing.doi if existing else None)
    for warning in payload.warnings:
        click.echo(f"warning: {warning}", err=True)
    if payload.errors:
        click.echo(f"record {record_id} ({payload.doi}) cannot be sent:", err=True)
        for error in payload.errors:
            click.echo(f"  - {error}", err=True)
        raise SystemExit(1)
    if output_format == "xml":
        click.echo((payload.xml or b"").decode("utf-8"), nl=False)
        return
    event = "register" if payload.target_state == TARGET_REGISTERED else "publish"
    body = payload_for_send(payload, event=event, xml_mode=ctx.xml_mode)
    click.echo(json.dumps(body, indent=2, ensure_ascii=False))
