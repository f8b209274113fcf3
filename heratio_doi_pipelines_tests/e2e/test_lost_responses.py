"""DataCite applied the change but the answer was lost: a GET settles the item.

The emulator stores the PUT (or DELETE) and then drops the connection. Before the item is
retried or given up, the pipeline asks DataCite with a GET: a DOI held as asked completes
the item ("confirmed by GET after a lost response"); a DOI held in another state is sent
again without spending an attempt; a 404 or a GET that fails too is a failed attempt.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from heratio_doi_pipelines.datacite.client import DataCiteClient
from heratio_doi_pipelines.devtools.emulator import EmulatorHandle, Fault
from heratio_doi_pipelines.queue.enqueue import enqueue
from heratio_doi_pipelines.queue.lifecycle import LOST_RESPONSE_NOTE
from heratio_doi_pipelines.queue.processor import process_queue
from heratio_doi_pipelines.store.tables import ahg_doi, ahg_doi_log, ahg_doi_queue

from .conftest import PASSWORD, REPOSITORY_ID
from .test_item_outcomes import SQLITE_AND_POSTGRESQL, _mintable

PUT = frozenset({"PUT"})
LOST_PUT = Fault("drop", methods=PUT, apply_before_fault=True)


def _process(engine: sa.Engine, overrides: dict[str, str], **kwargs: Any) -> list[Any]:
    return process_queue(engine, engine, overrides=overrides, limit=100, **kwargs).outcomes


def _item(engine: sa.Engine, record_id: int, action: str) -> sa.Row:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(ahg_doi_queue).where(
                ahg_doi_queue.c.information_object_id == record_id,
                ahg_doi_queue.c.pipeline_action == action,
            )
        ).one()


def _doi(engine: sa.Engine, record_id: int) -> sa.Row:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(ahg_doi).where(ahg_doi.c.information_object_id == record_id)
        ).one()


def _notes(engine: sa.Engine, record_id: int, action: str) -> list[str | None]:
    with engine.connect() as conn:
        details = conn.execute(
            sa.select(ahg_doi_log.c.details).where(
                ahg_doi_log.c.information_object_id == record_id, ahg_doi_log.c.action == action
            )
        ).scalars()
        return [d.get("note") for d in details]


def _requests(emulator: EmulatorHandle, method: str) -> int:
    return sum(emulator.stats()["requests"].get(method, {}).values())


def _edit_title(engine: sa.Engine, record_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE information_object_i18n SET title = :t WHERE id = :id"),
            {"t": f"Edited title of record {record_id}", "id": record_id},
        )


def _prepare(action: str, engine: sa.Engine, overrides: dict[str, str], record_id: int) -> str:
    """Bring the record to where ``action`` applies; return the state DataCite should end in."""
    if action == "mint":
        return "findable"
    enqueue(engine, "mint", [record_id])
    assert [o.status for o in _process(engine, overrides)] == ["completed"]
    if action == "update":
        _edit_title(engine, record_id)
        return "findable"
    if action == "deactivate":
        return "registered"
    enqueue(engine, "deactivate", [record_id])
    assert [o.status for o in _process(engine, overrides)] == ["completed"]
    return "findable"


LOCAL_STATE = {"mint": "findable", "update": "findable", "deactivate": "tombstone"}


@SQLITE_AND_POSTGRESQL
@pytest.mark.parametrize("action", ["mint", "update", "deactivate", "reinstate"])
def test_a_lost_response_is_confirmed_by_get(
    action: str, archive: sa.Engine, emulator: EmulatorHandle, overrides: dict[str, str]
) -> None:
    [record_id] = _mintable(archive, 1)
    remote_state = _prepare(action, archive, overrides, record_id)
    enqueue(archive, action, [record_id])
    emulator.set_faults(script=[LOST_PUT])
    puts, gets = _requests(emulator, "PUT"), _requests(emulator, "GET")
    outcomes = _process(archive, overrides)
    assert [(o.status, o.message) for o in outcomes] == [("completed", LOST_RESPONSE_NOTE)]
    assert emulator.stats()["faults_injected"] == {"drop": 1}
    assert (_requests(emulator, "PUT") - puts, _requests(emulator, "GET") - gets) == (1, 1)
    item = _item(archive, record_id, action)
    assert (item.status, item.attempts, item.last_error) == ("completed", 1, None)
    doi = _doi(archive, record_id)
    assert doi.status == LOCAL_STATE.get(action, "findable")
    assert doi.confirmed_at is not None and doi.datacite_state == remote_state
    remote = emulator.state.doi(doi.doi)
    assert remote is not None and remote.state == remote_state and remote.created_count == 1
    assert remote.url == doi.url
    if action == "update":
        assert remote.attributes["titles"][0]["title"] == f"Edited title of record {record_id}"
    assert _notes(archive, record_id, action)[-1] == LOST_RESPONSE_NOTE


@SQLITE_AND_POSTGRESQL
def test_a_lost_response_on_the_last_allowed_attempt_completes_the_item(
    archive: sa.Engine, emulator: EmulatorHandle, overrides: dict[str, str]
) -> None:
    ids = _mintable(archive, 3)
    enqueue(archive, "mint", ids, max_attempts=1)
    emulator.set_faults(script=[LOST_PUT] * 3)
    outcomes = _process(archive, overrides, concurrency=1)
    assert [o.status for o in outcomes] == ["completed"] * 3
    for record_id in ids:
        assert _doi(archive, record_id).status == "findable"
        assert _item(archive, record_id, "mint").status == "completed"
    assert all(rec.created_count == 1 for rec in emulator.state.dois.values())


@SQLITE_AND_POSTGRESQL
@pytest.mark.parametrize("max_attempts", [3, 1])
def test_a_get_that_fails_too_counts_as_an_attempt_and_never_completes(
    max_attempts: int, archive: sa.Engine, emulator: EmulatorHandle, overrides: dict[str, str]
) -> None:
    [record_id] = _mintable(archive, 1)
    enqueue(archive, "mint", [record_id], max_attempts=max_attempts)
    emulator.set_faults(script=[LOST_PUT, Fault("503", methods=frozenset({"GET"}))])
    [outcome] = _process(archive, overrides)
    last = max_attempts == 1
    assert outcome.status == ("failed" if last else "retry")
    item = _item(archive, record_id, "mint")
    assert (item.status, item.attempts) == ("failed" if last else "pending", 1)
    assert item.last_error.startswith("PUT ") and "connection to DataCite" in item.last_error
    assert "the GET asking DataCite whether it landed failed too" in item.last_error
    assert "503" in item.last_error
    assert LOST_RESPONSE_NOTE not in _notes(archive, record_id, "mint")
    # DataCite holds it; the local row says so only once a later attempt is confirmed
    remote = emulator.state.doi(_doi(archive, record_id).doi)
    assert remote is not None and remote.state == "findable"


@SQLITE_AND_POSTGRESQL
def test_a_change_datacite_never_stored_is_a_failed_attempt(
    archive: sa.Engine, emulator: EmulatorHandle, overrides: dict[str, str]
) -> None:
    [record_id] = _mintable(archive, 1)
    enqueue(archive, "mint", [record_id])
    emulator.set_faults(script=[Fault("503", methods=PUT)])  # refused before storing
    [outcome] = _process(archive, overrides)
    assert outcome.status == "retry"
    item = _item(archive, record_id, "mint")
    assert (item.status, item.attempts) == ("pending", 1)
    assert "answered 503" in item.last_error
    assert emulator.state.dois == {}


@SQLITE_AND_POSTGRESQL
def test_a_doi_held_in_another_state_is_sent_again_without_spending_an_attempt(
    archive: sa.Engine, emulator: EmulatorHandle, overrides: dict[str, str]
) -> None:
    [record_id] = _mintable(archive, 1)
    enqueue(archive, "mint", [record_id], max_attempts=1)
    emulator.set_faults(script=[Fault("503", methods=PUT)])
    [first] = _process(archive, overrides)  # refused: the last attempt fails the item...
    assert first.status == "failed"
    doi = _doi(archive, record_id).doi
    client = DataCiteClient(emulator.url, REPOSITORY_ID, PASSWORD)
    try:  # ...while someone registered the DOI as a draft at DataCite meanwhile
        client.put_doi(doi, {"url": "https://archive.example.org/elsewhere"})
    finally:
        client.close()
    with archive.begin() as conn:
        conn.execute(
            ahg_doi_queue.update()
            .where(ahg_doi_queue.c.information_object_id == record_id)
            .values(status="pending", attempts=0)
        )
    emulator.set_faults(script=[Fault("503", methods=PUT)])
    [second] = _process(archive, overrides)
    assert second.status == "retry" and "holds DOI" in second.message
    item = _item(archive, record_id, "mint")
    assert (item.status, item.attempts) == ("pending", 0)  # the attempt was refunded
    with archive.begin() as conn:
        conn.execute(ahg_doi_queue.update().values(scheduled_at=None))
    [third] = _process(archive, overrides)
    assert third.status == "completed"
    remote = emulator.state.doi(doi)
    assert remote is not None and remote.state == "findable" and remote.created_count == 1
