"""After an accepted mint or update: does DataCite hold what was sent?

The XML of DataCite's answer is used (a GET only when the answer carries none); the result
is a ``stored_differs`` drift entry for the action's ``ahg_doi_log`` row, or nothing when
the stored copy matches. A failed GET never fails the item: the write itself was accepted.
"""

from __future__ import annotations

import re
from typing import Any

from heratio_doi_pipelines.datacite.client import DataCiteClient, DoiResponse, decode_xml
from heratio_doi_pipelines.datacite.errors import DataCiteError
from heratio_doi_pipelines.metadata import Payload
from heratio_doi_pipelines.metadata.stored import compare_stored

STORED_DIFFERS = "stored_differs"

_DOI_ELEMENT = re.compile(rb'(<identifier identifierType="DOI">)([^<]*)(</identifier>)')


def _doi_folded(xml: bytes) -> bytes:
    """The XML with its DOI in lower case."""
    return _DOI_ELEMENT.sub(lambda m: m[1] + m[2].lower() + m[3], xml, count=1)


def stored_drift(
    client: DataCiteClient,
    doi: str,
    payload: Payload,
    response: DoiResponse,
    schema_version: str | None,
) -> dict[str, Any] | None:
    """``{"stored_differs": {...}}`` when DataCite stored something else, else None."""
    xml = decode_xml(response.attributes)
    if xml is None:
        try:
            xml = decode_xml(client.get_doi(doi).attributes)
        except DataCiteError as exc:
            return {"stored_not_checked": f"reading the stored metadata failed: {exc}"}
    if xml is None:
        return {"stored_not_checked": "DataCite returned no XML for the DOI"}
    if payload.xml is not None and _doi_folded(xml) == _doi_folded(payload.xml):
        # Byte for byte the Kernel XML built and validated from these very attributes, but
        # for the DOI's case (DOIs are case-insensitive): nothing can differ.
        return None
    comparison = compare_stored(payload.attributes, xml, schema_version)
    return {STORED_DIFFERS: comparison.details()} if comparison.differs else None
