"""Every claimed item ends with an outcome, whatever is raised while it runs.

A record the catalogue cannot read, or an exception in any phase of one item (reading its
DOI row, building its payload, sending it, recording the result), ends that item with its
reason; the rest of the batch is minted as usual and nothing stays ``processing``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from heratio_doi_pipelines.catalogue.reader import CatalogueReader
from heratio_doi_pipelines.datacite.client import DataCiteClient
from heratio_doi_pipelines.devtools.emulator import EmulatorHandle
from heratio_doi_pipelines.metadata import MetadataContext, build_payload
from heratio_doi_pipelines.queue import lifecycle, prepare
from heratio_doi_pipelines.queue.enqueue import enqueue
from heratio_doi_pipelines.queue.processor import process_queue
from heratio_doi_pipelines.store.tables import ahg_doi, ahg_doi_log, ahg_doi_queue

from .conftest import PASSWORD, PREFIX

SQLITE_AND_POSTGRESQL = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


def _mintable(engine: sa.Engine, count: int) -> list[int]:
    reader = CatalogueReader(engine)
    ctx = MetadataContext(
        prefix=PREFIX, publisher="Test", base_url="https://archive.example.org", year=2026
    )
    ids = [
        r.id
        for r in reader.read_records(reader.records_without_doi())
        if r.publication_status != "draft" and build_payload(r, ctx).ok
    ]
    assert len(ids) >= count
    return ids[:count]


def _queue(engine: sa.Engine) -> dict[int, sa.Row]:
    with engine.connect() as conn:
        return {r.information_object_id: r for r in conn.execute(sa.select(ahg_doi_queue))}


def _failure_logs(engine: sa.Engine, record_id: int) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        details = conn.execute(
            sa.select(ahg_doi_log.c.details).where(ahg_doi_log.c.information_object_id == record_id)
        ).scalars()
        return [d for d in details if d and d.get("outcome") == "failed"]


def _poison_sqlite(engine: sa.Engine, record_id: int) -> str:
    """A title that is not valid UTF-8, as a site's bad import leaves it."""
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE information_object_i18n SET title = CAST(X'426164FFFE' AS TEXT) "
                "WHERE id = :id"
            ),
            {"id": record_id},
        )
    return "OperationalError: Could not decode to UTF-8"


def _poison_postgresql(engine: sa.Engine, record_id: int) -> str:
    """PostgreSQL refuses invalid text, so a broken view stands in: reading one row fails."""
    columns = [c["name"] for c in sa.inspect(engine).get_columns("information_object_i18n")]
    select = ", ".join(
        f"CASE WHEN id = {record_id} THEN (1 / (id - {record_id}))::text ELSE title END AS title"
        if name == "title"
        else name
        for name in columns
    )
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE information_object_i18n RENAME TO io_i18n_stored"))
        conn.execute(
            sa.text(f"CREATE VIEW information_object_i18n AS SELECT {select} FROM io_i18n_stored")
        )
    return "DivisionByZero: division by zero"


POISON: dict[str, Callable[[sa.Engine, int], str]] = {
    "sqlite": _poison_sqlite,
    "postgresql": _poison_postgresql,
}


@SQLITE_AND_POSTGRESQL
def test_an_unreadable_record_fails_alone_and_its_chunk_is_minted(
    archive: sa.Engine, emulator: EmulatorHandle, overrides: dict[str, str]
) -> None:
    ids = _mintable(archive, 6)
    poisoned = ids[2]
    error = POISON[archive.dialect.name](archive, poisoned)
    enqueue(archive, "mint", ids)
    report = process_queue(archive, archive, overrides=overrides, limit=100, chunk_size=6)
    statuses = {o.record_id: o.status for o in report.outcomes}
    assert statuses == {i: ("failed" if i == poisoned else "completed") for i in ids}
    rows = _queue(archive)
    assert rows[poisoned].status == "failed"
    reason = rows[poisoned].last_error
    assert reason.startswith(f"record {poisoned} cannot be read from the catalogue: {error}")
    assert "SELECT" not in reason and "parameters" not in reason  # the reason, not the SQL
    assert _failure_logs(archive, poisoned)[0]["error"] == reason
    assert len(emulator.state.dois) == len(ids) - 1
    assert {r.status for r in rows.values()} == {"completed", "failed"}


class Injected(Exception):
    """The fault a test injects into one phase of one item."""


def _once_for(victim: int, original: Callable[..., Any], pick: Callable[..., int | None]):
    """``original``, except that its first call for the victim's record raises ``Injected``."""
    fired = []

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not fired and pick(*args, **kwargs) == victim:
            fired.append(True)
            raise Injected(f"injected into record {victim}, password {PASSWORD}")
        return original(*args, **kwargs)

    return wrapper


