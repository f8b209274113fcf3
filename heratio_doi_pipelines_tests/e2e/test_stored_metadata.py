"""What DataCite stored is read back after every accepted write and compared with what was sent."""

from __future__ import annotations

import sqlalchemy as sa

from heratio_doi_pipelines.defs.datacite.assets import report_metadata
from heratio_doi_pipelines.devtools.emulator import EmulatorHandle
from heratio_doi_pipelines.queue.batch_mint import enqueue_mint_batch
from heratio_doi_pipelines.queue.processor import process_queue
from heratio_doi_pipelines.store.tables import ahg_doi_log


def _mint_logs(engine: sa.Engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(ahg_doi_log.c.details).where(
                ahg_doi_log.c.action == "mint", ahg_doi_log.c.status_after == "findable"
            )
        )
        return [r.details for r in rows]


def test_an_altered_stored_copy_is_reported_as_stored_differs(
    archive: sa.Engine, emulator: EmulatorHandle, overrides: dict[str, str]
) -> None:
    enqueue_mint_batch(archive, archive, all_without_doi=True, cap=4)
    faithful = process_queue(archive, archive, overrides=overrides, limit=4)
    assert [o.status for o in faithful.outcomes].count("completed") >= 2
    assert faithful.stored_differs == 0
    assert all("drift" not in details for details in _mint_logs(archive))

    emulator.configure(store_altered=True)
    enqueue_mint_batch(archive, archive, all_without_doi=True, cap=4)
    altered = process_queue(archive, archive, overrides=overrides, limit=4)
    completed = [o for o in altered.outcomes if o.status == "completed"]
    assert completed
    assert all(o.stored_differs == ["publicationYear", "titles"] for o in completed)
    assert altered.stored_differs == len(completed)
    assert report_metadata(altered)["stored_differs"].value == len(completed)

    drifts = [d["drift"]["stored_differs"] for d in _mint_logs(archive) if "drift" in d]
    assert len(drifts) == len(completed)
    for drift in drifts:
        assert drift["fields"] == ["publicationYear", "titles"]
        assert drift["schema_version"] == "4.7"
        assert any("publicationYear" in error for error in drift["xsd_errors"])
