"""Catalogue records waiting for DOIs: the start of every minting run."""

import enum

import dagster as dg
import pandas as pd
from pydantic import Field

from heratio_doi_pipelines.defs.shared.resources import DataCite, HeratioDatabase
from heratio_doi_pipelines.defs.shared.tables import table
from heratio_doi_pipelines.metadata import PayloadSummary
from heratio_doi_pipelines.paths import reports_dir
from heratio_doi_pipelines.queue.actions import MINT
from heratio_doi_pipelines.queue.batch_mint import (
    BATCH_MINT_CAP,
    BatchTooLargeError,
    UnknownRecordsError,
    enqueue_mint_batch,
)
from heratio_doi_pipelines.queue.enqueue import open_items
from heratio_doi_pipelines.queue.payload_cache import (
    build_and_store_payloads,
    preflight_report,
    queued_record_ids,
)


class TargetState(enum.Enum):
    """The DataCite states a batch can be minted into (``queue.actions.TARGET_STATES``)."""

    findable = "findable"
    registered = "registered"
    draft = "draft"


class PreflightConfig(dg.Config):
    """Launchpad config for the pre-flight report."""

    workers: int = Field(
        default=1,
        ge=1,
        description="Processes that build and validate the metadata (one per CPU core to "
        "spare: a million records take about 15 minutes per core).",
    )


class BatchMintConfig(dg.Config):
    """Launchpad config for batch minting (Heratio's batch-mint screen, /admin/doi/batch-mint)."""

    record_ids: list[int] = Field(
        default_factory=list,
        description=f"Records to queue for minting (at most {BATCH_MINT_CAP}; every id must be "
        "a description in the catalogue).",
    )
    all_without_doi: bool = Field(
        default=False,
        description=f"Also queue up to {BATCH_MINT_CAP} records that have no DOI yet (records "
        "whose last mint failed and that have not changed since are left out).",
    )
    target_state: TargetState = Field(
        default=TargetState.findable, description="DataCite state to mint into."
    )


@dg.asset(
    group_name="records",
    kinds={"sql"},
    owners=["team:digital-preservation"],
    tags={"heratio/area": "records"},
)
def pending_records(
    context: dg.AssetExecutionContext, config: BatchMintConfig, heratio_db: HeratioDatabase
) -> dg.MaterializeResult:
    """Catalogue records queued for a DOI: adds the launchpad's batch to the work queue and
    reports how many mint items are waiting. With no records selected it only reports. A
    batch of unknown record ids, or of more than 100, fails before anything is queued."""
    try:
        result = enqueue_mint_batch(
            heratio_db.doi_engine(),
            heratio_db.catalogue_engine(),
            record_ids=config.record_ids,
            all_without_doi=config.all_without_doi,
            target_state=config.target_state.value,
            cap=BATCH_MINT_CAP,
        )
    except (BatchTooLargeError, UnknownRecordsError) as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    waiting = open_items(heratio_db.doi_engine(), MINT)
    context.log.info(result.summary())
    return dg.MaterializeResult(
        metadata={
            "queued_now": dg.MetadataValue.int(result.count),
            "already_queued": dg.MetadataValue.int(len(result.already_queued)),
            "taken_without_doi": dg.MetadataValue.int(result.taken_without_doi),
            "remaining_without_doi": dg.MetadataValue.int(result.remaining_without_doi),
            "left_out_failed_unchanged": dg.MetadataValue.int(len(result.held_back)),
            "pending_mint_items": dg.MetadataValue.int(waiting.get("pending", 0)),
            "processing_mint_items": dg.MetadataValue.int(waiting.get("processing", 0)),
            "target_state": config.target_state.value,
            "summary": dg.MetadataValue.text(result.summary()),
        }
    )


