"""Reading and writing ``ahg_doi`` rows, each change with its ``ahg_doi_log`` row.

Every function takes an open connection inside the caller's transaction, so a state change
and its audit row commit together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from heratio_doi_pipelines.store.tables import ahg_doi, ahg_doi_log

# States in which DataCite holds the DOI publicly or privately (not only reserved locally).
LIVE_STATES = ("draft", "registered", "findable", "tombstone")

RESERVED_NOTE = "DOI string reserved before the first DataCite call"


@dataclass(frozen=True)
class DoiRow:
    id: int
    information_object_id: int
    doi: str
    status: str
    minted_at: datetime | None
    confirmed_at: datetime | None
    payload_hash: str | None
    datacite_state: str | None
    url: str | None
    reserved_at: datetime | None

    @classmethod
    def from_mapping(cls, row: Any) -> DoiRow:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})


_DOI_COLUMNS = [ahg_doi.c[name] for name in DoiRow.__dataclass_fields__]


def doi_for_record(conn: sa.Connection, information_object_id: int) -> DoiRow | None:
    row = (
        conn.execute(
            sa.select(*_DOI_COLUMNS).where(ahg_doi.c.information_object_id == information_object_id)
        )
        .mappings()
        .first()
    )
    return DoiRow.from_mapping(row) if row else None


def dois_for_records(conn: sa.Connection, record_ids: list[int]) -> dict[int, DoiRow]:
    """DOI rows of many records in one query per 500 ids."""
    found: dict[int, DoiRow] = {}
    for start in range(0, len(record_ids), 500):
        chunk = record_ids[start : start + 500]
        rows = conn.execute(
            sa.select(*_DOI_COLUMNS).where(ahg_doi.c.information_object_id.in_(chunk))
        ).mappings()
        for row in rows:
            found[row["information_object_id"]] = DoiRow.from_mapping(row)
    return found


def doi_by_string(conn: sa.Connection, doi: str) -> DoiRow | None:
    row = (
        conn.execute(sa.select(*_DOI_COLUMNS).where(sa.func.lower(ahg_doi.c.doi) == doi.lower()))
        .mappings()
        .first()
    )
    return DoiRow.from_mapping(row) if row else None


def write_log(
    conn: sa.Connection,
    *,
    doi_id: int | None,
    information_object_id: int | None,
    action: str,
    status_before: str | None,
    status_after: str | None,
    details: dict[str, Any] | None,
    now: datetime,
) -> None:
    conn.execute(
        ahg_doi_log.insert(),
        _log_row(
            doi_id=doi_id,
            information_object_id=information_object_id,
            action=action,
            status_before=status_before,
            status_after=status_after,
            details=details,
            now=now,
        ),
    )


def _log_row(
    *,
    doi_id: int | None,
    information_object_id: int | None,
    action: str,
    status_before: str | None,
    status_after: str | None,
    details: dict[str, Any] | None,
    now: datetime,
) -> dict[str, Any]:
    """One ``ahg_doi_log`` row's values (for one insert or many in one statement)."""
    return {
        "doi_id": doi_id,
        "information_object_id": information_object_id,
        "action": action,
        "status_before": status_before,
        "status_after": status_after,
        "details": details,
        "performed_at": now,
    }


@dataclass(frozen=True)
class Reservation:
    """A DOI string to store for a record before DataCite is called."""

    information_object_id: int
    doi: str
    repository_id: int | None = None  # the holding repository, for the by-repository report


def reserve_doi(
    conn: sa.Connection,
    information_object_id: int,
    doi: str,
    now: datetime,
    *,
    repository_id: int | None = None,
) -> DoiRow:
    """Store the DOI string before DataCite is called (status ``draft``, ``reserved_at`` set).

    ``repository_id`` is the record's holding repository as the catalogue reader resolved
    it, kept on the row so the by-repository report need not walk the catalogue tree.
    """
    reservation = Reservation(information_object_id, doi, repository_id)
    return reserve_dois(conn, [reservation], now)[information_object_id]


