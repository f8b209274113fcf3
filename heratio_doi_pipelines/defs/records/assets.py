"""Catalogue records waiting for DOIs: the start of every minting run."""


import dagster as dg
from pydantic import Field

from heratio_doi_pipelines.defs.shared.resources import HeratioDatabase
from heratio_doi_pipelines.queue.actions import MINT
from heratio_doi_pipelines.queue.enqueue import BATCH_MINT_CAP, enqueue_mint_batch, open_items


class BatchMintConfig(dg.Config):
    """Launchpad config for batch minting (the seed's batch-mint screen)."""

    record_ids: list[int] = Field(
        default_factory=list, description="Records to queue for minting (at most 100)."
    )
    all_without_doi: bool = Field(
        default=False, description="Queue records that have no DOI yet (capped at 100)."
    )
    target_state: str = Field(
        default="findable", description="DataCite state to mint into: findable, registered, draft."
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
    reports how many mint items are waiting. With no records selected it only reports."""
    result = enqueue_mint_batch(
        heratio_db.doi_engine(),
        heratio_db.catalogue_engine(),
        record_ids=config.record_ids,
        all_without_doi=config.all_without_doi,
        target_state=config.target_state,
        cap=BATCH_MINT_CAP,
    )
    waiting = open_items(heratio_db.doi_engine(), MINT)
    context.log.info(
        f"queued {result.count} records for mint ({len(result.already_queued)} already queued)"
    )
    return dg.MaterializeResult(
        metadata={
            "queued_now": dg.MetadataValue.int(result.count),
            "already_queued": dg.MetadataValue.int(len(result.already_queued)),
            "pending_mint_items": dg.MetadataValue.int(waiting.get("pending", 0)),
            "processing_mint_items": dg.MetadataValue.int(waiting.get("processing", 0)),
            "target_state": config.target_state,
        }
    )
