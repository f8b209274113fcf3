"""One batch of catalogue records: the fixed set of queries and the assembly of records.

``CatalogueReader.read_records`` hands each batch of ids here. The queries are fixed, one per
table (``IN (...)`` lists chunked at ``IN_CHUNK`` ids), never one per record:

 1. lineage: the records and all their ancestors in ONE recursive CTE over ``parent_id``
    (portable: SQLite >= 3.8.3, PostgreSQL, MySQL 8 / MariaDB 10.2), joined to object
    (updated_at), slug and publication status. ``lft``/``rgt`` are not trusted: a range join
    is slow without the right index and broken nested sets exist on real sites.
 2. information_object_i18n   3. events (+ event_i18n)   4. ancestors' creation events
 5. actors (+ actor_i18n)     6. repositories (+ contact_information country codes)
 7. ahg_actor_identifier      8. subject/place/genre terms (+ ahg_place_coords)
 9. level-of-description names  10. digital objects and their derivatives
11. `language` property  12. exhibition notes and Heratio's exhibition placements (one UNION)
13. ahg_io_geolocation  14. ahg_io_funding
15. parent DOIs from ahg_doi (in the DOI database when that is separate).

So a batch of up to ``IN_CHUNK`` records costs at most 15 queries whatever its size; a query
is skipped when it has nothing to look up (only top-level records, a missing sidecar
table), and a derived id list (ancestors, actors) longer than ``IN_CHUNK`` adds one query per
extra chunk. The one-off schema/settings probe is not part of a batch.

Translated text is chosen per row: the record's source culture, then the reader's fallback
culture, then the alphabetically first culture present. Actor and repository names prefer the
actor's own source culture; subject/place/genre names the record's culture, the fallback,
then the term's source culture (a term named only in some other culture is left out); level
names the fallback culture first, the language ``auto_mint_levels`` is written in.
``event.start_date``/``end_date`` are CAST to text in SQL, so zero-filled partial dates such
as ``1890-00-00`` (invalid DATEs for a driver) arrive exactly as stored.

Each statement is built once (an expanding ``:ids`` parameter takes the chunk), so a batch
only binds ids: SQLAlchemy's compiled cache is hit instead of a new statement being built
and hashed per batch. Low-selectivity filters (taxonomy, event type) are wrapped in
``_no_index`` so that SQLite, which has no statistics on a catalogue it must not ANALYZE,
drives the query from the ids' index instead of scanning every row of a taxonomy or type.

Only SELECT/WITH statements are issued.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import operators

from heratio_doi_pipelines.catalogue import atom_tables as t
from heratio_doi_pipelines.catalogue import constants as c
from heratio_doi_pipelines.catalogue.php_serial import php_string_list
from heratio_doi_pipelines.catalogue.records import (
    Actor,
    CatalogueEvent,
    CatalogueRecord,
    DigitalObject,
    Funding,
    GeoPoint,
    Place,
)

IN_CHUNK = 500
ACCESS_POINT_TAXONOMIES = (c.TAXONOMY_SUBJECT, c.TAXONOMY_PLACE, c.TAXONOMY_GENRE)

# Heratio's sidecar tables, declared with Heratio's own columns only (the pipeline's extra
# ahg_doi columns may not exist on a site that has not run `heratio-doi init`).
AHG_DOI = sa.table(
    "ahg_doi", sa.column("information_object_id"), sa.column("doi"), sa.column("status")
)
_ahg_actor_identifier = sa.table(
    "ahg_actor_identifier",
    sa.column("id"),
    sa.column("actor_id"),
    sa.column("identifier_type"),
    sa.column("identifier_value"),
    sa.column("uri"),
)
_ahg_io_geolocation = sa.table(
    "ahg_io_geolocation",
    sa.column("information_object_id"),
    sa.column("latitude"),
    sa.column("longitude"),
    sa.column("place_name"),
)
_ahg_io_funding = sa.table(
    "ahg_io_funding",
    sa.column("id"),
    sa.column("information_object_id"),
    sa.column("funder_name"),
    sa.column("funder_identifier"),
    sa.column("funder_identifier_type"),
    sa.column("award_number"),
    sa.column("award_uri"),
    sa.column("award_title"),
)
PLACE_COORD_COLUMNS = (
    "latitude",
    "longitude",
    "box_west",
    "box_east",
    "box_south",
    "box_north",
    "polygon_json",
)

_NOTE, _PLACEMENT = "note", "placement"  # the kinds of _exhibitions_statement rows
_URL = re.compile(r"https?://[^\s<>\"'\]\[]+", re.IGNORECASE)


@dataclass(frozen=True)
class CatalogueSchema:
    """What the reader learned once about the databases: sidecars present, reference-code rules."""

    tables: frozenset[str]
    doi_tables: frozenset[str]
    place_coord_columns: tuple[str, ...]
    inherit_reference_code: bool
    separator: str

    @property
    def has_exhibitions(self) -> bool:
        """Heratio's exhibition placements can be read (both of its tables exist)."""
        return {"exhibition", "exhibition_object"} <= self.tables


