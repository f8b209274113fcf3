"""Validated metadata payloads, kept per record so what is sent is what was validated.

A stored payload carries a fingerprint of the catalogue record and the settings it was
built from; the mint and update steps reuse it only while that fingerprint still matches,
and otherwise build (and validate) a fresh one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from heratio_doi_pipelines.catalogue.records import CatalogueRecord
from heratio_doi_pipelines.metadata import MetadataContext, Payload
from heratio_doi_pipelines.store.tables import heratio_doi_payload

t = heratio_doi_payload


def source_fingerprint(record: CatalogueRecord, ctx: MetadataContext) -> str:
    """Changes whenever the record or the settings that shape its metadata change."""
    return hashlib.sha256(f"{record!r}\x1f{ctx!r}".encode()).hexdigest()


def save_payloads(engine: sa.Engine, payloads: Iterable[tuple[Payload, str]], now: datetime) -> int:
    """Store (replace) each record's payload with its source fingerprint."""
    rows = [
        {
            "information_object_id": payload.record_id,
            "doi": payload.doi,
            "source_fingerprint": fingerprint,
            "payload_hash": payload.payload_hash,
            "target_state": payload.target_state,
            "attributes": payload.attributes,
            "xml": payload.xml.decode("utf-8") if payload.xml else None,
            "warnings": payload.warnings,
            "errors": payload.errors,
            "built_at": now,
        }
        for payload, fingerprint in payloads
    ]
    with engine.begin() as conn:
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            ids = [row["information_object_id"] for row in chunk]
            conn.execute(t.delete().where(t.c.information_object_id.in_(ids)))
            conn.execute(t.insert(), chunk)
    return len(rows)


def stored_payload(conn: sa.Connection, record_id: int, fingerprint: str) -> Payload | None:
    """The stored payload of a record, if it was built from exactly this record and settings."""
    row = (
        conn.execute(
            sa.select(t).where(
                t.c.information_object_id == record_id, t.c.source_fingerprint == fingerprint
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    return Payload(
        record_id=record_id,
        doi=row["doi"],
        attributes=row["attributes"],
        xml=row["xml"].encode("utf-8") if row["xml"] else None,
        payload_hash=row["payload_hash"],
        warnings=list(row["warnings"] or []),
        errors=list(row["errors"] or []),
        target_state=row["target_state"],
    )
