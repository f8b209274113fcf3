"""DOIs whose metadata at DataCite was written for an older schema version or mapping.

The schema version is the one the stored Kernel XML names (DataCite's listing carries the
XML with ``detail=true``); the mapping version is the one recorded in the ``ahg_doi_log`` row
of the last accepted write. Either older than today's makes the DOI ``outdated_metadata``,
which ``sync --repair`` re-sends as an update. Rows with no recorded mapping version (written
by Heratio itself, or before versions were recorded) are judged by their schema only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from lxml import etree

from heratio_doi_pipelines.datacite.client import DoiResponse, decode_xml
from heratio_doi_pipelines.metadata.kernel_xml import schema_version_of
from heratio_doi_pipelines.metadata.mapping import MAPPING_VERSION
from heratio_doi_pipelines.store.tables import ahg_doi_log

OUTDATED_METADATA = "outdated_metadata"
MAPPING_VERSION_KEY = "mapping_version"
WRITE_ACTIONS = ("mint", "update", "reinstate")


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def last_mapping_versions(conn: sa.Connection, doi_ids: Iterable[int]) -> dict[int, int]:
    """The mapping version of each DOI's last logged write (DOIs without one are left out)."""
    ids = list(doi_ids)
    if not ids:
        return {}
    log = ahg_doi_log
    rows = conn.execute(
        sa.select(log.c.doi_id, log.c.details)
        .where(log.c.doi_id.in_(ids), log.c.action.in_(WRITE_ACTIONS))
        .order_by(log.c.id)
    )
    found: dict[int, int] = {}
    for doi_id, details in rows:
        version = (details or {}).get(MAPPING_VERSION_KEY) if isinstance(details, dict) else None
        if isinstance(version, int):
            found[doi_id] = version
    return found


def outdated_metadata(
    found: DoiResponse, mapping_version: int | None, schema_version: str
) -> tuple[str, str] | None:
    """``(what we would write, what DataCite holds)`` when the stored metadata is older."""
    try:
        xml = decode_xml(found.attributes)
        stored_schema = schema_version_of(xml) if xml else None
    except (ValueError, etree.XMLSyntaxError):  # unreadable XML: the stored-copy check's
        stored_schema = None
    if stored_schema and _version_key(stored_schema) < _version_key(schema_version):
        return f"schema {schema_version}", f"schema {stored_schema}"
    if mapping_version is not None and mapping_version < MAPPING_VERSION:
        return f"mapping {MAPPING_VERSION}", f"mapping {mapping_version}"
    return None


def outdated_drift(
    found: DoiResponse, mapping_versions: dict[int, int], row: Any, schema_version: str
) -> list[tuple[str, str, str]]:
    """The sync drift entry for one DOI, or nothing."""
    outdated = outdated_metadata(found, mapping_versions.get(row.id), schema_version)
    return [(OUTDATED_METADATA, *outdated)] if outdated else []
