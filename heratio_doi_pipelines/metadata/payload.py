"""The validated payload of a record (attributes, Kernel-4 XML, hash, warnings, errors), the
payloads of a batch of records, and the archivists' rejection report.

Every payload's XML is built and checked against the XSD of the configured DataCite schema
version (4.7 by default), whatever mode the
repository submits in, so nothing invalid reaches DataCite. ``payload_hash`` is the SHA-256 of
the canonical JSON of the attributes (sorted keys, no insignificant whitespace, UTF-8): equal
metadata gives an equal hash across runs and machines, so an update can be skipped when the
stored hash matches. One bad record never stops a batch.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from heratio_doi_pipelines.catalogue.records import CatalogueRecord
from heratio_doi_pipelines.datacite.shapes import compact_shapes
from heratio_doi_pipelines.metadata.context import MetadataContext
from heratio_doi_pipelines.metadata.doi_strings import MetadataConfigError, derive_doi
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
    """SHA-256 hex of the canonical JSON of the attributes (publisher and affiliations in
    either of DataCite's shapes hash alike)."""
    return hashlib.sha256(canonical_json(compact_shapes(attributes)).encode("utf-8")).hexdigest()


def build_payload(record: CatalogueRecord, ctx: MetadataContext, doi: str | None = None) -> Payload:
    """Attributes + validated XML for one record (``doi`` defaults to the pattern's DOI).

    Raises MetadataConfigError (a ValueError) only for configuration errors (prefix, suffix
    pattern) that would affect every record; problems in the record itself end up in
    ``warnings``/``errors``.
    """
    doi = (doi or "").strip().lower() or derive_doi(record, ctx)
    result = build_attributes(record, ctx, doi)
    root = build_tree(result.attributes, ctx.schema_version)
    errors = list(result.errors)
    covered = {error.split(":", 1)[0] for error in errors}  # already explained in plain words
    if "types" in covered:
        covered.add("resourceType")
    errors.extend(
        f"xsd: {message}"
        for message in validate_tree(root, ctx.schema_version)
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


ContextSource = MetadataContext | Callable[[CatalogueRecord], MetadataContext]

REJECTION_COLUMNS = (
    "record_id",
    "doi",
    "reference_code",
    "title",
    "url",
    "errors",
    "warnings",
)


@dataclass
class PayloadBatch:
    """Payloads split into sendable (``valid``) and not sendable (``rejected``)."""

    valid: list[Payload] = field(default_factory=list)
    rejected: list[Payload] = field(default_factory=list)

    @property
    def warned(self) -> list[Payload]:
        """Sendable payloads whose record needed a normalisation or lost a value."""
        return [payload for payload in self.valid if payload.warnings]

    @property
    def valid_count(self) -> int:
        return len(self.valid)

    @property
    def rejected_count(self) -> int:
        return len(self.rejected)

    @property
    def warned_count(self) -> int:
        return len(self.warned)

    @property
    def total(self) -> int:
        return len(self.valid) + len(self.rejected)

    def counts(self) -> dict[str, int]:
        return {
            "records": self.total,
            "valid": self.valid_count,
            "rejected": self.rejected_count,
            "warned": self.warned_count,
        }


def build_payloads(
    records: Iterable[CatalogueRecord],
    ctx: ContextSource,
    dois: Mapping[int, str] | None = None,
) -> PayloadBatch:
    """Build and validate every record's payload.

    ``ctx`` is one context or a function giving a record's context (per-repository settings);
    ``dois`` maps record ids to DOIs already reserved or minted (updates keep their DOI).
    Configuration errors (bad prefix or suffix pattern) raise MetadataConfigError; anything
    unexpected in one record rejects that record with the reason instead of failing the batch.
    """
    batch = PayloadBatch()
    known = dois or {}
    for record in records:
        context = ctx if isinstance(ctx, MetadataContext) else ctx(record)
        try:
            payload = build_payload(record, context, known.get(record.id))
        except MetadataConfigError:
            raise
        except Exception as exc:  # a bug must not lose the whole batch
            payload = Payload(
                record_id=record.id,
                doi=known.get(record.id, ""),
                attributes={},
                xml=None,
                payload_hash=payload_hash({}),
                errors=[f"internal error while building metadata: {type(exc).__name__}: {exc}"],
            )
        (batch.valid if payload.ok else batch.rejected).append(payload)
    return batch


@dataclass
class PayloadSummary:
    """Counts and a preview of a whole catalogue's payloads, without keeping every payload:
    a run over a million records holds one batch at a time."""

    valid_count: int = 0
    rejected_count: int = 0
    warned_count: int = 0
    rejected: list[Payload] = field(default_factory=list)  # the first PREVIEW_REJECTED
    warned: list[Payload] = field(default_factory=list)  # the first PREVIEW_WARNED
    config_warnings: list[str] = field(default_factory=list)  # about the settings, not records

    PREVIEW_REJECTED = 20
    PREVIEW_WARNED = 10

    @property
    def total(self) -> int:
        return self.valid_count + self.rejected_count

    def add(self, batch: PayloadBatch) -> None:
        warned = batch.warned
        self.valid_count += batch.valid_count
        self.rejected_count += batch.rejected_count
        self.warned_count += len(warned)
        self.rejected.extend(batch.rejected[: self.PREVIEW_REJECTED - len(self.rejected)])
        self.warned.extend(warned[: self.PREVIEW_WARNED - len(self.warned)])

    def counts(self) -> dict[str, int]:
        return {
            "records": self.total,
            "valid": self.valid_count,
            "rejected": self.rejected_count,
            "warned": self.warned_count,
        }


def _first(payload: Payload, key: str, field_name: str) -> str:
    values = payload.attributes.get(key) or []
    return str(values[0].get(field_name, "")) if values else ""


class RejectionReport:
    """The rejection CSV, written batch by batch: one row per rejected record with its reasons.

    The file always has its header, so an empty report is visibly empty rather than missing.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.rows = 0
        self._handle: IO[str] | None = None

    def __enter__(self) -> RejectionReport:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = self.path.open("w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._handle)
        self._writer.writerow(REJECTION_COLUMNS)
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._handle is not None:
            self._handle.close()

    def write(self, batch: PayloadBatch) -> None:
        for payload in batch.rejected:
            self._writer.writerow(
                (
                    payload.record_id,
                    payload.doi,
                    _first(payload, "identifiers", "identifier"),
                    _first(payload, "titles", "title"),
                    payload.attributes.get("url", ""),
                    " | ".join(payload.errors),
                    " | ".join(payload.warnings),
                )
            )
        self.rows += len(batch.rejected)


def write_rejections_csv(batch: PayloadBatch, path: str | Path) -> int:
    """Write the rejection CSV of one batch; returns the number of rows."""
    with RejectionReport(path) as report:
        report.write(batch)
    return report.rows
