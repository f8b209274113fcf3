"""DataCite Kernel-4 metadata (schema 4.5, 4.6 or 4.7) for catalogue records: mapping, XML,
validation, payloads.

Pure functions (no I/O except reading the vendored XSD once): a ``CatalogueRecord`` goes in,
a ``Payload`` (JSON:API attributes, validated Kernel-4 XML, hash, warnings, errors) comes out.
The normalisation rules are listed in the docstrings of ``mapping`` (block by block),
``text``, ``dates``, ``identifiers``, ``language``, ``geo``, ``funding`` and ``doi_strings``.
"""

from heratio_doi_pipelines.metadata.context import MetadataContext, context_from_settings
from heratio_doi_pipelines.metadata.doi_strings import (
    DEFAULT_SUFFIX_PATTERN,
    MetadataConfigError,
    derive_doi,
    format_doi,
    repository_code_for,
)
from heratio_doi_pipelines.metadata.kernel_xml import from_xml, to_xml
from heratio_doi_pipelines.metadata.mapping import BuildResult, build_attributes, landing_url
from heratio_doi_pipelines.metadata.payload import (
    Payload,
    PayloadBatch,
    PayloadSummary,
    RejectionReport,
    build_payload,
    build_payloads,
    payload_for_send,
    payload_hash,
    write_rejections_csv,
)
from heratio_doi_pipelines.metadata.validation import kernel_schema, validate_xml

__all__ = [
    "DEFAULT_SUFFIX_PATTERN",
    "BuildResult",
    "MetadataConfigError",
    "MetadataContext",
    "Payload",
    "PayloadBatch",
    "PayloadSummary",
    "RejectionReport",
    "build_attributes",
    "build_payload",
    "build_payloads",
    "context_from_settings",
    "derive_doi",
    "format_doi",
    "from_xml",
    "kernel_schema",
    "landing_url",
    "payload_for_send",
    "payload_hash",
    "repository_code_for",
    "to_xml",
    "validate_xml",
    "write_rejections_csv",
]
