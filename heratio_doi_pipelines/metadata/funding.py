"""Rows of ``ahg_io_funding`` as DataCite fundingReferences.

Rules:

- funderName is required: a row without one is dropped with a warning;
- funderIdentifierType is matched case-insensitively against ROR, ISNI, Crossref Funder ID,
  GRID, Other; aliases ``crossref``, ``crossref funder``, ``fundref``, ``fundref id`` ->
  ``Crossref Funder ID``; any other type -> ``Other``, with a warning;
- a missing type is detected from the identifier (ROR, ISNI, Crossref Funder ID, GRID), else
  ``Other``, with a warning;
- identifiers are validated and normalised for their type (see ``identifiers``); an
  identifier that is invalid for its stated type is dropped (with its type), with a warning;
- awardUri must be an http(s) URL, else dropped with a warning; awardNumber and awardTitle are
  cleaned text; identical references are emitted once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from heratio_doi_pipelines.catalogue.records import Funding
from heratio_doi_pipelines.metadata.identifiers import (
    normalize_crossref_funder,
    normalize_grid,
    normalize_isni,
    normalize_ror,
    normalize_url,
)
from heratio_doi_pipelines.metadata.text import clean_line
from heratio_doi_pipelines.metadata.vocabulary import FUNDER_IDENTIFIER_TYPES

_TYPE_ALIASES = {value.casefold(): value for value in FUNDER_IDENTIFIER_TYPES} | {
    "crossref": "Crossref Funder ID",
    "crossref funder": "Crossref Funder ID",
    "crossref funder id": "Crossref Funder ID",
    "crossref_funder_id": "Crossref Funder ID",
    "fundref": "Crossref Funder ID",
    "fundref id": "Crossref Funder ID",
}

_NORMALIZERS: dict[str, Callable[[str | None], str | None]] = {
    "ROR": normalize_ror,
    "ISNI": normalize_isni,
    "Crossref Funder ID": normalize_crossref_funder,
    "GRID": normalize_grid,
}


def _detect(identifier: str) -> tuple[str, str]:
    for kind, normalize in _NORMALIZERS.items():
        value = normalize(identifier)
        if value:
            return kind, value
    return "Other", identifier


def funding_reference(row: Funding, index: int, warnings: list[str]) -> dict[str, Any] | None:
    """One fundingReference, or None when the row has no funder name."""
    name = clean_line(row.funder_name)
    label = f"fundingReferences ({name or f'row {index}'})"
    if not name:
        warnings.append(f"{label}: no funderName: dropped")
        return None
    ref: dict[str, Any] = {"funderName": name}
    identifier = clean_line(row.funder_identifier)
    raw_type = clean_line(row.funder_identifier_type)
    if identifier:
        if raw_type:
            kind = _TYPE_ALIASES.get(raw_type.casefold())
            if kind is None:
                warnings.append(
                    f"{label}: funderIdentifierType {raw_type!r} is not one of "
                    f"{', '.join(FUNDER_IDENTIFIER_TYPES)}: Other used"
                )
                kind = "Other"
            normalize = _NORMALIZERS.get(kind)
            value = normalize(identifier) if normalize else identifier
            if value is None:
                warnings.append(
                    f"{label}: funderIdentifier {identifier!r} is not a valid {kind}: dropped"
                )
        else:
            kind, value = _detect(identifier)
            warnings.append(f"{label}: funderIdentifierType missing: {kind} assumed")
        if value:
            ref["funderIdentifier"] = value
            ref["funderIdentifierType"] = kind
    award_number = clean_line(row.award_number)
    if award_number:
        ref["awardNumber"] = award_number
    if row.award_uri and row.award_uri.strip():
        award_uri = normalize_url(row.award_uri)
        if award_uri:
            ref["awardUri"] = award_uri
        else:
            warnings.append(
                f"{label}: awardUri {clean_line(row.award_uri)!r} is not an http(s) URL: dropped"
            )
    award_title = clean_line(row.award_title)
    if award_title:
        ref["awardTitle"] = award_title
    return ref


def funding_references(rows: tuple[Funding, ...], warnings: list[str]) -> list[dict[str, Any]]:
    """All fundingReferences of a record, duplicates removed."""
    out: list[dict[str, Any]] = []
    for index, row in enumerate(rows, start=1):
        ref = funding_reference(row, index, warnings)
        if ref and ref not in out:
            out.append(ref)
    return out
