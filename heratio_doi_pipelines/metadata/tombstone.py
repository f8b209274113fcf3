"""The landing page of a tombstoned (hidden) DOI, and the check that it is on the site.

Heratio serves no tombstone page (it has no ``/doi/tombstone/...`` route): its own
deactivation only hides the DOI at DataCite and leaves the DOI's URL as it was, the
description's public page ``{base_url}/{slug}``. So the default pattern is ``{url}``: the URL
the DOI already has (else the record's public page). A site with a page for withdrawn records
sets ``doi_tombstone_url_pattern``, e.g. ``{base_url}/withdrawn/{doi}``; the placeholders are
``{url}``, ``{base_url}``, ``{doi}``, ``{object_id}`` and ``{slug}``.
"""

from __future__ import annotations

import string
from urllib.parse import quote, urlsplit

DEFAULT_TOMBSTONE_URL_PATTERN = "{url}"
PLACEHOLDERS = ("url", "base_url", "doi", "object_id", "slug")
SETTING = "doi_tombstone_url_pattern"


class TombstonePatternError(ValueError):
    """The tombstone URL pattern cannot be filled in (unknown placeholder, bad braces)."""


def _check(pattern: str) -> None:
    try:
        fields = [name for _text, name, _spec, _conv in string.Formatter().parse(pattern)]
    except ValueError as exc:
        raise TombstonePatternError(f"{SETTING} {pattern!r}: {exc}") from exc
    unknown = sorted({name for name in fields if name is not None and name not in PLACEHOLDERS})
    if unknown or "" in fields:
        names = ", ".join("{" + name + "}" for name in unknown) or "{}"
        raise TombstonePatternError(
            f"{SETTING} {pattern!r}: unknown placeholder {names} "
            f"(use {', '.join('{' + p + '}' for p in PLACEHOLDERS)})"
        )


def tombstone_url(
    pattern: str,
    *,
    base_url: str,
    doi: str,
    object_id: int,
    slug: str | None = None,
    public_url: str | None = None,
) -> str:
    """The URL a hidden DOI points at; ``public_url`` is the DOI's current URL when known."""
    pattern = pattern or DEFAULT_TOMBSTONE_URL_PATTERN
    _check(pattern)
    base = base_url.strip().rstrip("/")
    page = slug or str(object_id)
    return pattern.format(
        url=public_url or f"{base}/{quote(page, safe='-._~')}",
        base_url=base,
        doi=doi,
        object_id=object_id,
        slug=page,
    )


def tombstone_host_warning(pattern: str, base_url: str) -> str | None:
    """Why tombstoned DOIs would not land on the catalogue's own site, or None when they do."""
    try:
        example = tombstone_url(
            pattern, base_url=base_url, doi="10.5072/example", object_id=1, slug="example"
        )
    except TombstonePatternError as exc:
        return str(exc)
    site = (urlsplit(base_url.strip()).hostname or "").lower()
    host = (urlsplit(example).hostname or "").lower()
    if not host:
        return f"{SETTING} {pattern!r} does not give an absolute http(s) URL (e.g. {example!r})"
    if host != site:
        return (
            f"{SETTING} {pattern!r} sends tombstoned DOIs to {host}, not to the catalogue's "
            f"host {site or base_url!r} (base_url): check that this page exists"
        )
    if urlsplit(example).path.startswith("/doi/tombstone/"):
        return (
            f"{SETTING} {pattern!r}: Heratio serves no /doi/tombstone/ page, so tombstoned "
            "DOIs would resolve to a 404 (the default {url} keeps the record's page)"
        )
    return None
