"""One CSV row of funding references, checked the way DataCite will check it.

A row either becomes a ``FundingRow`` with its identifier normalised, or a ``Rejection`` with
its line number and one plain reason, so the operator can fix the file and import again.

Identifier rules (DataCite ``funderIdentifierType``):

- ``ROR``: ``https://ror.org/`` + ``0`` + 6 characters of Crockford base32 (no i, l, o, u) + a
  2-digit checksum (see ``metadata.identifiers``); stored as the full URL;
- ``ISNI``: 16 characters whose last is the ISO 7064 check character; stored compact;
- ``Crossref Funder ID``: a DOI under ``10.13039/``; stored as ``https://doi.org/10.13039/...``;
- ``GRID``: ``grid.<digits>.<check>``; ``Other``: any text.

``award_uri`` must be an http(s) URL with a host and no spaces.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from heratio_doi_pipelines.metadata.identifiers import (
    CROSSREF_FUNDER_PREFIX,
    normalize_crossref_funder,
    normalize_doi,
    normalize_grid,
    normalize_isni,
    normalize_ror,
    ror_error,
)

FUNDER_IDENTIFIER_TYPES = ("ROR", "ISNI", "Crossref Funder ID", "GRID", "Other")
MAX_LENGTHS = {"funder_name": 255, "funder_identifier": 255, "award_number": 255}
MAX_TEXT = {"award_uri": 1024, "award_title": 1024}


@dataclass(frozen=True)
class FundingRow:
    """A valid row: the record is named by id or reference code (resolved later)."""

    line: int
    record_id: int | None
    reference_code: str | None
    funder_name: str
    funder_identifier: str | None
    funder_identifier_type: str | None
    award_number: str | None
    award_uri: str | None
    award_title: str | None


@dataclass(frozen=True)
class Rejection:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class RowError(ValueError):
    """The reason a row is rejected."""


def normalize_ror_strict(value: str) -> str:
    """``https://ror.org/0xxxxxxNN`` or ``RowError`` (format and checksum both checked)."""
    reason = ror_error(value)
    if reason == "its checksum does not match":
        raise RowError(f"funder_identifier {value!r} is not a ROR id: {reason}")
    ror = normalize_ror(value)
    if reason or not ror:
        raise RowError(
            f"funder_identifier {value!r} is not a ROR id "
            "(https://ror.org/ + 0 + 6 base32 characters + 2-digit checksum)"
        )
    return ror


def normalize_identifier(kind: str, value: str) -> str:
    """The stored form of ``value`` for an identifier type, or ``RowError``."""
    if kind == "ROR":
        return normalize_ror_strict(value)
    if kind == "ISNI":
        isni = normalize_isni(value)
        if not isni:
            raise RowError(
                f"funder_identifier {value!r} is not an ISNI "
                "(16 characters ending in a valid check character)"
            )
        return isni
    if kind == "Crossref Funder ID":
        doi = normalize_doi(value)
        if not doi:
            raise RowError(f"funder_identifier {value!r} is not a DOI (Crossref Funder ID)")
        if not doi.startswith(CROSSREF_FUNDER_PREFIX + "/"):
            raise RowError(
                f"funder_identifier {value!r} is not a Crossref Funder ID: "
                f"it must be a DOI under {CROSSREF_FUNDER_PREFIX}/"
            )
        return normalize_crossref_funder(doi) or f"https://doi.org/{doi}"
    if kind == "GRID":
        grid = normalize_grid(value)
        if not grid:
            raise RowError(f"funder_identifier {value!r} is not a GRID id (grid.<digits>.<check>)")
        return grid
    return value.strip()


def check_uri(value: str) -> str:
    """A well-formed http(s) URL with a host, or ``RowError``."""
    text = value.strip()
    if any(ch.isspace() for ch in text):
        raise RowError(f"award_uri {value!r} contains spaces")
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises for a non-numeric port
    except ValueError as exc:
        raise RowError(f"award_uri {value!r} is not a well-formed URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise RowError(f"award_uri {value!r} must be an http or https URL")
    host = parts.hostname or ""
    if not host or ("." not in host and host != "localhost"):
        raise RowError(f"award_uri {value!r} has no valid host")
    return text


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    text = " ".join(value.split())
    return text or None


def _identifier_type(raw: str) -> str:
    for kind in FUNDER_IDENTIFIER_TYPES:
        if raw.casefold() == kind.casefold():
            return kind
    raise RowError(
        f"funder_identifier_type {raw!r} is not one of {', '.join(FUNDER_IDENTIFIER_TYPES)}"
    )


def validate_row(line: int, values: dict[str, str | None]) -> FundingRow:
    """Check one row (values keyed by column name); raises ``RowError`` with the reason."""
    record_text = _clean(values.get("record_id"))
    reference_code = _clean(values.get("reference_code"))
    if not record_text and not reference_code:
        raise RowError("record_id or reference_code is required")
    record_id = None
    if record_text:
        if not record_text.isdigit() or int(record_text) < 1:
            raise RowError(f"record_id {record_text!r} is not a record number")
        record_id = int(record_text)
    name = _clean(values.get("funder_name"))
    if not name:
        raise RowError("funder_name is required")
    identifier = _clean(values.get("funder_identifier"))
    raw_type = _clean(values.get("funder_identifier_type"))
    kind = None
    if identifier and not raw_type:
        raise RowError("funder_identifier_type is required with a funder_identifier")
    if raw_type and not identifier:
        raise RowError(f"funder_identifier_type {raw_type!r} is given without a funder_identifier")
    if identifier and raw_type:
        kind = _identifier_type(raw_type)
        identifier = normalize_identifier(kind, identifier)
    award_uri = _clean(values.get("award_uri"))
    if award_uri:
        award_uri = check_uri(values.get("award_uri") or "")
    row = FundingRow(
        line=line,
        record_id=record_id,
        reference_code=reference_code,
        funder_name=name,
        funder_identifier=identifier,
        funder_identifier_type=kind,
        award_number=_clean(values.get("award_number")),
        award_uri=award_uri,
        award_title=_clean(values.get("award_title")),
    )
    for column, limit in {**MAX_LENGTHS, **MAX_TEXT}.items():
        text = getattr(row, column)
        if text and len(text) > limit:
            raise RowError(f"{column} is longer than {limit} characters ({len(text)})")
    return row


def match_key(
    record_id: int, name: str, identifier: str | None, award_number: str | None
) -> tuple[int, str, str]:
    """What makes two funding rows the same: record + funder (identifier, else name) + award."""
    funder = identifier.casefold() if identifier else "name:" + " ".join(name.split()).casefold()
    return record_id, funder, (award_number or "").strip().casefold()
