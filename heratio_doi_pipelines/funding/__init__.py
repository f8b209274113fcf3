"""Funding references (``ahg_io_funding``): validated bulk import from CSV."""

from __future__ import annotations

from heratio_doi_pipelines.funding.importer import (
    FundingFileError,
    FundingImportReport,
    import_funding_csv,
)
from heratio_doi_pipelines.funding.validation import (
    FUNDER_IDENTIFIER_TYPES,
    FundingRow,
    Rejection,
    validate_row,
)

__all__ = [
    "FUNDER_IDENTIFIER_TYPES",
    "FundingFileError",
    "FundingImportReport",
    "FundingRow",
    "Rejection",
    "import_funding_csv",
    "validate_row",
]
