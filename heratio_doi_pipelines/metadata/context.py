"""The configuration a metadata build needs (the DOI string itself: ``doi_strings``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from heratio_doi_pipelines.metadata.doi_strings import DEFAULT_SUFFIX_PATTERN, MetadataConfigError
from heratio_doi_pipelines.metadata.schema_versions import (
    DEFAULT_SCHEMA_VERSION,
    UnknownSchemaVersion,
    kernel_version,
)


@dataclass(frozen=True, kw_only=True)
class MetadataContext:
    """Settings for one metadata build (one repository's view of the DOI configuration).

    ``year`` fills ``{year}`` and is the publicationYear fallback; ``publisher_by_repository``
    overrides ``publisher`` for a record's repository; ``register_drafts`` lets records still in
    draft in the catalogue be registered (not findable) instead of rejected; ``use_index_php``
    builds ``{base_url}/index.php/{slug}`` for AtoM sites without URL rewriting;
    ``language_fallback`` is used when the record states no language; ``publisher_ror`` (the
    ``doi_publisher_ror`` setting) becomes the publisher's identifier; ``schema_version`` is
    the DataCite schema the record is mapped and validated for.
    """

    prefix: str
    publisher: str
    base_url: str
    year: int
    suffix_pattern: str = DEFAULT_SUFFIX_PATTERN
    resource_type_general: str = "Text"
    publisher_by_repository: Mapping[int, str] = field(default_factory=dict)
    register_drafts: bool = False
    use_index_php: bool = False
    xml_mode: bool = False
    language_fallback: str | None = None
    publisher_ror: str = ""
    schema_version: str = DEFAULT_SCHEMA_VERSION

    def __post_init__(self) -> None:
        try:
            kernel_version(self.schema_version)
        except UnknownSchemaVersion as exc:
            raise MetadataConfigError(str(exc)) from None

    def publisher_for(self, repository_id: int | None) -> str:
        if repository_id is not None and self.publisher_by_repository.get(repository_id):
            return self.publisher_by_repository[repository_id]
        return self.publisher


class SettingsLike(Protocol):
    """What ``context_from_settings`` reads (``heratio_doi_pipelines.settings.DoiSettings``)."""

    @property
    def prefix(self) -> str: ...
    @property
    def publisher(self) -> str: ...
    @property
    def base_url(self) -> str: ...
    @property
    def suffix_pattern(self) -> str: ...
    @property
    def resource_type(self) -> str: ...
    @property
    def register_drafts(self) -> bool: ...
    @property
    def xml_mode(self) -> bool: ...
    @property
    def publisher_ror(self) -> str: ...
    @property
    def schema_version(self) -> str: ...


def context_from_settings(
    settings: SettingsLike, *, year: int, **overrides: Any
) -> MetadataContext:
    """A MetadataContext from resolved DOI settings (``heratio_doi_pipelines.settings``)."""
    values: dict[str, Any] = {
        "prefix": settings.prefix,
        "publisher": settings.publisher,
        "base_url": settings.base_url,
        "year": year,
        "suffix_pattern": settings.suffix_pattern or DEFAULT_SUFFIX_PATTERN,
        "resource_type_general": settings.resource_type or "Text",
        "register_drafts": bool(settings.register_drafts),
        "xml_mode": bool(settings.xml_mode),
        "publisher_ror": settings.publisher_ror or "",
        "schema_version": settings.schema_version or DEFAULT_SCHEMA_VERSION,
    }
    values.update(overrides)
    return MetadataContext(**values)
