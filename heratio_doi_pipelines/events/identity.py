"""What makes two events "the same": Heratio's de-duplication hash and the ids derived from it.

Heratio writes ``ahg_datacite_event.dedupe_hash`` as the sha256 hex digest of
``lower(subject DOI) | relation_type_id | lower(object id) | source_id``. The pipeline uses the
same formula, so a row written by either side is found by the other and never sent twice.

Daily usage rows: a usage count has no object (it counts views or downloads *of* the subject),
but one DOI has a separate total per day. For these rows the day (``YYYY-MM-DD``) takes the
object's place in the hash and ``obj_id`` stays NULL; ``occurred_at`` holds the day. Citation
and relation events keep Heratio's formula with their real object id unchanged.

The event id sent to DataCite (``PUT /events/{uuid}``) is a UUID5 of the hash, so a
re-submission after a crash or a changed total updates the same event instead of adding one.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import date

DOI_RESOLVER = "https://doi.org/"
ARCHIVE_SOURCE_ID = "heratio-archive"  # citations and relations (Heratio's default source)
COUNTER_SOURCE_ID = "heratio-counter"  # views and downloads

VIEW = "view"
DOWNLOAD = "download"
CITATION = "citation"
RELATION = "relation"
EVENT_KINDS = (VIEW, DOWNLOAD, CITATION, RELATION)
USAGE_KINDS = (VIEW, DOWNLOAD)

# COUNTER metric → DataCite relation type: (total, unique) per usage kind.
USAGE_RELATIONS: dict[str, tuple[str, str]] = {
    VIEW: ("total-dataset-investigations-regular", "unique-dataset-investigations-regular"),
    DOWNLOAD: ("total-dataset-requests-regular", "unique-dataset-requests-regular"),
}
USAGE_RELATION_TYPES = tuple(rel for pair in USAGE_RELATIONS.values() for rel in pair)
CITATION_RELATIONS = ("cites", "is-cited-by")

# Fixed namespaces: changing them would change every event id already sent to DataCite.
EVENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://heratio.org/ns/datacite-event")
SOURCE_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://heratio.org/ns/datacite-source")

_DOI_PREFIXES = re.compile(r"^(?:doi:|https?://(?:dx\.)?doi\.org/)", re.IGNORECASE)
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_CAMEL_BOUNDARY = re.compile(r"(?<!^)(?=[A-Z])")


def bare_doi(value: str) -> str:
    """``10.x/y`` in lower case from a bare, ``doi:`` or resolver-URL form."""
    return _DOI_PREFIXES.sub("", value.strip()).lower()


def is_doi(value: str) -> bool:
    return bool(_DOI.match(bare_doi(value)))


def doi_uri(doi: str) -> str:
    """How DOIs go out in events: as resolver URIs."""
    return DOI_RESOLVER + bare_doi(doi)


def object_identity(value: str) -> tuple[str, str]:
    """(stored object id, obj_id_type): DOIs are stored bare (type ``doi``), URLs unchanged."""
    if is_doi(value):
        return bare_doi(value), "doi"
    return value.strip(), "url"


def wire_object_id(obj_id: str | None, obj_id_type: str | None) -> str | None:
    """The object id as sent: DOIs as ``https://doi.org/...`` URIs, URLs pass unchanged."""
    if not obj_id:
        return None
    if obj_id_type == "doi" or (obj_id_type is None and is_doi(obj_id)):
        return doi_uri(obj_id)
    return obj_id


def kebab_relation(relation_type: str) -> str:
    """DataCite relationType in the Events API's kebab case: ``IsPartOf`` → ``is-part-of``."""
    text = relation_type.strip()
    if "-" in text or text.islower():
        return text.lower()
    return _CAMEL_BOUNDARY.sub("-", text).lower()


def dedupe_hash(subj_id: str, relation_type_id: str, obj_id: str | None, source_id: str) -> str:
    """Heratio's formula: sha256 hex of ``lower(subj)|relation|lower(obj)|source``."""
    text = "|".join(
        (subj_id.strip().lower(), relation_type_id, (obj_id or "").strip().lower(), source_id)
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def usage_dedupe_hash(
    doi: str, relation_type_id: str, day: date, source_id: str = COUNTER_SOURCE_ID
) -> str:
    """Heratio's formula with the usage day in the object's place (one row per DOI per day)."""
    return dedupe_hash(bare_doi(doi), relation_type_id, day.isoformat(), source_id)


def event_uuid(dedupe: str) -> str:
    """The stable event id sent to DataCite: UUID5 of the de-duplication hash."""
    return str(uuid.uuid5(EVENT_NAMESPACE, dedupe))


def source_token(source_id: str) -> str:
    """DataCite requires a source token (a UUID naming the sending agent); one per source id."""
    return str(uuid.uuid5(SOURCE_NAMESPACE, source_id))


def kind_of(relation_type_id: str) -> str:
    """view / download / citation / relation, for status counts."""
    for kind, pair in USAGE_RELATIONS.items():
        if relation_type_id in pair or relation_type_id.replace("-machine", "-regular") in pair:
            return kind
    if relation_type_id in CITATION_RELATIONS:
        return CITATION
    return RELATION
