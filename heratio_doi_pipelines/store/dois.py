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
        ahg_doi_log.insert().values(
            doi_id=doi_id,
            information_object_id=information_object_id,
            action=action,
            status_before=status_before,
            status_after=status_after,
            details=details,
            performed_at=now,
        )
    )


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
    result = conn.execute(
        ahg_doi.insert().values(
            information_object_id=information_object_id,
            doi=doi,
            status="draft",
            repository_id=repository_id,
            reserved_at=now,
            created_at=now,
            updated_at=now,
        )
    )
    doi_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    write_log(
        conn,
        doi_id=doi_id,
        information_object_id=information_object_id,
        action="reserve",
        status_before=None,
        status_after="draft",
        details={"doi": doi, "note": "DOI string reserved before the first DataCite call"},
        now=now,
    )
    row = doi_for_record(conn, information_object_id)
    assert row is not None
    return row


def update_doi(conn: sa.Connection, doi_id: int, **values: Any) -> None:
    conn.execute(ahg_doi.update().where(ahg_doi.c.id == doi_id).values(**values))


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
