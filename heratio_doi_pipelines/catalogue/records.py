"""What the catalogue reader hands to the metadata builder: one archival description.

Plain data read from AtoM's tables (and Heratio's read-only sidecars). Dates stay strings
exactly as AtoM stores them (``1890-00-00`` is a partial date, not an error); cleaning them
is the metadata builder's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    id: int
    name: str | None
    entity_type_id: int | None  # 131 corporate body, 132 person, 133 family
    orcid: str | None = None  # raw value from ahg_actor_identifier (not yet normalised)
    isni: str | None = None
    ror: str | None = None


@dataclass(frozen=True)
class CatalogueEvent:
    type_id: int  # 111 creation, 114 publication, ...
    actor_id: int | None
    start_date: str | None  # as stored, e.g. "1890-00-00"
    end_date: str | None
    date_display: str | None  # event_i18n.date free text, e.g. "ca. 1890-1900"


@dataclass(frozen=True)
class Place:
    term_id: int
    name: str
    latitude: float | None = None  # from the coordinates sidecar when present
    longitude: float | None = None
    box: tuple[float, float, float, float] | None = None  # west, east, south, north
    polygon: tuple[tuple[float, float], ...] | None = None  # (longitude, latitude) points


@dataclass(frozen=True)
class GeoPoint:
    latitude: float | None
    longitude: float | None
    place_name: str | None


@dataclass(frozen=True)
class DigitalObject:
    id: int
    usage_id: int | None  # 140 master, 166 external URI, 141 reference, 142 thumbnail
    mime_type: str | None
    name: str | None
    path: str | None
    parent_id: int | None


@dataclass(frozen=True)
class Funding:
    funder_name: str
    funder_identifier: str | None
    funder_identifier_type: str | None
    award_number: str | None
    award_uri: str | None
    award_title: str | None


@dataclass(frozen=True)
class CatalogueRecord:
    id: int
    identifier: str | None  # this level's local code only
    parent_id: int | None  # None (or 1, the root) for top-level descriptions
    repository_id: int | None
    repository_code: str | None  # repository.identifier of the holding repository
    repository_name: str | None
    level_of_description: str | None  # term name, e.g. "Fonds", "Item"
    source_culture: str | None
    title: str | None
    scope_and_content: str | None = None
    archival_history: str | None = None
    acquisition: str | None = None
    slug: str | None = None
    reference_code: str | None = None  # inherited, as AtoM builds it
    publication_status: str | None = None  # "draft" | "published" | None (no status row)
    events: tuple[CatalogueEvent, ...] = ()
    # creators: actors of this record's creation events, else of the nearest ancestor's
    creators: tuple[Actor, ...] = ()
    creators_inherited_from: int | None = None
    subjects: tuple[str, ...] = ()
    places: tuple[Place, ...] = ()
    genres: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()  # from the `language` property, as stored (codes)
    digital_objects: tuple[DigitalObject, ...] = ()
    geolocation: GeoPoint | None = None
    funding: tuple[Funding, ...] = ()
    parent_doi: str | None = None  # the parent description's DOI, when it has one
    repository_ror: str | None = None  # the holding repository's ROR (ahg_actor_identifier), raw
    parent_slug: str | None = None  # the parent's public URL slug (its link without a DOI)
    parent_publication_status: str | None = None  # the parent's "draft" | "published" | None
    exhibition_urls: tuple[str, ...] = ()  # URLs found in AtoM exhibition notes
    exhibition_ids: tuple[int, ...] = ()  # Heratio exhibitions showing the record
    updated_at: str | None = None  # object.updated_at, ISO text
    extra: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
