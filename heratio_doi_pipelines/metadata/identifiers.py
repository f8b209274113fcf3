"""The one home of identifier rules: ORCID, ISNI, ROR, Crossref Funder ID, GRID, DOI, URL.

Metadata mapping, the funding importer and the sample archive all use these functions, so a
checksum rule lives in one place. idutils does the format checks it gets right; ROR's
checksum is computed here because ``idutils.is_ror`` only matches a pattern (it accepts
``0iiiiii00``).

Each function returns the canonical form or ``None`` when the value is not a valid identifier
of that scheme (checksums included), so callers can drop it with a warning:

- ORCID: ``0000-0002-1825-0097``, ``https://orcid.org/...``, ``orcid.org/...``, with spaces or
  without hyphens, lower-case ``x`` -> ``https://orcid.org/0000-0002-1825-0097`` (ISO 7064
  checksum and ORCID's number ranges checked by idutils);
- ISNI: any spacing, ``https://isni.org/isni/...`` -> 16 characters, e.g. ``000000012103268X``;
- ROR: ``04wxnsj81``, ``ror.org/04wxnsj81`` -> ``https://ror.org/04wxnsj81``: ``0`` + 6
  characters of Crockford base32 (no i, l, o, u) + 2 check digits (ISO/IEC 7064 MOD 97-10 of
  the base32 number, ``98 - (n * 100 mod 97)``);
- Crossref Funder ID: ``501100000780``, ``10.13039/501100000780``, ``doi:``/``https://doi.org/``
  forms -> ``https://doi.org/10.13039/501100000780``;
- GRID: ``grid.5335.0`` (lower-cased);
- DOI: ``doi:``/``https://doi.org/`` forms -> bare lower-case ``10.x/y``;
- URL: absolute http(s) URL with a host, spaces percent-encoded.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

import idutils

from heratio_doi_pipelines.metadata.text import remove_illegal_chars

ORCID_SCHEME_URI = "https://orcid.org"
ISNI_SCHEME_URI = "https://isni.org/isni/"
ROR_SCHEME_URI = "https://ror.org"
CROSSREF_FUNDER_PREFIX = "10.13039"
CROCKFORD_BASE32 = "0123456789abcdefghjkmnpqrstvwxyz"

_ORCID_PREFIX = re.compile(r"^(?:https?://)?(?:www\.)?orcid\.org/", re.IGNORECASE)
_ISNI_PREFIX = re.compile(r"^(?:https?://)?(?:www\.)?isni\.org/(?:isni/)?", re.IGNORECASE)
_ROR_PREFIX = re.compile(r"^(?:https?://)?(?:www\.)?ror\.org/", re.IGNORECASE)
_ROR_ID = re.compile(r"^0[0-9a-hjkmnp-tv-z]{6}[0-9]{2}$")
_GRID = re.compile(r"^grid\.\d+\.[0-9a-f]{1,2}$")
_FUNDER_NUMBER = re.compile(r"^\d{9,12}$")
_URL_SAFE = "/:?#[]@!$&'()*+,;=%-._~"


def normalize_orcid(value: str | None) -> str | None:
    """``https://orcid.org/XXXX-XXXX-XXXX-XXXX`` for a valid ORCID iD, else None."""
    if not value:
        return None
    compact = _ORCID_PREFIX.sub("", value.strip())
    compact = "".join(compact.split()).replace("-", "").upper()
    if len(compact) != 16 or not idutils.is_orcid(compact):
        return None
    return f"{ORCID_SCHEME_URI}/{'-'.join(compact[i : i + 4] for i in range(0, 16, 4))}"


def normalize_isni(value: str | None) -> str | None:
    """The 16-character ISNI (checksum verified), else None."""
    if not value:
        return None
    compact = _ISNI_PREFIX.sub("", value.strip())
    compact = "".join(compact.split()).replace("-", "").upper()
    if len(compact) != 16 or not idutils.is_isni(compact):
        return None
    return compact


def iso7064_mod11_2(digits: str) -> str:
    """The ISO 7064 MOD 11-2 check character of ORCID and ISNI base digits (``0``-``9``/``X``)."""
    total = 0
    for digit in digits:
        total = (total + int(digit)) * 2
    check = (12 - total % 11) % 11
    return "X" if check == 10 else str(check)


def ror_check_digits(body: str) -> str:
    """ROR's two check digits for the 7 characters ``0xxxxxx`` of an id."""
    number = 0
    for char in body.lower():
        number = number * 32 + CROCKFORD_BASE32.index(char)
    return f"{98 - (number * 100) % 97:02d}"


def ror_error(value: str | None) -> str | None:
    """Why ``value`` is not a ROR id (format or checksum), or None when it is one."""
    text = _ROR_PREFIX.sub("", (value or "").strip()).lower()
    if not _ROR_ID.match(text):
        return "not 0 + 6 base32 characters + 2 check digits"
    if ror_check_digits(text[:7]) != text[7:]:
        return "its checksum does not match"
    return None


def normalize_ror(value: str | None) -> str | None:
    """``https://ror.org/0xxxxxxNN`` for a ROR id (format and checksum checked), else None."""
    if not value or ror_error(value):
        return None
    return f"{ROR_SCHEME_URI}/{_ROR_PREFIX.sub('', value.strip()).lower()}"


def normalize_doi(value: str | None) -> str | None:
    """The bare lower-case DOI (``10.1234/abc``), else None."""
    if not value:
        return None
    text = value.strip()
    if not text or any(ch.isspace() for ch in text) or not idutils.is_doi(text):
        return None
    return str(idutils.normalize_doi(text)).lower()


def normalize_crossref_funder(value: str | None) -> str | None:
    """``https://doi.org/10.13039/<id>`` for a Crossref Funder ID, else None."""
    if not value:
        return None
    text = value.strip()
    if _FUNDER_NUMBER.match(text):
        text = f"{CROSSREF_FUNDER_PREFIX}/{text}"
    doi = normalize_doi(text)
    if not doi or not doi.startswith(CROSSREF_FUNDER_PREFIX + "/"):
        return None
    return f"https://doi.org/{doi}"


def normalize_grid(value: str | None) -> str | None:
    """A GRID id (``grid.5335.0``), else None."""
    if not value:
        return None
    text = value.strip().lower()
    return text if _GRID.match(text) else None


def normalize_url(value: str | None) -> str | None:
    """An absolute http(s) URL with a host (spaces and non-ASCII percent-encoded), else None."""
    if not value:
        return None
    text = quote(remove_illegal_chars(value).strip(), safe=_URL_SAFE)
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return text
