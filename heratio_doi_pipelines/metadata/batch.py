"""Building payloads for a batch of records, and the archivists' rejection report.

These are the service functions behind the ``doi_metadata_payloads`` asset and the
pre-flight validation report: one bad record never stops a batch.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from heratio_doi_pipelines.catalogue.records import CatalogueRecord
from heratio_doi_pipelines.metadata.context import MetadataConfigError, MetadataContext
from heratio_doi_pipelines.metadata.payload import Payload, build_payload, payload_hash

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


def _first(payload: Payload, key: str, field_name: str) -> str:
    values = payload.attributes.get(key) or []
    return str(values[0].get(field_name, "")) if values else ""


def write_rejections_csv(batch: PayloadBatch, path: str | Path) -> int:
    """Write one row per rejected record (with its reasons); returns the number of rows.

    The file always has its header, so an empty report is visibly empty rather than missing.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(REJECTION_COLUMNS)
        for payload in batch.rejected:
            writer.writerow(
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
    return len(batch.rejected)
