"""Rows of ``heratio_doi_payload``: the last validated payload per record (row access only).

What a row means (which payload, built from what) is the payload cache's business
(``queue.payload_cache``); this module only reads and replaces rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from heratio_doi_pipelines.store.tables import heratio_doi_payload

t = heratio_doi_payload
CHUNK = 500


def replace_payload_rows(conn: sa.Connection, rows: Sequence[Mapping[str, Any]]) -> int:
    """Store each row in place of the record's previous one (one transaction: ``conn``'s)."""
    for start in range(0, len(rows), CHUNK):
        chunk = list(rows[start : start + CHUNK])
        ids = [row["information_object_id"] for row in chunk]
        conn.execute(t.delete().where(t.c.information_object_id.in_(ids)))
        conn.execute(t.insert(), chunk)
    return len(rows)


def payload_rows(conn: sa.Connection, record_ids: Sequence[int]) -> dict[int, sa.RowMapping]:
    """The stored rows of ``record_ids`` (by record id), in one query per ``CHUNK`` ids."""
    found: dict[int, sa.RowMapping] = {}
    unique = sorted(set(record_ids))
    for start in range(0, len(unique), CHUNK):
        chunk = unique[start : start + CHUNK]
        for row in conn.execute(
            sa.select(t).where(t.c.information_object_id.in_(chunk))
        ).mappings():
            found[row["information_object_id"]] = row
    return found
