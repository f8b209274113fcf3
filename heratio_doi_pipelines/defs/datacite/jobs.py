"""Jobs that run the DOI lifecycle in batches (one run, many records, in-process)."""

from typing import Any

import dagster as dg

from heratio_doi_pipelines.defs.datacite.assets import QueueBatchConfig
from heratio_doi_pipelines.defs.records.assets import BatchMintConfig
from heratio_doi_pipelines.queue.batch_mint import check_batch_size


def _checked_mint_config(config: dict[str, Any]) -> dict[str, Any]:
    """Refuse an oversized batch at launch, before a run exists (the schema cannot bound a
    list's length); everything else the schema has already checked."""
    batch = config.get("ops", {}).get("pending_records", {}).get("config", {})
    check_batch_size(batch.get("record_ids", []))
    return config


def _optional(fields: dict[str, Any]) -> dg.Field:
    return dg.Field(fields, is_required=False)


# The launchpad's schema: the two configurable steps, typed as their assets declare them,
# plus loggers and resources passed through unchanged.
MINT_JOB_CONFIG = dg.ConfigMapping(
    config_fn=_checked_mint_config,
    config_schema={
        "ops": _optional(
            {
                "pending_records": _optional(
                    {"config": BatchMintConfig.to_config_schema().as_field()}
                ),
                "minted_dois": _optional(
                    {"config": QueueBatchConfig.to_config_schema().as_field()}
                ),
            }
        ),
        "loggers": dg.Field(dg.Permissive(), is_required=False),
        "resources": dg.Field(dg.Permissive(), is_required=False),
    },
)

mint_job = dg.define_asset_job(
    "mint_job",
    selection=["pending_records", "doi_metadata_payloads", "minted_dois"],
    config=MINT_JOB_CONFIG,
    description="Queue a batch of records (launchpad config) and mint every due mint item.",
    executor_def=dg.in_process_executor,
    tags={"heratio/job_kind": "mint"},
)

update_job = dg.define_asset_job(
    "update_job",
    selection=["doi_metadata_payloads", "updated_dois"],
    description="Send changed catalogue metadata to DataCite for every due update item.",
    executor_def=dg.in_process_executor,
    tags={"heratio/job_kind": "update"},
)

verify_job = dg.define_asset_job(
    "verify_job",
    selection=["verified_dois"],
    description="Check every due verify item against DataCite and record drift.",
    executor_def=dg.in_process_executor,
    tags={"heratio/job_kind": "verify"},
)

deactivate_job = dg.define_asset_job(
    "deactivate_job",
    selection=["deactivated_dois"],
    description="Tombstone (or reinstate) DOIs queued for deactivation.",
    executor_def=dg.in_process_executor,
    tags={"heratio/job_kind": "deactivate"},
)

sync_job = dg.define_asset_job(
    "sync_job",
    selection=["datacite_drift_report"],
    description="Compare every local DOI with DataCite in bulk and write the drift report.",
    executor_def=dg.in_process_executor,
    tags={"heratio/job_kind": "sync"},
)