def _payload_metadata(batch: PayloadSummary) -> dict[str, dg.MetadataValue]:
    metadata: dict[str, dg.MetadataValue] = {
        name: dg.MetadataValue.int(value) for name, value in batch.counts().items()
    }
    rows = [
        {"record": p.record_id, "doi": p.doi, "result": "rejected", "reasons": "; ".join(p.errors)}
        for p in batch.rejected
    ] + [
        {"record": p.record_id, "doi": p.doi, "result": "warned", "reasons": "; ".join(p.warnings)}
        for p in batch.warned
    ]
    if rows:
        frame = pd.DataFrame(rows)
        frame["reasons"] = frame["reasons"].str.slice(0, 200)
        metadata["preview"] = table(frame)
    return metadata


@dg.asset(
    deps=["pending_records"],
    group_name="records",
    kinds={"python", "xml"},
    owners=["team:digital-preservation"],
    tags={"heratio/area": "records"},
)
def doi_metadata_payloads(
    context: dg.AssetExecutionContext, heratio_db: HeratioDatabase, datacite: DataCite
) -> dg.MaterializeResult:
    """DataCite Kernel-4.7 payloads (JSON and XML, validated against the official XSD) of every
    record pending mint or update, stored so the sending steps send exactly what was validated.
    Rejected records keep their reasons; they are never sent."""
    engine = heratio_db.doi_engine()
    batch = build_and_store_payloads(
        engine,
        heratio_db.catalogue_engine(),
        queued_record_ids(engine),
        overrides=datacite.access(engine).overrides,
    )
    context.log.info(
        f"{batch.valid_count} valid payloads, {batch.rejected_count} rejected, "
        f"{batch.warned_count} with warnings"
    )
    return dg.MaterializeResult(metadata=_payload_metadata(batch))


@dg.asset(
    group_name="records",
    kinds={"python", "csv"},
    owners=["team:digital-preservation"],
    tags={"heratio/area": "records"},
    check_specs=[
        dg.AssetCheckSpec(
            "no_rejected_records",
            asset="metadata_preflight_report",
            description="Every record that would be minted or updated has valid metadata.",
        ),
        dg.AssetCheckSpec(
            "settings_fit_the_site",
            asset="metadata_preflight_report",
            description="Tombstoned DOIs land on the catalogue's own host (base_url).",
        ),
    ],
)
def metadata_preflight_report(
    context: dg.AssetExecutionContext,
    config: PreflightConfig,
    heratio_db: HeratioDatabase,
    datacite: DataCite,
) -> dg.MaterializeResult:
    """Pre-flight validation: builds and validates the metadata of every record that would be
    minted (no DOI yet) or updated (queued), and writes a CSV of the records that would be
    rejected and why, so archivists can fix the catalogue before minting."""
    path = reports_dir() / "metadata_preflight_rejections.csv"
    engine = heratio_db.doi_engine()
    batch, path = preflight_report(
        engine,
        heratio_db.catalogue_engine(),
        path,
        overrides=datacite.access(engine).overrides,
        workers=config.workers,
    )
    metadata = _payload_metadata(batch)
    metadata["rejections_csv"] = dg.MetadataValue.path(str(path))
    for warning in batch.config_warnings:
        context.log.warning(warning)
    if batch.config_warnings:
        metadata["settings_warnings"] = dg.MetadataValue.md(
            "\n".join(f"- {w}" for w in batch.config_warnings)
        )
    return dg.MaterializeResult(
        metadata=metadata,
        check_results=[
            dg.AssetCheckResult(
                check_name="no_rejected_records",
                passed=batch.rejected_count == 0,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={
                    "rejected": dg.MetadataValue.int(batch.rejected_count),
                    "rejections_csv": dg.MetadataValue.path(str(path)),
                },
            ),
            dg.AssetCheckResult(
                check_name="settings_fit_the_site",
                passed=not batch.config_warnings,
                severity=dg.AssetCheckSeverity.WARN,
                description="; ".join(batch.config_warnings) or None,
            ),
        ],
    )
