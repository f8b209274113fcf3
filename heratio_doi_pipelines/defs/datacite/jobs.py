"""Jobs that run the DOI lifecycle in batches (one run, many records, in-process)."""

import dagster as dg

mint_job = dg.define_asset_job(
    "mint_job",
    selection=["pending_records", "doi_metadata_payloads", "minted_dois"],
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
