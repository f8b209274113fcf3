"""The validated payload for one record: attributes, Kernel-4 XML, hash, warnings and errors.

Every payload's XML is built and checked against the DataCite 4.7 XSD, whatever mode the
repository submits in, so nothing invalid reaches DataCite. ``payload_hash`` is the SHA-256 of
the canonical JSON of the attributes (sorted keys, no insignificant whitespace, UTF-8): equal
metadata gives an equal hash across runs and machines, so an update can be skipped when the
stored hash matches.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from heratio_doi_pipelines.catalogue.records import CatalogueRecord
from heratio_doi_pipelines.metadata.context import MetadataContext, format_doi, repository_code_for
from heratio_doi_pipelines.metadata.kernel_xml import build_tree, serialize
from heratio_doi_pipelines.metadata.mapping import TARGET_FINDABLE, build_attributes
from heratio_doi_pipelines.metadata.validation import validate_tree


@dataclass
class Payload:
    """What would be sent for one record; ``errors`` non-empty means it must not be sent."""

    record_id: int
    doi: str
    attributes: dict[str, Any]
    xml: bytes | None
    payload_hash: str
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    target_state: str = TARGET_FINDABLE

    @property
    def ok(self) -> bool:
        return not self.errors


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(attributes: dict[str, Any]) -> str:
    return _CANONICAL.encode(attributes)  # json.dumps with these options, minus its set-up


def payload_hash(attributes: dict[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON of the attributes."""
    return hashlib.sha256(canonical_json(attributes).encode("utf-8")).hexdigest()


def doi_for_record(record: CatalogueRecord, ctx: MetadataContext) -> str:
    """The DOI a new record gets under the configured pattern."""
    return format_doi(
        ctx.prefix,
        ctx.suffix_pattern,
        repository_code=repository_code_for(record.repository_code, record.repository_id),
        year=ctx.year,
        object_id=record.id,
    )


def build_payload(record: CatalogueRecord, ctx: MetadataContext, doi: str | None = None) -> Payload:
    """Attributes + validated XML for one record (``doi`` defaults to the pattern's DOI).

    Raises MetadataConfigError (a ValueError) only for configuration errors (prefix, suffix
    pattern) that would affect every record; problems in the record itself end up in
    ``warnings``/``errors``.
    """
    doi = (doi or "").strip().lower() or doi_for_record(record, ctx)
    result = build_attributes(record, ctx, doi)
    root = build_tree(result.attributes)
    errors = list(result.errors)
    covered = {error.split(":", 1)[0] for error in errors}  # already explained in plain words
    if "types" in covered:
        covered.add("resourceType")
    errors.extend(
        f"xsd: {message}"
        for message in validate_tree(root)
        if message.split(":", 1)[0].split("/@")[0] not in covered
    )
    return Payload(
        record_id=record.id,
        doi=doi,
        attributes=result.attributes,
        xml=serialize(root),
        payload_hash=payload_hash(result.attributes),
        warnings=result.warnings,
        errors=errors,
        target_state=result.target_state,
    )


def payload_for_send(payload: Payload, *, event: str | None, xml_mode: bool) -> dict[str, Any]:
    """The JSON:API body for POST/PUT /dois.

    JSON mode sends all attributes; XML mode sends ``doi``, ``url`` (never part of the XML)
    and the base64 Kernel-4 XML. ``event`` (``publish``, ``register``...) is added when given.
    A payload with errors is refused (ValueError): invalid metadata never reaches DataCite.
    """
    if payload.errors:
        raise ValueError(
            f"payload for record {payload.record_id} has errors and must not be sent: "
            + "; ".join(payload.errors)
        )
    if xml_mode:
        if payload.xml is None:
            raise ValueError(f"payload for record {payload.record_id} has no XML")
        attributes: dict[str, Any] = {
            key: payload.attributes[key] for key in ("doi", "url") if key in payload.attributes
        }
        attributes["xml"] = base64.b64encode(payload.xml).decode("ascii")
    else:
        attributes = dict(payload.attributes)
    if event:
        attributes["event"] = event
    return {"data": {"type": "dois", "attributes": attributes}}