@dataclass
class _Node:
    id: int
    parent_id: int | None
    identifier: str | None
    repository_id: int | None
    level_id: int | None
    source_culture: str | None
    updated_at: Any
    slug: str | None
    status_id: int | None


def chunks(ids: Sequence[int], size: int = IN_CHUNK) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def fetch_in_chunks(
    conn: sa.Connection, ids: Sequence[int], statement: sa.Executable, **params: Any
) -> list[sa.Row]:
    """Rows of ``statement`` with each chunk of ids bound to ``:ids``: one query per chunk."""
    rows: list[sa.Row] = []
    for chunk in chunks(ids):
        rows.extend(conn.execute(statement, {**params, "ids": chunk}).all())
    return rows


def in_ids(column: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    """``column IN (:ids)``, the ids bound per execution (see ``fetch_in_chunks``)."""
    return column.in_(sa.bindparam("ids", expanding=True))


def _no_index(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """``(+ column)``: same value, but the planner cannot pick the column's index for it."""
    return sa.UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)


def unique_ids(ids: Iterable[int]) -> list[int]:
    seen: dict[int, None] = {}
    for value in ids:
        number = int(value)
        if number != c.ROOT_INFORMATION_OBJECT_ID:
            seen.setdefault(number, None)
    return list(seen)


def _text(value: Any) -> str | None:
    """Stored text as-is, but empty strings as None (AtoM writes both for 'no value')."""
    if value is None:
        return None
    if type(value) is str:  # the common case, checked first
        return value if value.strip() else None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    value = str(value)
    return value if value.strip() else None


def _date_text(value: Any) -> str | None:
    """A DATE column as the text AtoM stored (``1890-00-00`` stays a string, never a date)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return _text(value.decode("ascii", errors="replace") if isinstance(value, bytes) else value)


def _timestamp_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return _text(value)


def _float(value: Any) -> float | None:
    """Numeric/Decimal/text coordinates as float; junk as None (the builder validates ranges)."""
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def pick(by_culture: Mapping[str, Any], *preferred: str | None) -> Any:
    """The row for the first preferred culture present, else the first culture alphabetically."""
    for culture in preferred:
        if culture is not None and culture in by_culture:
            return by_culture[culture]
    if not by_culture:
        return None
    return by_culture[min(by_culture)]


_php_string_list = lru_cache(maxsize=1024)(php_string_list)  # language codes repeat a lot


def _polygon(raw: Any) -> tuple[tuple[float, float], ...] | None:
    """(longitude, latitude) points from a GeoJSON polygon, [lon, lat] pairs or {lat, lon} dicts."""
    if not raw:
        return None
    try:
        data = json.loads(raw) if isinstance(raw, str | bytes) else raw
        if isinstance(data, dict) and "coordinates" in data:
            data = data["coordinates"][0]
        points: list[tuple[float, float]] = []
        for point in data:
            if isinstance(point, dict):
                lon = point.get("longitude", point.get("lng", point.get("lon")))
                lat = point.get("latitude", point.get("lat"))
            else:
                lon, lat = point[0], point[1]
            if lon is None or lat is None:
                return None
            points.append((float(lon), float(lat)))
    except (ValueError, TypeError, KeyError, IndexError):
        return None
    return tuple(points) or None


# -- statements (built once; ``:ids`` is bound per chunk) -----------------------------------


@cache
def _lineage_statement() -> sa.Select:
    io, obj, slug, status = t.information_object, t.object_, t.slug, t.status
    lineage = (
        sa.select(io.c.id, io.c.parent_id)
        .where(in_ids(io.c.id), io.c.id != c.ROOT_INFORMATION_OBJECT_ID)
        .cte("lineage", recursive=True)
    )
    up = io.alias("up")
    previous = lineage.alias("previous")
    lineage = lineage.union(
        sa.select(up.c.id, up.c.parent_id).where(
            up.c.id == previous.c.parent_id, up.c.id != c.ROOT_INFORMATION_OBJECT_ID
        )
    )
    return sa.select(
        io.c.id,
        io.c.parent_id,
        io.c.identifier,
        io.c.repository_id,
        io.c.level_of_description_id,
        io.c.source_culture,
        obj.c.updated_at,
        slug.c.slug,
        status.c.status_id,
    ).select_from(
        lineage.join(io, io.c.id == lineage.c.id)
        .outerjoin(obj, obj.c.id == io.c.id)
        .outerjoin(slug, slug.c.object_id == io.c.id)
        .outerjoin(
            status,
            sa.and_(
                status.c.object_id == io.c.id,
                status.c.type_id == c.STATUS_TYPE_PUBLICATION,
            ),
        )
    )


@cache
def _i18n_statement() -> sa.Select:
    i18n = t.information_object_i18n
    return sa.select(
        i18n.c.id,
        i18n.c.culture,
        i18n.c.title,
        i18n.c.scope_and_content,
        i18n.c.archival_history,
        i18n.c.acquisition,
    ).where(in_ids(i18n.c.id))


@cache
def _events_statement() -> sa.Select:
    ev, evi = t.event, t.event_i18n
    return (
        sa.select(
            ev.c.id,
            ev.c.object_id,
            ev.c.type_id,
            ev.c.actor_id,
            sa.cast(ev.c.start_date, sa.String()).label("start_date"),
            sa.cast(ev.c.end_date, sa.String()).label("end_date"),
            ev.c.source_culture,
            evi.c.culture,
            evi.c.date,
        )
        .select_from(ev.outerjoin(evi, evi.c.id == ev.c.id))
        .where(in_ids(ev.c.object_id))
        .order_by(ev.c.id)
    )


@cache
def _creation_actors_statement() -> sa.Select:
    ev = t.event
    return (
        sa.select(ev.c.object_id, ev.c.actor_id)
        .where(
            in_ids(ev.c.object_id),
            _no_index(ev.c.type_id) == c.EVENT_CREATION,
            ev.c.actor_id.is_not(None),
        )
        .order_by(ev.c.id)
    )


@cache
def _actors_statement() -> sa.Select:
    a, ai = t.actor, t.actor_i18n
    return (
        sa.select(
            a.c.id,
            a.c.entity_type_id,
            a.c.source_culture,
            ai.c.culture,
            ai.c.authorized_form_of_name,
        )
        .select_from(a.outerjoin(ai, ai.c.id == a.c.id))
        .where(in_ids(a.c.id))
    )


@cache
def _repositories_statement() -> sa.Select:
    r, ci = t.repository, t.contact_information
    return (
        sa.select(
            r.c.id,
            r.c.identifier,
            ci.c.id.label("contact_id"),
            ci.c.primary_contact,
            ci.c.country_code,
        )
        .select_from(r.outerjoin(ci, ci.c.actor_id == r.c.id))
        .where(in_ids(r.c.id))
    )


@cache
def _actor_identifiers_statement() -> sa.Select:
    ident = _ahg_actor_identifier
    return (
        sa.select(ident.c.actor_id, ident.c.identifier_type, ident.c.identifier_value, ident.c.uri)
        .where(
            in_ids(ident.c.actor_id),
            sa.func.lower(ident.c.identifier_type).in_(["orcid", "isni", "ror"]),
        )
        .order_by(ident.c.id)
    )


@cache
def _access_points_statement(coord_columns: tuple[str, ...]) -> sa.Select:
    """Terms with the names in ``:cultures`` or their source culture, and the coordinates."""
    otr, term, ti = t.object_term_relation, t.term, t.term_i18n
    coords = sa.table("ahg_place_coords", sa.column("term_id"), *map(sa.column, coord_columns))
    cultures: sa.BindParameter[str] = sa.bindparam("cultures", expanding=True)
    joined = otr.join(term, term.c.id == otr.c.term_id).outerjoin(
        ti,
        sa.and_(
            ti.c.id == term.c.id,
            sa.or_(ti.c.culture.in_(cultures), ti.c.culture == term.c.source_culture),
        ),
    )
    columns: list[Any] = [
        otr.c.object_id,
        term.c.id.label("term_id"),
        term.c.taxonomy_id,
        term.c.source_culture,
        ti.c.culture,
        ti.c.name,
    ]
    if coord_columns:
        joined = joined.outerjoin(coords, coords.c.term_id == term.c.id)
        columns.extend(coords.c[name] for name in coord_columns)
    return (
        sa.select(*columns)
        .select_from(joined)
        .where(
            in_ids(otr.c.object_id),
            _no_index(term.c.taxonomy_id).in_(ACCESS_POINT_TAXONOMIES),
        )
        .order_by(otr.c.id)
    )


@cache
def _level_names_statement() -> sa.Select:
    term, ti = t.term, t.term_i18n
    return (
        sa.select(term.c.id, term.c.source_culture, ti.c.culture, ti.c.name)
        .select_from(term.join(ti, ti.c.id == term.c.id))
        .where(in_ids(term.c.id))
    )


_DIGITAL_OBJECT_COLUMNS = ("id", "usage_id", "mime_type", "name", "path", "parent_id")


@cache
def _digital_objects_statement() -> sa.CompoundSelect:
    """Masters attached to the records, then their derivatives (which have no object_id)."""
    do = t.digital_object
    master = do.alias("master")
    derivative = do.alias("derivative")
    own = sa.select(
        *(do.c[name] for name in _DIGITAL_OBJECT_COLUMNS), do.c.object_id.label("record_id")
    ).where(in_ids(do.c.object_id))
    derived = (
        sa.select(
            *(derivative.c[name] for name in _DIGITAL_OBJECT_COLUMNS),
            master.c.object_id.label("record_id"),
        )
        .join(master, master.c.id == derivative.c.parent_id)
        .where(in_ids(master.c.object_id))
    )
    return sa.union_all(own, derived)


@cache
def _languages_statement() -> sa.Select:
    p, pi = t.property_, t.property_i18n
    return (
        sa.select(p.c.id, p.c.object_id, p.c.source_culture, pi.c.culture, pi.c.value)
        .select_from(p.join(pi, pi.c.id == p.c.id))
        .where(in_ids(p.c.object_id), p.c.name == c.PROPERTY_LANGUAGE)
        .order_by(p.c.id)
    )


@cache
def _exhibitions_statement(placements: bool) -> sa.Select | sa.CompoundSelect:
    """Notes whose type is an 'Exhibition' note-type term (see constants) and, with
    ``placements``, Heratio's exhibition placements (``exhibition_object`` of an existing
    ``exhibition``): one statement, so a site with exhibitions costs no extra query.
    ``kind`` tells the two apart; a placement's ``id`` is the exhibition's."""
    n, ni, term, ti = t.note, t.note_i18n, t.term, t.term_i18n
    exhibition_types = (
        sa.select(term.c.id)
        .join(ti, ti.c.id == term.c.id)
        .where(
            term.c.taxonomy_id == c.TAXONOMY_NOTE_TYPE,
            sa.func.lower(sa.func.trim(ti.c.name)).in_(c.EXHIBITION_NOTE_TYPE_NAMES),
        )
    )
    notes = (
        sa.select(
            sa.literal(_NOTE, sa.String(10)).label("kind"),
            n.c.id,
            n.c.object_id,
            n.c.source_culture,
            ni.c.culture,
            ni.c.content,
        )
        .select_from(n.join(ni, ni.c.id == n.c.id))
        .where(in_ids(n.c.object_id), n.c.type_id.in_(exhibition_types))
    )
    if not placements:
        return notes.order_by(n.c.id)
    eo, ex = t.exhibition_object, t.exhibition
    placed = (
        sa.select(
            sa.literal(_PLACEMENT, sa.String(10)).label("kind"),
            ex.c.id,
            eo.c.information_object_id,
            # untyped NULLs take the notes' column types: a cast would bring the connection's
            # collation, which MySQL/MariaDB refuse to mix with the columns' in a UNION
            sa.null(),
            sa.null(),
            sa.null(),
        )
        .select_from(eo.join(ex, ex.c.id == eo.c.exhibition_id))
        .where(in_ids(eo.c.information_object_id))
    )
    union = sa.union_all(notes, placed).subquery("exhibitions")
    return sa.select(union).order_by(union.c.kind, union.c.id)


@cache
def _geolocations_statement() -> sa.Select:
    geo = _ahg_io_geolocation
    return sa.select(
        geo.c.information_object_id, geo.c.latitude, geo.c.longitude, geo.c.place_name
    ).where(in_ids(geo.c.information_object_id))


@cache
def _funding_statement() -> sa.Select:
    f = _ahg_io_funding
    return (
        sa.select(
            f.c.information_object_id,
            f.c.funder_name,
            f.c.funder_identifier,
            f.c.funder_identifier_type,
            f.c.award_number,
            f.c.award_uri,
            f.c.award_title,
        )
        .where(in_ids(f.c.information_object_id))
        .order_by(f.c.id)
    )


@cache
def _parent_dois_statement() -> sa.Select:
    d = AHG_DOI
    return sa.select(d.c.information_object_id, d.c.doi).where(
        in_ids(d.c.information_object_id), d.c.status.in_(c.CITABLE_DOI_STATES)
    )


@dataclass
class _Term:
    """An access-point term met in the batch: names by culture and sidecar coordinates."""

    taxonomy_id: int
    source_culture: str | None
    names: dict[str, Any]
    coordinates: Mapping[str, Any]


class BatchReader:
    """One batch: runs the fixed set of queries, then assembles records in Python."""

    def __init__(
        self,
        schema: CatalogueSchema,
        conn: sa.Connection,
        ids: list[int],
        culture_fallback: str,
        doi_connection: Callable[[sa.Connection], AbstractContextManager[sa.Connection | None]],
    ) -> None:
        self.schema = schema
        self.conn = conn
        self.ids = ids
        self.fallback = culture_fallback
        self.doi_connection = doi_connection

    # -- queries ------------------------------------------------------------------------------

    def _lineage(self) -> dict[int, _Node]:
        nodes: dict[int, _Node] = {}
        for row in fetch_in_chunks(self.conn, self.ids, _lineage_statement()):
            node = nodes.get(row.id)
            if node is None:
                nodes[row.id] = _Node(
                    id=row.id,
                    parent_id=row.parent_id,
                    identifier=_text(row.identifier),
                    repository_id=row.repository_id,
                    level_id=row.level_of_description_id,
                    source_culture=row.source_culture,
                    updated_at=row.updated_at,
                    slug=row.slug,
                    status_id=row.status_id,
                )
            elif node.status_id is None:
                node.status_id = row.status_id
        return nodes

    def _i18n(self, ids: list[int]) -> dict[int, dict[str, sa.Row]]:
        by_id: dict[int, dict[str, sa.Row]] = defaultdict(dict)
        for row in fetch_in_chunks(self.conn, ids, _i18n_statement()):
            by_id[row[0]][row[1]] = row
        return by_id

    def _events(self, ids: list[int]) -> dict[int, list[tuple[Any, ...]]]:
        """Events per record in id order, one entry per event with its display date."""
        grouped: dict[int, dict[int, tuple[sa.Row, dict[str, Any]]]] = defaultdict(dict)
        for row in fetch_in_chunks(self.conn, ids, _events_statement()):
            entry = grouped[row.object_id].setdefault(row.id, (row, {}))
            if row.culture is not None:
                entry[1][row.culture] = row.date
        return {
            object_id: [(row, dates) for row, dates in events.values()]
            for object_id, events in grouped.items()
        }

    def _creation_actors(self, ids: list[int]) -> dict[int, list[int]]:
        found: dict[int, list[int]] = defaultdict(list)
        for object_id, actor_id in fetch_in_chunks(self.conn, ids, _creation_actors_statement()):
            if actor_id not in found[object_id]:
                found[object_id].append(actor_id)
        return found

    def _actors(self, ids: list[int]) -> dict[int, tuple[int | None, str | None]]:
        """(entity type, name) per actor; the name in the actor's own source culture first."""
        names: dict[int, dict[str, Any]] = defaultdict(dict)
        meta: dict[int, tuple[int | None, str | None]] = {}
        for actor_id, entity_type, source, culture, name in fetch_in_chunks(
            self.conn, ids, _actors_statement()
        ):
            meta[actor_id] = (entity_type, source)
            if culture is not None:
                names[actor_id][culture] = name
        return {
            actor_id: (entity_type, _text(pick(names[actor_id], source, self.fallback)))
            for actor_id, (entity_type, source) in meta.items()
        }

    def _repositories(self, ids: list[int]) -> dict[int, tuple[str | None, str | None]]:
        """(identifier, country code) per repository; primary contact's country first."""
        identifiers: dict[int, str | None] = {}
        contacts: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
        for row in fetch_in_chunks(self.conn, ids, _repositories_statement()):
            identifiers[row.id] = _text(row.identifier)
            country = _text(row.country_code)
            if country is not None:
                contacts[row.id].append(
                    (0 if row.primary_contact else 1, row.contact_id or 0, country.strip())
                )
        return {
            repo_id: (identifier, min(contacts[repo_id])[2] if contacts[repo_id] else None)
            for repo_id, identifier in identifiers.items()
        }

    def _actor_identifiers(self, ids: list[int]) -> dict[int, dict[str, str]]:
        if "ahg_actor_identifier" not in self.schema.tables or not ids:
            return {}
        found: dict[int, dict[str, str]] = defaultdict(dict)
        for row in fetch_in_chunks(self.conn, ids, _actor_identifiers_statement()):
            value = _text(row.identifier_value) or _text(row.uri)
            if value is not None:
                found[row.actor_id].setdefault(row.identifier_type.lower(), value.strip())
        return found

    def _access_points(
        self, ids: list[int], cultures: list[str]
    ) -> tuple[dict[int, _Term], dict[int, list[int]]]:
        """The batch's subject, place and genre terms, and each record's term ids in the order
        they were attached. A term's names and coordinates do not depend on the record, so
        they are gathered once per term."""
        coord_columns = self.schema.place_coord_columns
        statement = _access_points_statement(coord_columns)
        terms: dict[int, _Term] = {}
        attached: dict[int, dict[int, None]] = defaultdict(dict)
        for row in fetch_in_chunks(self.conn, ids, statement, cultures=cultures):
            object_id, term_id, taxonomy_id, source_culture, culture, name = row[:6]
            term = terms.get(term_id)
            if term is None:
                coordinates = dict(zip(coord_columns, row[6:], strict=True))
                term = terms[term_id] = _Term(taxonomy_id, source_culture, {}, coordinates)
            if culture is not None:
                term.names[culture] = name
            attached[object_id][term_id] = None
        return terms, {object_id: list(term_ids) for object_id, term_ids in attached.items()}

    def _level_names(self, ids: list[int]) -> dict[int, str | None]:
        names: dict[int, dict[str, Any]] = defaultdict(dict)
        source: dict[int, str] = {}
        for term_id, source_culture, culture, name in fetch_in_chunks(
            self.conn, ids, _level_names_statement()
        ):
            names[term_id][culture] = name
            source[term_id] = source_culture
        return {
            term_id: _text(pick(by_culture, self.fallback, source.get(term_id)))
            for term_id, by_culture in names.items()
        }

    def _digital_objects(self, ids: list[int]) -> dict[int, list[DigitalObject]]:
        """Masters attached to each record plus their derivatives (which have no object_id)."""
        by_record: dict[int, dict[int, DigitalObject]] = defaultdict(dict)
        for object_id, usage_id, mime_type, name, path, parent_id, record_id in fetch_in_chunks(
            self.conn, ids, _digital_objects_statement()
        ):
            by_record[record_id][object_id] = DigitalObject(
                id=object_id,
                usage_id=usage_id,
                mime_type=_text(mime_type),
                name=_text(name),
                path=_text(path),
                parent_id=parent_id,
            )
        return {
            record_id: [objects[key] for key in sorted(objects)]
            for record_id, objects in by_record.items()
        }

    def _languages(self, ids: list[int]) -> dict[int, list[str]]:
        values: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
        sources: dict[int, str] = {}
        for property_id, object_id, source_culture, culture, value in fetch_in_chunks(
            self.conn, ids, _languages_statement()
        ):
            values[object_id].setdefault(property_id, {})[culture] = value
            sources[property_id] = source_culture
        found: dict[int, list[str]] = {}
        for object_id, properties in values.items():
            codes: list[str] = []
            for property_id, by_culture in properties.items():
                raw = pick(by_culture, sources.get(property_id), self.fallback)
                codes.extend(code for code in _php_string_list(raw) if code not in codes)
            found[object_id] = codes
        return found

    def _exhibitions(self, ids: list[int]) -> tuple[dict[int, list[str]], dict[int, list[int]]]:
        """URLs in exhibition notes, and the ids of Heratio exhibitions showing the record."""
        notes: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
        sources: dict[int, str] = {}
        placements: dict[int, list[int]] = defaultdict(list)
        statement = _exhibitions_statement(self.schema.has_exhibitions)
        for kind, raw_id, raw_object_id, source_culture, culture, content in fetch_in_chunks(
            self.conn, ids, statement
        ):
            # MySQL types a UNION of INT and Heratio's BIGINT UNSIGNED ids as DECIMAL
            row_id, object_id = int(raw_id), int(raw_object_id)
            if kind == _PLACEMENT:
                if row_id not in placements[object_id]:
                    placements[object_id].append(row_id)
                continue
            notes[object_id].setdefault(row_id, {})[culture] = content
            sources[row_id] = source_culture
        found: dict[int, list[str]] = {}
        for object_id, by_note in notes.items():
            urls: list[str] = []
            for note_id, by_culture in by_note.items():
                content = pick(by_culture, sources.get(note_id), self.fallback) or ""
                for match in _URL.findall(content):
                    url = match.rstrip(".,;:)")
                    if url not in urls:
                        urls.append(url)
            found[object_id] = urls
        return found, placements

    def _geolocations(self, ids: list[int]) -> dict[int, GeoPoint]:
        if "ahg_io_geolocation" not in self.schema.tables:
            return {}
        return {
            object_id: GeoPoint(
                latitude=_float(latitude),
                longitude=_float(longitude),
                place_name=_text(place_name),
            )
            for object_id, latitude, longitude, place_name in fetch_in_chunks(
                self.conn, ids, _geolocations_statement()
            )
        }

    def _funding(self, ids: list[int]) -> dict[int, list[Funding]]:
        if "ahg_io_funding" not in self.schema.tables:
            return {}
        found: dict[int, list[Funding]] = defaultdict(list)
        for row in fetch_in_chunks(self.conn, ids, _funding_statement()):
            found[row.information_object_id].append(
                Funding(
                    funder_name=row.funder_name or "",
                    funder_identifier=_text(row.funder_identifier),
                    funder_identifier_type=_text(row.funder_identifier_type),
                    award_number=_text(row.award_number),
                    award_uri=_text(row.award_uri),
                    award_title=_text(row.award_title),
                )
            )
        return found

    def _parent_dois(self, parent_ids: list[int]) -> dict[int, str]:
        if not parent_ids:
            return {}
        with self.doi_connection(self.conn) as doi_conn:
            if doi_conn is None:
                return {}
            rows = fetch_in_chunks(doi_conn, parent_ids, _parent_dois_statement())
        return {object_id: doi for object_id, doi in rows if _text(doi)}

    # -- assembly -----------------------------------------------------------------------------

    @staticmethod
    def _chain(nodes: Mapping[int, _Node], record_id: int) -> list[int]:
        """The record and its ancestors, nearest first (cycle-safe)."""
        chain: list[int] = []
        current: int | None = record_id
        while current is not None and current in nodes and current not in chain:
            chain.append(current)
            current = nodes[current].parent_id
        return chain

    def read(self) -> list[CatalogueRecord]:
        nodes = self._lineage()
        ids = [record_id for record_id in self.ids if record_id in nodes]
        if not ids:
            return []
        chains = {record_id: self._chain(nodes, record_id) for record_id in ids}

        i18n = self._i18n(ids)
        events = self._events(ids)
        own_creators: dict[int, list[int]] = {}
        for record_id in ids:
            own_creators[record_id] = list(
                dict.fromkeys(
                    row.actor_id
                    for row, _dates in events.get(record_id, ())
                    if row.type_id == c.EVENT_CREATION and row.actor_id is not None
                )
            )
        # Every ancestor (also those in this batch, so the query count does not depend on
        # how the batch was cut), not only those of records without creators: an own creation
        # event may point at a deleted actor, and then the ancestors' creators apply after all.
        ancestors = sorted({a for record_id in ids for a in chains[record_id][1:]})
        ancestor_creators = self._creation_actors(ancestors) if ancestors else {}
        creation_actors = {**ancestor_creators, **own_creators}

        repository_of: dict[int, int | None] = {}
        for record_id in ids:
            repository_of[record_id] = next(
                (
                    nodes[node].repository_id
                    for node in chains[record_id]
                    if nodes[node].repository_id is not None
                ),
                None,
            )
        repository_ids = sorted({r for r in repository_of.values() if r is not None})
        creator_ids = sorted({a for actors in creation_actors.values() for a in actors})
        actors = self._actors(sorted(set(creator_ids) | set(repository_ids)))
        repositories = self._repositories(repository_ids) if repository_ids else {}
        identifiers = self._actor_identifiers(sorted(set(creator_ids) | set(repository_ids)))

        cultures = sorted(
            {self.fallback} | {culture for i in ids if (culture := nodes[i].source_culture)}
        )
        terms, term_ids = self._access_points(ids, cultures)
        places_made: dict[tuple[int, str], Place] = {}  # frozen, so shared between records
        level_ids = sorted({level for i in ids if (level := nodes[i].level_id) is not None})
        levels = self._level_names(level_ids) if level_ids else {}
        digital_objects = self._digital_objects(ids)
        languages = self._languages(ids)
        exhibitions, exhibition_ids = self._exhibitions(ids)
        geolocations = self._geolocations(ids)
        funding = self._funding(ids)
        parent_ids = sorted(
            {
                parent
                for i in ids
                if (parent := nodes[i].parent_id) is not None
                and parent != c.ROOT_INFORMATION_OBJECT_ID
            }
        )
        parent_dois = self._parent_dois(parent_ids)

        def actor_of(actor_id: int) -> Actor | None:
            if actor_id not in actors:
                return None
            entity_type, name = actors[actor_id]
            ids_of = identifiers.get(actor_id, {})
            return Actor(
                id=actor_id,
                name=name,
                entity_type_id=entity_type,
                orcid=ids_of.get("orcid"),
                isni=ids_of.get("isni"),
                ror=ids_of.get("ror"),
            )

        held: dict[int, tuple[Actor, ...]] = {}  # frozen, so shared by a holder's descendants

        def creators_held_by(holder: int) -> tuple[Actor, ...]:
            if holder not in held:
                actors_of = map(actor_of, creation_actors.get(holder, ()))
                held[holder] = tuple(a for a in actors_of if a is not None)
            return held[holder]

        records: list[CatalogueRecord] = []
        for record_id in ids:
            node = nodes[record_id]
            chain = chains[record_id]
            text = pick(i18n.get(record_id, {}), node.source_culture, self.fallback)

            creators: tuple[Actor, ...] = ()
            inherited_from: int | None = None
            for holder in chain:
                found = creators_held_by(holder)
                if found:
                    creators = found
                    inherited_from = None if holder == record_id else holder
                    break

            record_events = tuple(
                CatalogueEvent(
                    type_id=row.type_id,
                    actor_id=row.actor_id,
                    start_date=_date_text(row.start_date),
                    end_date=_date_text(row.end_date),
                    date_display=_text(
                        pick(dates, row.source_culture, node.source_culture, self.fallback)
                    ),
                )
                for row, dates in events.get(record_id, ())
            )

            subjects: list[str] = []
            places: list[Place] = []
            genres: list[str] = []
            for term_id in term_ids.get(record_id, ()):
                term = terms[term_id]
                name = _text(
                    pick(term.names, node.source_culture, self.fallback, term.source_culture)
                )
                if name is None:
                    continue
                if term.taxonomy_id == c.TAXONOMY_SUBJECT:
                    subjects.append(name)
                elif term.taxonomy_id == c.TAXONOMY_GENRE:
                    genres.append(name)
                else:
                    place = places_made.get((term_id, name))
                    if place is None:
                        place = places_made[term_id, name] = self._place(term_id, term, name)
                    places.append(place)

            parent_node = nodes.get(node.parent_id) if node.parent_id else None
            repository_id = repository_of[record_id]
            repository_code, country = (
                repositories.get(repository_id, (None, None)) if repository_id else (None, None)
            )
            records.append(
                CatalogueRecord(
                    id=record_id,
                    identifier=node.identifier,
                    parent_id=node.parent_id,
                    repository_id=repository_id,
                    repository_code=repository_code,
                    repository_name=actors.get(repository_id, (None, None))[1]
                    if repository_id
                    else None,
                    level_of_description=levels.get(node.level_id) if node.level_id else None,
                    source_culture=node.source_culture,
                    title=_text(text.title) if text else None,
                    scope_and_content=_text(text.scope_and_content) if text else None,
                    archival_history=_text(text.archival_history) if text else None,
                    acquisition=_text(text.acquisition) if text else None,
                    slug=_text(node.slug),
                    reference_code=self._reference_code(nodes, chain, repository_code, country),
                    publication_status=c.PUBLICATION_STATUS_NAMES.get(node.status_id or 0),
                    events=record_events,
                    creators=creators,
                    creators_inherited_from=inherited_from,
                    subjects=tuple(subjects),
                    places=tuple(places),
                    genres=tuple(genres),
                    languages=tuple(languages.get(record_id, ())),
                    digital_objects=tuple(digital_objects.get(record_id, ())),
                    geolocation=geolocations.get(record_id),
                    funding=tuple(funding.get(record_id, ())),
                    parent_doi=parent_dois.get(node.parent_id) if node.parent_id else None,
                    parent_slug=_text(parent_node.slug) if parent_node else None,
                    parent_publication_status=c.PUBLICATION_STATUS_NAMES.get(
                        parent_node.status_id or 0
                    )
                    if parent_node
                    else None,
                    exhibition_urls=tuple(exhibitions.get(record_id, ())),
                    repository_ror=identifiers.get(repository_id, {}).get("ror")
                    if repository_id
                    else None,
                    exhibition_ids=tuple(exhibition_ids.get(record_id, ())),
                    updated_at=_timestamp_text(node.updated_at),
                )
            )
        return records

    def _reference_code(
        self,
        nodes: Mapping[int, _Node],
        chain: list[int],
        repository_code: str | None,
        country: str | None,
    ) -> str | None:
        """AtoM's reference code: no own identifier, no code; else inherited when configured.

        ``{country} {repository} {top-identifier}{sep}...{sep}{own identifier}``; levels
        without an identifier are skipped, as AtoM does.
        """
        own = nodes[chain[0]].identifier
        if own is None:
            return None
        if not self.schema.inherit_reference_code:
            return own
        parts = [nodes[n].identifier for n in reversed(chain) if nodes[n].identifier is not None]
        code = self.schema.separator.join(p for p in parts if p is not None)
        if repository_code:
            code = f"{repository_code} {code}"
        if country:
            code = f"{country} {code}"
        return code

    @staticmethod
    def _place(term_id: int, term: _Term, name: str) -> Place:
        coordinates = term.coordinates
        box_values = [
            _float(coordinates.get(f"box_{side}")) for side in ("west", "east", "south", "north")
        ]
        box = (
            (box_values[0], box_values[1], box_values[2], box_values[3])
            if all(v is not None for v in box_values)
            else None
        )
        return Place(
            term_id=term_id,
            name=name,
            latitude=_float(coordinates.get("latitude")),
            longitude=_float(coordinates.get("longitude")),
            box=box,  # type: ignore[arg-type]
            polygon=_polygon(coordinates.get("polygon_json")),
        )
