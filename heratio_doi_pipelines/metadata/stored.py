"""What DataCite stored, compared with what the pipeline sent.

DataCite stopped normalising submitted metadata in 2026 and can keep a published DOI with
blank or invalid fields, so an accepted write is not proof that DataCite holds the record as
it was meant. The stored Kernel XML is read back, validated against the XSD of the version
it names (the configured one when it names none the pipeline vendors) and compared field by
field with the attributes sent; publisher and affiliations compare alike in either of
DataCite's JSON shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from heratio_doi_pipelines.datacite.shapes import compact_shapes
from heratio_doi_pipelines.metadata.kernel_xml import from_xml, parse_xml, schema_version_of
from heratio_doi_pipelines.metadata.schema_versions import SCHEMA_VERSIONS
from heratio_doi_pipelines.metadata.validation import validate_tree

# Sent alongside the metadata but never part of the Kernel XML.
NOT_IN_XML = frozenset({"doi", "url", "event", "xml", "state", "prefix", "suffix"})


@dataclass(frozen=True)
class StoredComparison:
    """How the stored copy differs: the top-level fields, and the XSD's complaints."""

    schema_version: str | None
    differing_fields: list[str] = field(default_factory=list)
    xsd_errors: list[str] = field(default_factory=list)

    @property
    def differs(self) -> bool:
        return bool(self.differing_fields or self.xsd_errors)

    def details(self) -> dict[str, Any]:
        out: dict[str, Any] = {"fields": self.differing_fields}
        if self.xsd_errors:
            out["xsd_errors"] = self.xsd_errors[:5]
        if self.schema_version:
            out["schema_version"] = self.schema_version
        return out


def compare_stored(
    sent: dict[str, Any], stored_xml: bytes, default_version: str | None = None
) -> StoredComparison:
    """Compare the attributes sent with the Kernel XML DataCite stored."""
    try:
        root = parse_xml(stored_xml)
    except etree.XMLSyntaxError as exc:
        return StoredComparison(None, ["xml"], [f"xml: not well-formed: {exc}"])
    stored = from_xml(root)
    named = schema_version_of(root)
    version = named if named in SCHEMA_VERSIONS else default_version
    errors = validate_tree(root, version)
    ours = compact_shapes({k: v for k, v in sent.items() if k not in NOT_IN_XML})
    theirs = compact_shapes({k: v for k, v in stored.items() if k not in NOT_IN_XML})
    fields = sorted(k for k in ours.keys() | theirs.keys() if ours.get(k) != theirs.get(k))
    sent_doi = str(sent.get("doi") or "").lower()
    if sent_doi and sent_doi != str(stored.get("doi") or "").lower():
        fields.insert(0, "doi")
    return StoredComparison(named, fields, errors)
