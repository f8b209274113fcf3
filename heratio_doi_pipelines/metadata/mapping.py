"""Catalogue record -> DataCite JSON:API ``attributes`` (pure: no I/O, never raises on data).

Every problem in the record becomes either a warning (value normalised or dropped; the record
is still sent) or an error (the record cannot be sent; the reason names the field and rule).
Only non-empty blocks are emitted: no empty list, empty string or null anywhere.

Mapping and normalisation rules:

- doi, url: ``url`` = ``{base_url}/{slug}`` (``/index.php/{slug}`` when configured); no slug
  -> error ``url: no slug: cannot build the public URL``; no usable base URL -> error.
- status: publication status ``draft`` -> error ``record is a draft in the catalogue
  (publication status draft): not made findable``, or, when drafts may be registered, a
  warning and target state ``registered``.
- titles: cleaned title (see ``text``), ``lang`` from the source culture when it is a valid
  tag; missing -> ``Information object {id}`` with a warning.
- creators: actors of the record's creation events (or its nearest ancestor's, as the reader
  resolved them); entity type 132 (person) -> ``Personal``, 131 (corporate body) and 133
  (family) -> ``Organizational``, other/unknown -> no nameType (warning); persons written
  ``Family, Given`` also get familyName/givenName (a second part containing digits, e.g.
  life dates, is not taken as a given name); ORCID -> nameIdentifier
  ``https://orcid.org/XXXX-XXXX-XXXX-XXXX`` (scheme ``ORCID``, schemeUri ``https://orcid.org``),
  invalid ORCID (format or checksum) dropped with a warning; ISNI likewise (scheme ``ISNI``);
  corporate bodies' ROR likewise (scheme ``ROR``, schemeUri ``https://ror.org``); when the
  holding repository has a valid ROR in ``ahg_actor_identifier``, personal creators get it
  as their affiliation (the repository's name, ``affiliationIdentifierScheme`` ``ROR``);
  nameless actors dropped with a warning; duplicates (same actor) dropped; none left -> the
  publisher as the single Organizational creator, with a warning.
- publisher: the per-repository override, else the configured default; empty -> error; with a
  ``doi_publisher_ror`` setting (global or per repository) the publisher is an object with
  ``publisherIdentifier`` (``https://ror.org/...``), scheme ``ROR`` and schemeUri
  ``https://ror.org``; an invalid ROR (format or checksum) is dropped with a warning.
- publicationYear: earliest year of the creation (111) / publication (114) dates, else the
  configured year.
- types: ``resourceTypeGeneral`` from configuration (case-insensitive match against the list
  of the configured schema version; unknown -> error), ``resourceType`` = level of
  description when known.
- schema version (``doi_schema_version``, 4.7 by default): every controlled value (relation,
  date, description, title, contributor, funder identifier and related identifier types) must
  be in the chosen version's list; others are dropped with a warning, so a 4.5 payload has no
  ``Other`` relation and no ``Coverage`` date.
- dates: creation -> ``Created``, publication -> ``Issued``; see ``dates`` for the date rules;
  identical entries emitted once.
- descriptions: scope and content -> ``Abstract``; archival history, acquisition -> ``Other``;
  HTML stripped, control characters removed, whitespace collapsed (paragraph breaks kept).
- subjects: cleaned, duplicates dropped case-insensitively (first spelling kept).
- language: the first of the record's languages that maps to a tag (see ``language``); each
  unknown value before it is dropped with a warning; none -> ``language_fallback``.
- identifiers (alternate identifiers): the inherited reference code (else the local
  identifier) with identifierType ``Reference code``.
- relatedIdentifiers: parent DOI (findable or registered) -> ``IsPartOf`` (DOI); a parent
  without one (or with an invalid one, warned) -> ``IsPartOf`` with the parent's public URL
  (type URL), as Heratio links it, unless the parent is a catalogue draft (its page is not
  public: no link, a warning); digital-object derivatives except thumbnails (usage 142) ->
  ``IsVariantFormOf`` with the derivative's public URL (``{base_url}/{path}{name}``; external
  http(s) paths as they are); Heratio exhibition placements -> ``IsReferencedBy``
  ``{base_url}/exhibitions/{id}`` (the URL Heratio's own DOI service gives them); URLs in
  exhibition notes (relative ones resolved on the base URL) -> ``IsReferencedBy``; invalid
  URLs dropped with a warning; duplicates dropped.
- geoLocations: one block per place access point (``geoLocationPlace``, plus point, box and
  polygon when the coordinates sidecar has them) and the record's point; see ``geo``.
- fundingReferences: see ``funding``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any
from urllib.parse import quote

from heratio_doi_pipelines.catalogue.constants import ROOT_INFORMATION_OBJECT_ID
from heratio_doi_pipelines.catalogue.records import Actor, CatalogueRecord
from heratio_doi_pipelines.metadata.context import MetadataContext
from heratio_doi_pipelines.metadata.dates import DateValue, earliest_year, event_date
from heratio_doi_pipelines.metadata.funding import funding_references
from heratio_doi_pipelines.metadata.geo import geo_locations
from heratio_doi_pipelines.metadata.identifiers import (
    ISNI_SCHEME_URI,
    ORCID_SCHEME_URI,
    ROR_SCHEME_URI,
    normalize_doi,
    normalize_isni,
    normalize_orcid,
    normalize_ror,
    normalize_url,
    ror_error,
)
from heratio_doi_pipelines.metadata.language import normalize_language
from heratio_doi_pipelines.metadata.schema_versions import KernelVersion, kernel_version
from heratio_doi_pipelines.metadata.text import clean_line, clean_paragraphs, remove_illegal_chars

# Raised whenever a change to these rules changes what a record maps to: sync reports DOIs
# last written by an older mapping as outdated_metadata, and --repair re-sends them.
MAPPING_VERSION = 2

ENTITY_CORPORATE_BODY = 131
ENTITY_PERSON = 132
ENTITY_FAMILY = 133
EVENT_CREATION = 111
EVENT_PUBLICATION = 114
USAGE_THUMBNAIL = 142

DATE_TYPES = {EVENT_CREATION: "Created", EVENT_PUBLICATION: "Issued"}
REFERENCE_CODE_TYPE = "Reference code"
DRAFT_ERROR = "record is a draft in the catalogue (publication status draft): not made findable"
TARGET_FINDABLE = "findable"
TARGET_REGISTERED = "registered"


@dataclass
class BuildResult:
    """The attributes plus what happened on the way (warnings) and why it cannot be sent."""

    attributes: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    target_state: str = TARGET_FINDABLE


def build_attributes(record: CatalogueRecord, ctx: MetadataContext, doi: str) -> BuildResult:
    """Map one catalogue record to DataCite attributes (see the module docstring)."""
    warnings: list[str] = []
    errors: list[str] = []
    attrs: dict[str, Any] = {"doi": doi}

    url = landing_url(record.slug, ctx, errors)
    if url:
        attrs["url"] = url

    target_state = TARGET_FINDABLE
    if (record.publication_status or "").strip().lower() == "draft":
        if ctx.register_drafts:
            target_state = TARGET_REGISTERED
            warnings.append(
                "state: record is a draft in the catalogue: registered, not made findable"
            )
        else:
            errors.append(DRAFT_ERROR)

    lang = normalize_language(record.source_culture)
    attrs["titles"] = [_title(record, lang, warnings)]

    publisher = clean_line(ctx.publisher_for(record.repository_id))
    if publisher:
        attrs["publisher"] = _publisher(publisher, ctx.publisher_ror, warnings)
    else:
        errors.append("publisher: no publisher configured (default_publisher is empty)")

    creators = _creators(record.creators, warnings, _repository_affiliation(record, warnings))
    if not creators and publisher:
        warnings.append("creators: no creator on the record or its ancestors: publisher used")
        creators = [{"name": publisher, "nameType": "Organizational"}]
    if creators:
        attrs["creators"] = creators
    else:
        errors.append("creators: no creator and no publisher to stand in for one")

    dates = _dates(record, warnings)
    years = [y for d in dates if (y := earliest_year(d["date"])) is not None]
    attrs["publicationYear"] = min(years) if years else ctx.year

    kernel = kernel_version(ctx.schema_version)
    types = _types(record, ctx, kernel, errors)
    if types:
        attrs["types"] = types

    _put(attrs, "subjects", _subjects(record))
    _put(attrs, "dates", dates)
    _put(attrs, "descriptions", _descriptions(record, lang))
    language = _language(record, ctx, warnings)
    if language:
        attrs["language"] = language
    _put(attrs, "identifiers", _alternate_identifiers(record))
    _put(attrs, "relatedIdentifiers", _related_identifiers(record, ctx, warnings))
    _put(attrs, "geoLocations", geo_locations(record.places, record.geolocation, warnings, errors))
    _put(attrs, "fundingReferences", funding_references(record.funding, warnings))
    restrict_to_version(attrs, kernel, warnings)
    return BuildResult(attrs, warnings, errors, target_state)


# (attribute list, key in each entry, controlled list of the XSD)
_CONTROLLED_VALUES = (
    ("titles", "titleType", "titleType"),
    ("dates", "dateType", "dateType"),
    ("descriptions", "descriptionType", "descriptionType"),
    ("contributors", "contributorType", "contributorType"),
    ("relatedIdentifiers", "relationType", "relationType"),
    ("relatedIdentifiers", "relatedIdentifierType", "relatedIdentifierType"),
    ("fundingReferences", "funderIdentifierType", "funderIdentifierType"),
)


def restrict_to_version(attrs: dict[str, Any], kernel: KernelVersion, warnings: list[str]) -> None:
    """Drop list entries whose controlled value the schema version does not know (a warning
    each), so one mapping serves every vendored version."""
    for key, field_name, list_name in _CONTROLLED_VALUES:
        entries = attrs.get(key)
        if not entries:
            continue
        allowed = kernel.allowed(list_name)
        kept = []
        for entry in entries:
            value = entry.get(field_name) if isinstance(entry, dict) else None
            if value is None or value in allowed:
                kept.append(entry)
            else:
                warnings.append(
                    f"{key}: {field_name} {value!r} is not in DataCite schema "
                    f"{kernel.version}: dropped"
                )
        if kept:
            attrs[key] = kept
        else:
            del attrs[key]


def _publisher(name: str, configured_ror: str, warnings: list[str]) -> str | dict[str, str]:
    """The publisher name, or an object with its ROR when ``doi_publisher_ror`` is set."""
    if not configured_ror.strip():
        return name
    ror = normalize_ror(configured_ror)
    if not ror:
        warnings.append(
            f"publisher: doi_publisher_ror {clean_line(configured_ror)!r} is not a ROR id "
            f"({ror_error(configured_ror)}): publisher sent without an identifier"
        )
        return name
    return {
        "name": name,
        "publisherIdentifier": ror,
        "publisherIdentifierScheme": "ROR",
        "schemeUri": ROR_SCHEME_URI,
    }


def _repository_affiliation(record: CatalogueRecord, warnings: list[str]) -> dict[str, str] | None:
    raw = record.repository_ror
    if not raw or not raw.strip():
        return None
    ror = normalize_ror(raw)
    name = clean_line(record.repository_name)
    if not ror or not name:
        reason = f"is not a ROR id ({ror_error(raw)})" if not ror else "has no name"
        warnings.append(
            f"creators: repository {record.repository_id} ROR {clean_line(raw)!r} {reason}: "
            "no affiliation"
        )
        return None
    return {
        "name": name,
        "affiliationIdentifier": ror,
        "affiliationIdentifierScheme": "ROR",
        "schemeUri": ROR_SCHEME_URI,
    }


def _put(attrs: dict[str, Any], key: str, values: list[Any]) -> None:
    if values:
        attrs[key] = values


def _base_url(ctx: MetadataContext) -> str | None:
    return _normalized_base_url(ctx.base_url)


@lru_cache(maxsize=256)  # one base URL per configuration, needed twice for every record
def _normalized_base_url(base_url: str | None) -> str | None:
    base = normalize_url((base_url or "").strip().rstrip("/"))
    return base.rstrip("/") if base else None


def landing_url(slug: str | None, ctx: MetadataContext, errors: list[str]) -> str | None:
    """The public record URL from the slug (AtoM's URL scheme, not ``/informationobject/{id}``)."""
    slug_text = remove_illegal_chars(slug or "").strip().strip("/")
    if not slug_text:
        errors.append("url: no slug: cannot build the public URL")
        return None
    base = _base_url(ctx)
    if not base:
        errors.append(f"url: base URL {ctx.base_url!r} is not an absolute http(s) URL")
        return None
    index = "/index.php" if ctx.use_index_php else ""
    return f"{base}{index}/{quote(slug_text, safe='-._~')}"


def _title(record: CatalogueRecord, lang: str | None, warnings: list[str]) -> dict[str, Any]:
    title = clean_line(record.title)
    if not title:
        title = f"Information object {record.id}"
        warnings.append(f"titles: record has no title: '{title}' used")
    entry: dict[str, Any] = {"title": title}
    if lang:
        entry["lang"] = lang
    return entry


def _creators(
    actors: tuple[Actor, ...], warnings: list[str], affiliation: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[Any] = set()
    for actor in actors:
        name = clean_line(actor.name)
        if not name:
            warnings.append(f"creators: actor {actor.id} has no name: dropped")
            continue
        key = actor.id if actor.id else name.casefold()
        if key in seen:
            continue
        seen.add(key)
        creator: dict[str, Any] = {"name": name}
        if actor.entity_type_id == ENTITY_PERSON:
            creator["nameType"] = "Personal"
            given, family = split_personal_name(name)
            if given and family:
                creator["givenName"] = given
                creator["familyName"] = family
        elif actor.entity_type_id in (ENTITY_CORPORATE_BODY, ENTITY_FAMILY):
            creator["nameType"] = "Organizational"
        else:
            warnings.append(
                f"creators: {name}: unknown entity type {actor.entity_type_id}: nameType omitted"
            )
        identifiers = _name_identifiers(actor, name, warnings)
        if identifiers:
            creator["nameIdentifiers"] = identifiers
        if affiliation and creator.get("nameType") == "Personal":
            creator["affiliation"] = [dict(affiliation)]
        out.append(creator)
    return out


def split_personal_name(name: str) -> tuple[str | None, str | None]:
    """``("Given", "Family")`` for an inverted ``Family, Given[, dates]`` name, else Nones."""
    parts = [part.strip() for part in name.split(",")]
    if len(parts) < 2 or not parts[0] or not parts[1]:
        return None, None
    if any(ch.isdigit() for ch in parts[1]):
        return None, None
    return parts[1], parts[0]


def _name_identifiers(actor: Actor, name: str, warnings: list[str]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    if actor.orcid and actor.orcid.strip():
        orcid = normalize_orcid(actor.orcid)
        if orcid:
            out.append(
                {
                    "nameIdentifier": orcid,
                    "nameIdentifierScheme": "ORCID",
                    "schemeUri": ORCID_SCHEME_URI,
                }
            )
        else:
            warnings.append(
                f"creators: {name}: ORCID {clean_line(actor.orcid)!r} is not a valid "
                "ORCID iD (format or checksum): dropped"
            )
    if actor.isni and actor.isni.strip():
        isni = normalize_isni(actor.isni)
        if isni:
            out.append(
                {
                    "nameIdentifier": isni,
                    "nameIdentifierScheme": "ISNI",
                    "schemeUri": ISNI_SCHEME_URI,
                }
            )
        else:
            warnings.append(
                f"creators: {name}: ISNI {clean_line(actor.isni)!r} is not a valid ISNI "
                "(format or checksum): dropped"
            )
    if actor.ror and actor.ror.strip() and actor.entity_type_id == ENTITY_CORPORATE_BODY:
        ror = normalize_ror(actor.ror)
        if ror:
            out.append(
                {"nameIdentifier": ror, "nameIdentifierScheme": "ROR", "schemeUri": ROR_SCHEME_URI}
            )
        else:
            warnings.append(
                f"creators: {name}: ROR {clean_line(actor.ror)!r} is not a ROR id "
                f"({ror_error(actor.ror)}): dropped"
            )
    return out


def _dates(record: CatalogueRecord, warnings: list[str]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    seen: set[tuple[str, str, str | None]] = set()
    for event in record.events:
        date_type = DATE_TYPES.get(event.type_id)
        if not date_type:
            continue
        label = f"dates ({date_type})"
        value: DateValue | None = event_date(
            event.start_date, event.end_date, event.date_display, label, warnings
        )
        if value is None:
            continue
        key = (value.value, date_type, value.information)
        if key in seen:
            continue
        seen.add(key)
        entry = {"date": value.value, "dateType": date_type}
        if value.information:
            entry["dateInformation"] = value.information
        out.append(entry)
    return out


@cache
def _resource_types(version: str) -> dict[str, str]:
    """resourceTypeGeneral values by their case-folded spelling (built once per version)."""
    return {value.casefold(): value for value in kernel_version(version).allowed("resourceType")}


def _types(
    record: CatalogueRecord, ctx: MetadataContext, kernel: KernelVersion, errors: list[str]
) -> dict[str, str]:
    configured = (ctx.resource_type_general or "").strip()
    general = _resource_types(kernel.version).get(configured.casefold())
    if not general:
        errors.append(
            f"types: resourceTypeGeneral {configured!r} is not a DataCite "
            f"{kernel.version} resource type"
        )
        return {}
    types = {"resourceTypeGeneral": general}
    level = clean_line(record.level_of_description)
    if level:
        types["resourceType"] = level
    return types


def _subjects(record: CatalogueRecord) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for raw in record.subjects:
        subject = clean_line(raw)
        if subject and subject.casefold() not in seen:
            seen.add(subject.casefold())
            out.append({"subject": subject})
    return out


def _descriptions(record: CatalogueRecord, lang: str | None) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for raw, kind in (
        (record.scope_and_content, "Abstract"),
        (record.archival_history, "Other"),
        (record.acquisition, "Other"),
    ):
        text = clean_paragraphs(raw)
        if text:
            entry = {"description": text, "descriptionType": kind}
            if lang:
                entry["lang"] = lang
            out.append(entry)
    return out


def _language(record: CatalogueRecord, ctx: MetadataContext, warnings: list[str]) -> str | None:
    for raw in record.languages:
        if raw is None or not str(raw).strip():
            continue
        tag = normalize_language(raw)
        if tag:
            return tag
        warnings.append(f"language: {clean_line(str(raw))!r} is not a known language: dropped")
    return normalize_language(ctx.language_fallback)


def _alternate_identifiers(record: CatalogueRecord) -> list[dict[str, str]]:
    code = clean_line(record.reference_code) or clean_line(record.identifier)
    return [{"identifier": code, "identifierType": REFERENCE_CODE_TYPE}] if code else []


def _related_identifiers(
    record: CatalogueRecord, ctx: MetadataContext, warnings: list[str]
) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []

    def add(identifier: str, kind: str, relation: str) -> None:
        entry = {
            "relatedIdentifier": identifier,
            "relatedIdentifierType": kind,
            "relationType": relation,
        }
        if entry not in out:
            out.append(entry)

    parent = normalize_doi(record.parent_doi) if record.parent_doi else None
    if parent:
        add(parent, "DOI", "IsPartOf")
    else:
        if record.parent_doi and record.parent_doi.strip():
            warnings.append(
                f"relatedIdentifiers: parent DOI {clean_line(record.parent_doi)!r} "
                "is not a DOI: dropped"
            )
        parent_url = _parent_url(record, ctx, warnings)
        if parent_url:
            add(parent_url, "URL", "IsPartOf")
    base = _base_url(ctx)
    for obj in record.digital_objects:
        if obj.parent_id is None or obj.usage_id == USAGE_THUMBNAIL:
            continue
        url = _digital_object_url(obj.path, obj.name, base)
        if url:
            add(url, "URL", "IsVariantFormOf")
        else:
            warnings.append(
                f"relatedIdentifiers: digital object {obj.id} has no usable path: dropped"
            )
    if base:
        for exhibition_id in record.exhibition_ids:
            add(f"{base}/exhibitions/{exhibition_id}", "URL", "IsReferencedBy")
    for raw in record.exhibition_urls:
        text = (raw or "").strip()
        if not text:
            continue
        if text.startswith("/") and base:
            text = base + text
        url = normalize_url(text)
        if url:
            add(url, "URL", "IsReferencedBy")
        else:
            warnings.append(
                f"relatedIdentifiers: exhibition link {clean_line(raw)!r} is not an "
                "http(s) URL: dropped"
            )
    return out


def _parent_url(record: CatalogueRecord, ctx: MetadataContext, warnings: list[str]) -> str | None:
    """The parent description's public URL, for a parent without a citable DOI."""
    if record.parent_id in (None, ROOT_INFORMATION_OBJECT_ID) or not record.parent_slug:
        return None
    if record.parent_publication_status == "draft":
        warnings.append(
            f"relatedIdentifiers: parent record {record.parent_id} is a draft in the "
            "catalogue (its page is not public): no IsPartOf link"
        )
        return None
    return landing_url(record.parent_slug, ctx, [])


def _digital_object_url(path: str | None, name: str | None, base: str | None) -> str | None:
    path_text = (path or "").strip()
    name_text = (name or "").strip()
    if not path_text:
        return None
    if path_text.lower().startswith(("http://", "https://")):
        return normalize_url(path_text)
    if name_text and not path_text.endswith(name_text):
        path_text = path_text.rstrip("/") + "/" + name_text
    if not base:
        return None
    return normalize_url(f"{base}/{path_text.lstrip('/')}")
