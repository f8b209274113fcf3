"""An ``ahg_datacite_event`` row as the Events API's JSON:API attributes.

DataCite reads hyphenated keys (``subj-id``) by default and camelCase keys (``subjId``) only
with ``Accept: application/vnd.api+json; version=2``; keys in the other style are silently
dropped, so the style must follow the Accept header the client sends.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from heratio_doi_pipelines.events.identity import doi_uri, is_doi, source_token, wire_object_id

CAMEL_KEYS = {
    "subj-id": "subjId",
    "obj-id": "objId",
    "relation-type-id": "relationTypeId",
    "source-id": "sourceId",
    "source-token": "sourceToken",
    "occurred-at": "occurredAt",
    "total": "total",
}


def iso_utc(value: datetime) -> str:
    """Naive UTC (as stored) → ``2026-05-20T00:00:00Z``."""
    return value.replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def event_attributes(row: Any, *, camel_case: bool = False) -> dict[str, Any]:
    """Attributes for one event row (any object with the table's column attributes)."""
    subj = str(row.subj_id)
    occurred = row.occurred_at or row.created_at
    attrs: dict[str, Any] = {
        "subj-id": doi_uri(subj) if is_doi(subj) else subj,
        "relation-type-id": row.relation_type_id,
        "source-id": row.source_id,
        "source-token": row.source_token or source_token(row.source_id),
        "total": int(row.total) if row.total is not None else 1,
    }
    obj = wire_object_id(row.obj_id, row.obj_id_type)
    if obj:
        attrs["obj-id"] = obj
    if occurred is not None:
        attrs["occurred-at"] = iso_utc(occurred)
    if camel_case:
        return {CAMEL_KEYS[key]: value for key, value in attrs.items()}
    return attrs