def _record_of_doi(doi: str) -> int | None:
    tail = doi.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


Patch = tuple[Any, str, Callable[..., int | None]]

PHASES: dict[str, list[Patch]] = {
    # phase: the (module or class, attribute, which record a call is for) that raise once
    # for the victim. A mint's read, build and reservation are made for its whole chunk
    # first (``queue.prepare``); where that fails for a record, its item does them itself.
    "read the DOI row": [
        (lifecycle.ItemRunner, "_read", lambda self, record_id, record=None: record_id),
    ],
    "build the payload": [
        (prepare, "build_payload", lambda record, *a, **k: record.id),
        (lifecycle, "build_payload", lambda record, *a, **k: record.id),
    ],
    "send to DataCite": [
        (DataCiteClient, "put_doi", lambda self, doi, attrs: _record_of_doi(doi)),
    ],
    "record the result": [
        (
            lifecycle,
            "write_log",
            lambda conn, **k: k["information_object_id"] if k["action"] == "mint" else None,
        ),
    ],
}


@SQLITE_AND_POSTGRESQL
@pytest.mark.parametrize("phase", list(PHASES))
def test_an_exception_in_any_phase_becomes_the_items_outcome(
    phase: str,
    archive: sa.Engine,
    emulator: EmulatorHandle,
    overrides: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = _mintable(archive, 5)
    victim = ids[1]
    for owner, name, pick in PHASES[phase]:
        monkeypatch.setattr(owner, name, _once_for(victim, getattr(owner, name), pick))
    enqueue(archive, "mint", ids)
    report = process_queue(archive, archive, overrides=overrides, limit=100, concurrency=2)
    assert {o.record_id: o.status for o in report.outcomes} == {
        i: ("failed" if i == victim else "completed") for i in ids
    }
    rows = _queue(archive)
    reason = rows[victim].last_error
    assert rows[victim].status == "failed"
    assert reason == f"mint failed: Injected: injected into record {victim}, password ***"
    assert PASSWORD not in reason
    assert _failure_logs(archive, victim)[-1]["error"] == reason
    assert {r.status for i, r in rows.items() if i != victim} == {"completed"}


@SQLITE_AND_POSTGRESQL
def test_a_key_error_while_deactivating_fails_the_item_with_its_reason(
    archive: sa.Engine,
    emulator: EmulatorHandle,
    overrides: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A placeholder the tombstone code does not know (a KeyError from ``str.format``)."""
    ids = _mintable(archive, 3)
    enqueue(archive, "mint", ids)
    process_queue(archive, archive, overrides=overrides, limit=100)
    enqueue(archive, "deactivate", ids)

    def unknown_placeholder(pattern: str, **values: Any) -> str:
        return "{base_url}/tomb/{doi_id}".format(**values)

    monkeypatch.setattr(lifecycle, "tombstone_url", unknown_placeholder)
    report = process_queue(archive, archive, overrides=overrides, limit=100)
    assert [o.status for o in report.outcomes] == ["failed"] * 3
    with archive.connect() as conn:
        rows = conn.execute(
            sa.select(ahg_doi_queue.c.status, ahg_doi_queue.c.last_error).where(
                ahg_doi_queue.c.pipeline_action == "deactivate"
            )
        ).all()
        states = set(conn.execute(sa.select(ahg_doi.c.status)).scalars())
    assert rows == [("failed", "deactivate failed: KeyError: 'doi_id'")] * 3
    assert states == {"findable"}  # nothing changed locally or at DataCite
    assert {rec.state for rec in emulator.state.dois.values()} == {"findable"}
    assert all(_failure_logs(archive, i) for i in ids)


@SQLITE_AND_POSTGRESQL
def test_a_transient_exception_retries_the_item(
    archive: sa.Engine,
    emulator: EmulatorHandle,
    overrides: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = _mintable(archive, 3)
    victim = ids[0]
    put = DataCiteClient.put_doi

    def unreachable(self: DataCiteClient, doi: str, attributes: dict[str, Any]) -> Any:
        if _record_of_doi(doi) == victim:
            raise ConnectionResetError("connection reset by peer")
        return put(self, doi, attributes)

    monkeypatch.setattr(DataCiteClient, "put_doi", unreachable)
    enqueue(archive, "mint", ids)
    report = process_queue(archive, archive, overrides=overrides, limit=100)
    assert {o.record_id: o.status for o in report.outcomes}[victim] == "retry"
    row = _queue(archive)[victim]
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error == "mint failed: ConnectionResetError: connection reset by peer"
