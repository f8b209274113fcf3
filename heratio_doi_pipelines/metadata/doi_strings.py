"""DOI strings: the one place where a record's DOI is made from prefix and suffix pattern.

Rules (``format_doi``):

- placeholders: ``{repository_code}``, ``{year}``, ``{object_id}`` (format specs such as
  ``{object_id:06d}`` allowed); any other placeholder is a configuration error;
- ``{repository_code}`` is the holding repository's ``repository.identifier`` made DOI-safe:
  accents folded to ASCII, lower-cased, every run of characters outside ``a-z 0-9 . _ -``
  replaced by ``-``, leading/trailing punctuation stripped (``"Archives Nationales / AN"`` ->
  ``archives-nationales-an``); a repository without a usable code gets ``r{repository_id}``
  (``r12``), a record without a repository ``r0`` (Heratio's service used ``h`` for everyone);
- the whole DOI is lower case (DataCite answers in lower case; comparisons stay trivial);
- the prefix must look like ``10.NNNN``; configuration errors raise ``MetadataConfigError``
  (a ValueError).
"""

from __future__ import annotations

import re
import string
import unicodedata
from functools import lru_cache
from typing import Protocol

from heratio_doi_pipelines.catalogue.records import CatalogueRecord

DEFAULT_SUFFIX_PATTERN = "{repository_code}/{year}/{object_id}"
NO_REPOSITORY_CODE = "r0"
SUFFIX_PLACEHOLDERS = ("repository_code", "year", "object_id")

_PREFIX = re.compile(r"^10\.\d{4,9}(?:\.\d+)*$")
_UNSAFE = re.compile(r"[^a-z0-9._-]+")
_SUFFIX_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f\"<>\\^`{|}]")


class MetadataConfigError(ValueError):
    """The DOI configuration (prefix, suffix pattern) cannot make DOIs: affects every record."""


@lru_cache(maxsize=4096)  # a handful of repositories, asked for every record
def sanitize_repository_code(code: str | None) -> str | None:
    """A DOI-safe lower-case code, or None when nothing usable is left."""
    if not code:
        return None
    ascii_text = unicodedata.normalize("NFKD", code).encode("ascii", "ignore").decode("ascii")
    cleaned = _UNSAFE.sub("-", ascii_text.lower()).strip("-._")
    return re.sub(r"-{2,}", "-", cleaned) or None


def repository_code_for(repository_code: str | None, repository_id: int | None) -> str:
    """The ``{repository_code}`` value: the sanitised code, else ``r{id}``, else ``r0``."""
    code = sanitize_repository_code(repository_code)
    if code:
        return code
    return f"r{repository_id}" if repository_id else NO_REPOSITORY_CODE


@lru_cache(maxsize=256)  # one pattern per configuration, checked for every DOI
def check_suffix_pattern(suffix_pattern: str) -> None:
    """Raise MetadataConfigError naming the problem when the pattern cannot make DOIs."""
    try:
        parsed = list(string.Formatter().parse(suffix_pattern))
    except ValueError as exc:
        raise MetadataConfigError(
            f"DOI suffix pattern {suffix_pattern!r} is malformed: {exc}"
        ) from None
    names = [name for _, name, _, _ in parsed if name is not None]
    unknown = [name for name in names if name not in SUFFIX_PLACEHOLDERS]
    if unknown:
        allowed = ", ".join("{" + name + "}" for name in SUFFIX_PLACEHOLDERS)
        raise MetadataConfigError(
            f"DOI suffix pattern {suffix_pattern!r} has unknown placeholder "
            f"{{{unknown[0]}}}: allowed are {allowed}"
        )
    if "object_id" not in names:
        raise MetadataConfigError(
            f"DOI suffix pattern {suffix_pattern!r} lacks {{object_id}}: DOIs would not be unique"
        )
    literal = "".join(text for text, _, _, _ in parsed)
    if _SUFFIX_FORBIDDEN.search(literal):
        raise MetadataConfigError(
            f"DOI suffix pattern {suffix_pattern!r} contains whitespace or characters "
            "that are unsafe in URLs"
        )


def format_doi(
    prefix: str,
    suffix_pattern: str,
    *,
    repository_code: str | None,
    year: int,
    object_id: int,
) -> str:
    """``prefix/suffix`` for one record; see the module docstring for the rules."""
    prefix = (prefix or "").strip()
    if not _PREFIX.match(prefix):
        raise MetadataConfigError(f"DOI prefix {prefix!r} is not a DOI prefix like 10.5072")
    check_suffix_pattern(suffix_pattern)
    code = sanitize_repository_code(repository_code) or NO_REPOSITORY_CODE
    try:
        suffix = suffix_pattern.format(repository_code=code, year=year, object_id=object_id)
    except (ValueError, IndexError) as exc:
        raise MetadataConfigError(
            f"DOI suffix pattern {suffix_pattern!r} is malformed: {exc}"
        ) from None
    suffix = suffix.strip("/")
    if not suffix:
        raise MetadataConfigError(f"DOI suffix pattern {suffix_pattern!r} gives an empty suffix")
    return f"{prefix}/{suffix}".lower()


class DoiPattern(Protocol):
    """What a DOI is made from (a ``MetadataContext`` has it)."""

    @property
    def prefix(self) -> str: ...
    @property
    def suffix_pattern(self) -> str: ...
    @property
    def year(self) -> int: ...


def derive_doi(record: CatalogueRecord, ctx: DoiPattern) -> str:
    """The DOI a record gets under the configured prefix and pattern (before it is reserved)."""
    return format_doi(
        ctx.prefix,
        ctx.suffix_pattern,
        repository_code=repository_code_for(record.repository_code, record.repository_id),
        year=ctx.year,
        object_id=record.id,
    )