def reserve_dois(
    conn: sa.Connection, reservations: list[Reservation], now: datetime
) -> dict[int, DoiRow]:
    """``reserve_doi`` for many records in three statements, whatever their number: the
    rows, their ``reserve`` log rows, and one read of what was stored (record id -> row).
    A string or record already held raises ``IntegrityError`` and stores none of them."""
    if not reservations:
        return {}
    conn.execute(
        ahg_doi.insert(),
        [
            {
                "information_object_id": r.information_object_id,
                "doi": r.doi,
                "status": "draft",
                "repository_id": r.repository_id,
                "reserved_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for r in reservations
        ],
    )
    rows = dois_for_records(conn, [r.information_object_id for r in reservations])
    conn.execute(
        ahg_doi_log.insert(),
        [
            _log_row(
                doi_id=row.id,
                information_object_id=row.information_object_id,
                action="reserve",
                status_before=None,
                status_after="draft",
                details={"doi": row.doi, "note": RESERVED_NOTE},
                now=now,
            )
            for row in rows.values()
        ],
    )
    return rows


def release_reservation(conn: sa.Connection, row: DoiRow, doi: str, now: datetime) -> DoiRow:
    """Replace an unconfirmed reservation that DataCite never registered by ``doi``.

    The record keeps its ``ahg_doi`` row (one per record); the string, state and what was
    last seen at DataCite start afresh, with a log row for the release and one for the new
    reservation. Raises ``IntegrityError`` when another record holds ``doi``.
    """
    if row.confirmed_at is not None:
        raise ValueError(f"DOI {row.doi} was confirmed by DataCite: it is never re-derived")
    update_doi(
        conn,
        row.id,
        doi=doi,
        status="draft",
        reserved_at=now,
        updated_at=now,
        last_error=None,
        datacite_state=None,
        datacite_response=None,
        url=None,
        payload_hash=None,
    )
    note = f"reservation {row.doi} released: never registered at DataCite"
    for action, status_before, details in (
        ("release", row.status, {"doi": row.doi, "note": note}),
        ("reserve", "draft", {"doi": doi, "note": RESERVED_NOTE}),
    ):
        write_log(
            conn,
            doi_id=row.id,
            information_object_id=row.information_object_id,
            action=action,
            status_before=status_before,
            status_after="draft",
            details=details,
            now=now,
        )
    released = doi_for_record(conn, row.information_object_id)
    assert released is not None
    return released


def confirm_from_datacite(conn: sa.Connection, row: Any, found: Any, now: datetime) -> None:
    """Confirm a DOI that DataCite was seen holding as wanted (``found``: its DoiResponse)."""
    update_doi(
        conn,
        row.id,
        status=found.state,
        datacite_state=found.state,
        url=found.url,
        confirmed_at=now,
        minted_at=row.minted_at or now,
        last_error=None,
        last_sync_at=now,
        updated_at=now,
    )
    write_log(
        conn,
        doi_id=row.id,
        information_object_id=row.information_object_id,
        action="sync",
        status_before=row.status,
        status_after=found.state,
        details={
            "doi": row.doi,
            "note": "confirmed by sync: DataCite already holds it in the wanted state and URL",
        },
        now=now,
    )


# One statement for every update: its SET clause comes from the parameters' keys, so each
# call skips building and cache-keying a statement around the values (large JSON ones included).
_UPDATE_DOI = ahg_doi.update().where(ahg_doi.c.id == sa.bindparam("row_id"))


def update_doi(conn: sa.Connection, doi_id: int, **values: Any) -> None:
    conn.execute(_UPDATE_DOI, {**values, "row_id": doi_id})


def record_ids_with_doi(engine: sa.Engine, states: tuple[str, ...] = LIVE_STATES) -> list[int]:
    """Records whose DOI exists at DataCite (for "--all" update/verify/deactivate)."""
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(ahg_doi.c.information_object_id)
                .where(ahg_doi.c.status.in_(states), ahg_doi.c.confirmed_at.is_not(None))
                .order_by(ahg_doi.c.information_object_id)
            ).scalars()
        )


def record_ids_to_mint_again(engine: sa.Engine, limit: int | None = None) -> list[int]:
    """Records whose only DOI row DataCite never confirmed: reserved only, or failed.

    ``enqueue mint --all-without-doi`` queues them with the records that have no row; a
    mint reuses or releases the reservation (see ``queue.reservations``).
    """
    never_confirmed = sa.or_(
        ahg_doi.c.status == "failed",
        sa.and_(ahg_doi.c.confirmed_at.is_(None), ahg_doi.c.reserved_at.is_not(None)),
    )
    stmt = (
        sa.select(ahg_doi.c.information_object_id)
        .where(never_confirmed)
        .order_by(ahg_doi.c.information_object_id)
    )
    with engine.connect() as conn:
        return list(conn.execute(stmt.limit(limit) if limit is not None else stmt).scalars())
