"""A deterministic, AtoM-shaped sample archive for demos, tests and benchmarks.

Why: the pipeline must be exercised against the catalogue it will meet at a site, messy parts
included, without a real site's data. Same ``(records, seed, base_time)`` on an empty database
gives identical rows on every backend.

Shape: AtoM's root description (id 1), constant taxonomies/terms and the two settings the
reference code uses; several repositories with codes and country codes; persons, families and
corporate bodies (some persons with valid ORCIDs, some bodies with ISNIs, one invalid ORCID);
fonds > series > file > item trees (nested set, unique slugs, identifiers that inherit into
reference codes, repository set on the fonds only, as AtoM does); creation and publication
events with zero-filled partial dates; subjects, places (coordinates in ``ahg_place_coords``,
points in ``ahg_io_geolocation``), genres; PHP-serialised languages; digital objects with
reference and thumbnail derivatives; draft and published status; funding rows; exhibition
notes; Heratio's exhibitions with their placements (``exhibition``, ``exhibition_object``) and
the user who created each description (``user`` accounts, ``security_audit_log`` create rows;
one account has no address, and some descriptions have no create row, as imported ones do).
About 6 % of descriptions are deliberately messy (see ``MESSY_KINDS``), and a few fonds
have no creator anywhere in their tree.

Appending: when the database already has descriptions, new objects get ids after the current
maximum ``object.id``, new fonds are appended under the root (its ``rgt`` is moved), and
existing repositories, actors and terms with the same names are reused. Never point this at a
real site's catalogue.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from heratio_doi_pipelines.catalogue import atom_tables as t
from heratio_doi_pipelines.catalogue import constants as c
from heratio_doi_pipelines.catalogue.php_serial import php_serialize_strings
from heratio_doi_pipelines.devtools import sample_vocabulary as v
from heratio_doi_pipelines.metadata.identifiers import (
    CROCKFORD_BASE32,
    ROR_SCHEME_URI,
    iso7064_mod11_2,
    ror_check_digits,
)
from heratio_doi_pipelines.store import tables as ahg

DEFAULT_BASE_TIME = datetime(2024, 6, 1, 9, 0, 0)
MESSY_SHARE = 0.06
CREATORLESS_FONDS_SHARE = 0.04
MESSY_KINDS = (
    "no_title",
    "zero_dates",
    "long_html",
    "non_latin",
    "control_chars",
    "other_culture_only",
    "end_before_start",
    "junk_language",
    "no_identifier",
)
SIDECAR_TABLES = (
    ahg.ahg_actor_identifier,
    ahg.ahg_io_geolocation,
    ahg.ahg_io_funding,
    ahg.ahg_place_coords,
)
KNOWN_ORCID = "0000-0002-1825-0097"  # ORCID's documented example identifier
INVALID_ORCID = "0000-0002-1825-0098"  # wrong check digit, on purpose

# Constant taxonomies and terms of an AtoM install that the sample uses: id -> name
_TAXONOMIES = {
    c.ROOT_TAXONOMY_ID: None,
    c.TAXONOMY_ACTOR_ENTITY_TYPE: "Actor Entity Types",
    c.TAXONOMY_LEVEL_OF_DESCRIPTION: "Levels of description",
    c.TAXONOMY_SUBJECT: "Subjects",
    c.TAXONOMY_NOTE_TYPE: "Note types",
    c.TAXONOMY_EVENT_TYPE: "Event types",
    c.TAXONOMY_PLACE: "Places",
    c.TAXONOMY_MEDIA_TYPE: "Media types",
    c.TAXONOMY_DIGITAL_OBJECT_USAGE: "Digital object usages",
    c.TAXONOMY_RELATION_TYPE: "Relation type",
    c.TAXONOMY_STATUS_TYPE: "Status types",
    c.TAXONOMY_PUBLICATION_STATUS: "Publication status",
    c.TAXONOMY_GENRE: "Genre",
}
_CONSTANT_TERMS: dict[int, tuple[int, str | None]] = {
    c.ROOT_TERM_ID: (c.ROOT_TAXONOMY_ID, None),
    c.EVENT_CREATION: (c.TAXONOMY_EVENT_TYPE, "Creation"),
    c.EVENT_CUSTODY: (c.TAXONOMY_EVENT_TYPE, "Custody"),
    c.EVENT_PUBLICATION: (c.TAXONOMY_EVENT_TYPE, "Publication"),
    c.EVENT_CONTRIBUTION: (c.TAXONOMY_EVENT_TYPE, "Contribution"),
    c.EVENT_COLLECTION: (c.TAXONOMY_EVENT_TYPE, "Collection"),
    c.EVENT_ACCUMULATION: (c.TAXONOMY_EVENT_TYPE, "Accumulation"),
    c.NOTE_TITLE: (c.TAXONOMY_NOTE_TYPE, "Title note"),
    c.NOTE_PUBLICATION: (c.TAXONOMY_NOTE_TYPE, "Publication note"),
    c.NOTE_SOURCE: (c.TAXONOMY_NOTE_TYPE, "Source note"),
    c.NOTE_SCOPE: (c.TAXONOMY_NOTE_TYPE, "Scope note"),
    c.NOTE_DISPLAY: (c.TAXONOMY_NOTE_TYPE, "Display note"),
    c.NOTE_ARCHIVIST: (c.TAXONOMY_NOTE_TYPE, "Archivist's note"),
    c.NOTE_GENERAL: (c.TAXONOMY_NOTE_TYPE, "General note"),
    c.NOTE_LANGUAGE: (c.TAXONOMY_NOTE_TYPE, "Language note"),
    c.ENTITY_CORPORATE_BODY: (c.TAXONOMY_ACTOR_ENTITY_TYPE, "Corporate body"),
    c.ENTITY_PERSON: (c.TAXONOMY_ACTOR_ENTITY_TYPE, "Person"),
    c.ENTITY_FAMILY: (c.TAXONOMY_ACTOR_ENTITY_TYPE, "Family"),
    c.MEDIA_AUDIO: (c.TAXONOMY_MEDIA_TYPE, "Audio"),
    c.MEDIA_IMAGE: (c.TAXONOMY_MEDIA_TYPE, "Image"),
    c.MEDIA_TEXT: (c.TAXONOMY_MEDIA_TYPE, "Text"),
    c.MEDIA_VIDEO: (c.TAXONOMY_MEDIA_TYPE, "Video"),
    c.MEDIA_OTHER: (c.TAXONOMY_MEDIA_TYPE, "Other"),
    c.USAGE_MASTER: (c.TAXONOMY_DIGITAL_OBJECT_USAGE, "Master"),
    c.USAGE_REFERENCE: (c.TAXONOMY_DIGITAL_OBJECT_USAGE, "Reference"),
    c.USAGE_THUMBNAIL: (c.TAXONOMY_DIGITAL_OBJECT_USAGE, "Thumbnail"),
    c.USAGE_COMPOUND: (c.TAXONOMY_DIGITAL_OBJECT_USAGE, "Compound representation"),
    c.USAGE_EXTERNAL_URI: (c.TAXONOMY_DIGITAL_OBJECT_USAGE, "External URI"),
    c.RELATION_NAME_ACCESS_POINT: (c.TAXONOMY_RELATION_TYPE, "Name access points"),
    c.STATUS_TYPE_PUBLICATION: (c.TAXONOMY_STATUS_TYPE, "publication"),
    c.PUBLICATION_STATUS_DRAFT: (c.TAXONOMY_PUBLICATION_STATUS, "Draft"),
    c.PUBLICATION_STATUS_PUBLISHED: (c.TAXONOMY_PUBLICATION_STATUS, "Published"),
}
_EXHIBITION_NOTE_TYPE = "Exhibition"
# Heratio exhibitions (slug, title) and user accounts (username, email) of every sample
SAMPLE_EXHIBITIONS = (
    ("sea-and-shore", "Sea and Shore: Coastal Lives"),
    ("paper-trails", "Paper Trails: Letters Home"),
    ("city-of-letters", "City of Letters"),
)
SAMPLE_USERS = (
    ("archivist", "archivist@archive.example.org"),
    ("cataloguer", "cataloguer@archive.example.org"),
    ("migration", None),  # an import account without a mail address
)


@dataclass(frozen=True)
class SampleSummary:
    """What a generator run wrote (descriptions exclude the root)."""

    records: int
    first_id: int | None
    last_id: int | None
    fonds: int
    repositories: int
    actors: int
    orcids: int
    published: int
    drafts: int
    digital_objects: int
    funding_rows: int
    geolocations: int
    exhibitions: int
    messy: int
    creatorless_fonds: int
    appended: bool
    messy_by_kind: dict[str, int] = field(default_factory=dict, compare=False)
    exhibition_placements: int = 0  # Heratio exhibition_object rows
    owned: int = 0  # descriptions with a security_audit_log create row

    def __str__(self) -> str:
        span = f" (ids {self.first_id}..{self.last_id})" if self.first_id else ""
        return (
            f"{self.records} descriptions{span} in {self.fonds} fonds, "
            f"{self.published} published, {self.drafts} drafts, {self.messy} messy"
        )

    def as_text(self) -> str:
        lines = [
            f"sample archive: {self.records} descriptions"
            + (f" (ids {self.first_id}..{self.last_id})" if self.first_id else "")
            + (", appended" if self.appended else ""),
            f"  fonds {self.fonds}, repositories {self.repositories}, actors {self.actors} "
            f"({self.orcids} with ORCID)",
            f"  published {self.published}, drafts {self.drafts}",
            f"  digital objects {self.digital_objects}, funding rows {self.funding_rows}, "
            f"geolocations {self.geolocations}, exhibition notes {self.exhibitions}, "
            f"exhibition placements {self.exhibition_placements}",
            f"  messy {self.messy}, fonds without any creator {self.creatorless_fonds}",
        ]
        return "\n".join(lines)


# -- identifiers with check digits -----------------------------------------------------------


def make_orcid(rng: random.Random) -> str:
    """A checksum-valid ORCID in the 0000-0002 block ORCID issues from."""
    base = "00000002" + "".join(str(rng.randrange(10)) for _ in range(7))
    full = base + iso7064_mod11_2(base)
    return "-".join(full[i : i + 4] for i in range(0, 16, 4))


def make_isni(rng: random.Random) -> str:
    base = "00000001" + "".join(str(rng.randrange(10)) for _ in range(7))
    full = base + iso7064_mod11_2(base)
    return " ".join(full[i : i + 4] for i in range(0, 16, 4))


def make_ror(rng: random.Random) -> str:
    """A ROR id with valid check digits: ``0`` + 6 base32 chars + 2 digits."""
    body = "0" + "".join(rng.choice(CROCKFORD_BASE32) for _ in range(6))
    return f"{ROR_SCHEME_URI}/{body}{ror_check_digits(body)}"


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str | None) -> str:
    """AtoM-style slug: lower-case ASCII words joined by dashes (may be empty)."""
    if not text:
        return ""
    ascii_text = text.lower().encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG.sub("-", ascii_text).strip("-")[:235].strip("-")


# -- the builder -----------------------------------------------------------------------------


@dataclass
class _Actor:
    id: int
    name: str
    entity_type: int
    culture: str


@dataclass
class _Node:
    id: int
    parent_id: int
    level: str
    identifier: str | None
    start_year: int
    end_year: int
    repository_id: int | None
    creatorless: bool
    culture: str = "en"
    lft: int = 0
    rgt: int = 0


# Rows held before they are written: a million-record archive is written fonds by fonds.
FLUSH_ROWS = 200_000


class _ArchiveBuilder:
    """Accumulates rows per table in memory and bulk-inserts them, a few fonds at a time, in
    one transaction (tables always in the order their first rows were made)."""

    def __init__(
        self, conn: sa.Connection, rng: random.Random, base_time: datetime, records: int
    ) -> None:
        self.conn = conn
        self.rng = rng
        self.base_time = base_time
        self.records = records
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.used_slugs: set[str] = set()
        self.slug_counters: dict[str, int] = {}
        self.serial: dict[str, int] = {}
        self.next_id = 0
        self.appended = False
        self.levels: dict[str, int] = {}
        self.subjects: dict[str, int] = {}
        self.places: dict[str, int] = {}
        self.genres: dict[str, int] = {}
        self.exhibition_type = 0
        self.repositories: list[tuple[int, str]] = []  # (id, code)
        self.repository_cultures: dict[int, str] = {}
        self.persons: list[_Actor] = []
        self.families: list[_Actor] = []
        self.bodies: list[_Actor] = []
        self.counts: dict[str, int] = defaultdict(int)
        self.messy_by_kind: dict[str, int] = defaultdict(int)
        self.messy_turn = 0
        self.new_records: list[int] = []
        self.placed: list[int] = []  # descriptions shown in a Heratio exhibition
        self.root_rgt = 2
        self.fonds_number = 0

    # -- id and row helpers -------------------------------------------------------------------

    def _object(self, class_name: str, when: datetime | None = None) -> int:
        object_id = self.next_id
        self.next_id += 1
        stamp = when or self.base_time
        self.rows["object"].append(
            {
                "id": object_id,
                "class_name": class_name,
                "created_at": stamp,
                "updated_at": stamp,
                "serial_number": 0,
            }
        )
        return object_id

    def _serial_id(self, table: str) -> int:
        self.serial[table] += 1
        return self.serial[table]

    def _slug(self, object_id: int, text: str | None, fallback: str) -> str:
        base = slugify(text) or fallback
        candidate = base
        while candidate in self.used_slugs:
            self.slug_counters[base] = self.slug_counters.get(base, 1) + 1
            candidate = f"{base}-{self.slug_counters[base]}"
        self.used_slugs.add(candidate)
        self.rows["slug"].append(
            {
                "id": self._serial_id("slug"),
                "object_id": object_id,
                "slug": candidate,
                "serial_number": 0,
            }
        )
        return candidate

    def _term(self, taxonomy_id: int, names: dict[str, str], term_id: int | None = None) -> int:
        if term_id is None:
            term_id = self._object(c.CLASS_TERM)
        source = next(iter(names), "en")
        self.rows["term"].append(
            {
                "id": term_id,
                "taxonomy_id": taxonomy_id,
                "code": None,
                "parent_id": c.ROOT_TERM_ID if term_id != c.ROOT_TERM_ID else None,
                "lft": None,
                "rgt": None,
                "source_culture": source,
            }
        )
        for culture, name in names.items():
            self.rows["term_i18n"].append({"id": term_id, "culture": culture, "name": name})
        if names:
            self._slug(term_id, names.get("en") or names[source], f"term-{term_id}")
        return term_id

    def _setting(self, name: str, value: str) -> None:
        setting_id = self._serial_id("setting")
        self.rows["setting"].append(
            {
                "id": setting_id,
                "name": name,
                "scope": None,
                "editable": 1,
                "deleteable": 0,
                "source_culture": "en",
                "serial_number": 0,
            }
        )
        self.rows["setting_i18n"].append({"id": setting_id, "culture": "en", "value": value})

    # -- preparation: base install, vocabularies, repositories, actors ------------------------

    def prepare(self) -> None:
        conn = self.conn
        for table in t.SERIAL_TABLES:
            self.serial[table] = conn.execute(
                sa.select(sa.func.coalesce(sa.func.max(t.metadata.tables[table].c.id), 0))
            ).scalar_one()
        io = t.information_object
        root = conn.execute(
            sa.select(io.c.rgt).where(io.c.id == c.ROOT_INFORMATION_OBJECT_ID)
        ).first()
        self.used_slugs = set(conn.execute(sa.select(t.slug.c.slug)).scalars())
        if root is None:
            self._install_base()
        else:
            self.root_rgt = root.rgt
            self.appended = (
                conn.execute(
                    sa.select(sa.func.count()).where(io.c.id != c.ROOT_INFORMATION_OBJECT_ID)
                ).scalar_one()
                > 0
            )
            self.fonds_number = conn.execute(
                sa.select(sa.func.count()).where(io.c.parent_id == c.ROOT_INFORMATION_OBJECT_ID)
            ).scalar_one()
        max_object = conn.execute(sa.select(sa.func.max(t.object_.c.id))).scalar()
        self.next_id = max(max_object or 0, max(_CONSTANT_TERMS)) + 1
        self._vocabularies()
        self._repositories()
        self._actors()

    def _install_base(self) -> None:
        """The rows every AtoM install has: roots, constant taxonomies/terms, two settings."""
        stamp = self.base_time
        for object_id, class_name in (
            (c.ROOT_INFORMATION_OBJECT_ID, c.CLASS_INFORMATION_OBJECT),
            (c.ROOT_ACTOR_ID, c.CLASS_ACTOR),
            (c.ROOT_REPOSITORY_ID, c.CLASS_REPOSITORY),
            *((tax, c.CLASS_TAXONOMY) for tax in _TAXONOMIES),
            *((term, c.CLASS_TERM) for term in _CONSTANT_TERMS),
        ):
            self.rows["object"].append(
                {
                    "id": object_id,
                    "class_name": class_name,
                    "created_at": stamp,
                    "updated_at": stamp,
                    "serial_number": 0,
                }
            )
        self.rows["information_object"].append(
            self._io_row(c.ROOT_INFORMATION_OBJECT_ID, None, None, None, None, 1, 2, "en")
        )
        for actor_id in (c.ROOT_ACTOR_ID, c.ROOT_REPOSITORY_ID):
            self.rows["actor"].append(self._actor_row(actor_id, None, "en", parent=None))
        self.rows["repository"].append(self._repository_row(c.ROOT_REPOSITORY_ID, None, "en"))
        for taxonomy_id, name in _TAXONOMIES.items():
            self.rows["taxonomy"].append(
                {
                    "id": taxonomy_id,
                    "usage": None,
                    "parent_id": None if taxonomy_id == c.ROOT_TAXONOMY_ID else c.ROOT_TAXONOMY_ID,
                    "lft": None,
                    "rgt": None,
                    "source_culture": "en",
                }
            )
            if name:
                self.rows["taxonomy_i18n"].append(
                    {"id": taxonomy_id, "culture": "en", "name": name, "note": None}
                )
        for term_id, (taxonomy_id, name) in _CONSTANT_TERMS.items():
            self._term(taxonomy_id, {"en": name} if name else {}, term_id=term_id)
        self._setting(c.SETTING_INHERIT_CODE, "1")
        self._setting(c.SETTING_SEPARATOR, c.DEFAULT_SEPARATOR)
        self.root_rgt = 2

    def _existing_terms(self) -> dict[tuple[int, str], int]:
        term, ti = t.term, t.term_i18n
        rows = self.conn.execute(
            sa.select(term.c.id, term.c.taxonomy_id, ti.c.name)
            .join(ti, sa.and_(ti.c.id == term.c.id, ti.c.culture == "en"))
            .where(
                term.c.taxonomy_id.in_(
                    [
                        c.TAXONOMY_LEVEL_OF_DESCRIPTION,
                        c.TAXONOMY_SUBJECT,
                        c.TAXONOMY_PLACE,
                        c.TAXONOMY_GENRE,
                        c.TAXONOMY_NOTE_TYPE,
                    ]
                )
            )
            .order_by(term.c.id)
        ).all()
        found: dict[tuple[int, str], int] = {}
        for row in rows:
            found.setdefault((row.taxonomy_id, row.name), row.id)
        return found

    def _vocabularies(self) -> None:
        existing = self._existing_terms()

        def ensure(taxonomy_id: int, name: str, extra: dict[str, str] | None = None) -> int:
            key = (taxonomy_id, name)
            if key not in existing:
                existing[key] = self._term(taxonomy_id, {"en": name, **(extra or {})})
            return existing[key]

        self.levels = {
            n: ensure(c.TAXONOMY_LEVEL_OF_DESCRIPTION, n) for n in c.LEVELS_OF_DESCRIPTION
        }
        self.subjects = {
            n: ensure(
                c.TAXONOMY_SUBJECT, n, {"fr": v.SUBJECTS_FR[n]} if n in v.SUBJECTS_FR else None
            )
            for n in v.SUBJECTS
        }
        self.places = {p[0]: ensure(c.TAXONOMY_PLACE, p[0]) for p in v.PLACES}
        self.genres = {n: ensure(c.TAXONOMY_GENRE, n) for n in v.GENRES}
        self.exhibition_type = ensure(c.TAXONOMY_NOTE_TYPE, _EXHIBITION_NOTE_TYPE)
        existing_coords = set(
            self.conn.execute(sa.select(ahg.ahg_place_coords.c.term_id)).scalars()
        )
        for name, lat, lon, box in v.PLACES:
            term_id = self.places[name]
            if term_id in existing_coords:
                continue
            polygon = v.PLACE_POLYGONS.get(name)
            self.rows["ahg_place_coords"].append(
                {
                    "term_id": term_id,
                    "latitude": lat,
                    "longitude": lon,
                    "box_west": box[0] if box else None,
                    "box_east": box[1] if box else None,
                    "box_south": box[2] if box else None,
                    "box_north": box[3] if box else None,
                    "polygon_json": json.dumps(polygon) if polygon else None,
                }
            )

    def _repositories(self) -> None:
        r = t.repository
        existing = {
            row.identifier: row.id
            for row in self.conn.execute(sa.select(r.c.id, r.c.identifier)).all()
            if row.identifier
        }
        for code, name, culture, country, english in v.REPOSITORIES:
            # French-speaking archives describe in French; the Greek one catalogues in English.
            description_culture = "fr" if culture == "fr" else "en"
            if code in existing:
                self.repository_cultures[existing[code]] = description_culture
                self.repositories.append((existing[code], code))
                continue
            repo_id = self._object(c.CLASS_REPOSITORY)
            self.rows["actor"].append(
                self._actor_row(repo_id, None, culture, parent=c.ROOT_REPOSITORY_ID)
            )
            self.rows["actor_i18n"].append(self._actor_i18n_row(repo_id, culture, name))
            if english:
                self.rows["actor_i18n"].append(self._actor_i18n_row(repo_id, "en", english))
            self.rows["repository"].append(self._repository_row(repo_id, code, culture))
            self._slug(repo_id, english or name, f"repository-{repo_id}")
            self.rows["contact_information"].append(
                {
                    "id": self._serial_id("contact_information"),
                    "actor_id": repo_id,
                    "primary_contact": 1,
                    "contact_person": None,
                    "street_address": None,
                    "website": f"https://archives.example.org/{code.lower()}",
                    "email": f"{code.lower()}@archives.example.org",
                    "telephone": None,
                    "fax": None,
                    "postal_code": None,
                    "country_code": country,
                    "longitude": None,
                    "latitude": None,
                    "created_at": self.base_time,
                    "updated_at": self.base_time,
                    "source_culture": culture,
                    "serial_number": 0,
                }
            )
            self.repositories.append((repo_id, code))
            self.repository_cultures[repo_id] = description_culture
            self.counts["repositories"] += 1

    def _actors(self) -> None:
        a, ai = t.actor, t.actor_i18n
        existing = {
            (row.entity_type_id, row.authorized_form_of_name): row.id
            for row in self.conn.execute(
                sa.select(a.c.id, a.c.entity_type_id, ai.c.authorized_form_of_name)
                .join(ai, sa.and_(ai.c.id == a.c.id, ai.c.culture == a.c.source_culture))
                .where(
                    a.c.entity_type_id.in_(
                        [c.ENTITY_PERSON, c.ENTITY_FAMILY, c.ENTITY_CORPORATE_BODY]
                    )
                )
            ).all()
        }
        rng = self.rng
        people = max(8, min(1200, self.records // 30))
        names: list[tuple[str, int, str]] = []
        seen: set[str] = set()
        for name, culture in v.NON_LATIN_PERSONS:
            names.append((name, c.ENTITY_PERSON, culture))
            seen.add(name)
        while len(names) < people:
            name = f"{rng.choice(v.FIRST_NAMES)} {rng.choice(v.LAST_NAMES)}"
            if name not in seen:
                seen.add(name)
                names.append((name, c.ENTITY_PERSON, "en"))
            elif len(seen) >= len(v.FIRST_NAMES) * len(v.LAST_NAMES):
                break
        families = sorted({f"{last} family" for last in v.LAST_NAMES})
        for family in rng.sample(families, k=min(len(families), max(3, people // 6))):
            names.append((family, c.ENTITY_FAMILY, "en"))
        for body in v.CORPORATE_BODIES:
            culture = "el" if any("\u0370" <= ch <= "\u03ff" for ch in body) else "en"
            names.append((body, c.ENTITY_CORPORATE_BODY, culture))

        person_index = 0
        for name, entity_type, culture in names:
            key = (entity_type, name)
            is_new = key not in existing
            actor_id = existing[key] if not is_new else self._object(c.CLASS_ACTOR)
            actor = _Actor(actor_id, name, entity_type, culture)
            if entity_type == c.ENTITY_PERSON:
                self.persons.append(actor)
            elif entity_type == c.ENTITY_FAMILY:
                self.families.append(actor)
            else:
                self.bodies.append(actor)
            if not is_new:
                continue
            self.counts["actors"] += 1
            self.rows["actor"].append(
                self._actor_row(actor_id, entity_type, culture, parent=c.ROOT_ACTOR_ID)
            )
            self.rows["actor_i18n"].append(self._actor_i18n_row(actor_id, culture, name))
            self._slug(actor_id, name, f"actor-{actor_id}")
            if entity_type == c.ENTITY_PERSON:
                person_index += 1
                orcid = None
                if person_index == 1:
                    orcid = KNOWN_ORCID
                elif person_index == 5:
                    orcid = INVALID_ORCID
                elif rng.random() < 0.35:
                    orcid = make_orcid(rng)
                if orcid:
                    stored = rng.choice(
                        (orcid, f"https://orcid.org/{orcid}", f"orcid.org/{orcid}", orcid)
                    )
                    self._identifier(actor_id, "orcid", stored, f"https://orcid.org/{orcid}")
                    self.counts["orcids"] += 1
            elif entity_type == c.ENTITY_CORPORATE_BODY and rng.random() < 0.35:
                isni = make_isni(rng)
                self._identifier(
                    actor_id, "isni", isni, f"https://isni.org/isni/{isni.replace(' ', '')}"
                )

    def _identifier(self, actor_id: int, kind: str, value: str, uri: str) -> None:
        self.rows["ahg_actor_identifier"].append(
            {
                "actor_id": actor_id,
                "identifier_type": kind,
                "identifier_value": value,
                "uri": uri,
                "created_at": self.base_time,
                "updated_at": self.base_time,
            }
        )

    # -- row shapes ---------------------------------------------------------------------------

    @staticmethod
    def _io_row(
        io_id: int,
        parent_id: int | None,
        identifier: str | None,
        level_id: int | None,
        repository_id: int | None,
        lft: int,
        rgt: int,
        culture: str,
    ) -> dict[str, Any]:
        return {
            "id": io_id,
            "identifier": identifier,
            "oai_local_identifier": io_id,
            "level_of_description_id": level_id,
            "collection_type_id": 128 if io_id != c.ROOT_INFORMATION_OBJECT_ID else None,
            "repository_id": repository_id,
            "parent_id": parent_id,
            "description_status_id": None,
            "description_detail_id": None,
            "description_identifier": None,
            "source_standard": None,
            "display_standard_id": None,
            "lft": lft,
            "rgt": rgt,
            "source_culture": culture,
        }

    @staticmethod
    def _actor_row(
        actor_id: int, entity_type: int | None, culture: str, parent: int | None
    ) -> dict[str, Any]:
        return {
            "id": actor_id,
            "corporate_body_identifiers": None,
            "entity_type_id": entity_type,
            "description_status_id": None,
            "description_detail_id": None,
            "description_identifier": None,
            "source_standard": None,
            "parent_id": parent,
            "lft": None,
            "rgt": None,
            "source_culture": culture,
        }

    @staticmethod
    def _actor_i18n_row(actor_id: int, culture: str, name: str) -> dict[str, Any]:
        return {
            "id": actor_id,
            "culture": culture,
            "authorized_form_of_name": name,
            "dates_of_existence": None,
            "history": None,
        }

    @staticmethod
    def _repository_row(repo_id: int, code: str | None, culture: str) -> dict[str, Any]:
        return {
            "id": repo_id,
            "identifier": code,
            "desc_status_id": None,
            "desc_detail_id": None,
            "desc_identifier": None,
            "upload_limit": None,
            "source_culture": culture,
        }

    # -- descriptions -------------------------------------------------------------------------

    def generate(self) -> None:
        remaining = self.records
        counter = self.root_rgt
        while remaining > 0:
            self.fonds_number += 1
            repo_id, _code = self.repositories[(self.fonds_number - 1) % len(self.repositories)]
            start = self.rng.randint(1820, 1960)
            creatorless = self.fonds_number % 25 == 3 or self.rng.random() < (
                CREATORLESS_FONDS_SHARE / 2
            )
            if creatorless:
                self.counts["creatorless_fonds"] += 1
            fonds = _Node(
                id=0,
                parent_id=c.ROOT_INFORMATION_OBJECT_ID,
                level="Fonds",
                identifier=f"F{self.fonds_number:04d}",
                start_year=start,
                end_year=min(start + self.rng.randint(5, 80), 2020),
                repository_id=repo_id,
                creatorless=creatorless,
                culture=self.repository_cultures.get(repo_id, "en"),
            )
            counter, remaining = self._subtree(fonds, counter, remaining)
            self.counts["fonds"] += 1
            if sum(len(rows) for rows in self.rows.values()) >= FLUSH_ROWS:
                self._write_rows()  # a whole fonds is complete: its rows can go
        self.root_rgt = counter
        self._exhibition_placements()
        self._owners()

    def _exhibition_placements(self) -> None:
        """Heratio exhibitions (reused by slug when appending) and the items they show."""
        ex = t.exhibition
        ids = dict(self.conn.execute(sa.select(ex.c.slug, ex.c.id)).tuples().all())
        for slug, title in SAMPLE_EXHIBITIONS:
            if slug not in ids:
                inserted = self.conn.execute(
                    ex.insert().values(
                        title=title, slug=slug, status="open", created_at=self.base_time
                    )
                )
                key = inserted.inserted_primary_key
                assert key is not None
                ids[slug] = key[0]
        exhibition_ids = [ids[slug] for slug, _title in SAMPLE_EXHIBITIONS]
        for record_id in self.placed:
            shown_in = [exhibition_ids[record_id % len(exhibition_ids)]]
            if record_id % 3 == 0:
                shown_in.append(exhibition_ids[(record_id + 1) % len(exhibition_ids)])
            for position, exhibition_id in enumerate(shown_in):
                self.rows["exhibition_object"].append(
                    {
                        "exhibition_id": exhibition_id,
                        "information_object_id": record_id,
                        "sequence_order": position,
                        "status": "installed",
                    }
                )
                self.counts["exhibition_placements"] += 1
            if len(self.rows["exhibition_object"]) >= FLUSH_ROWS:
                self._write_rows()

    def _owners(self) -> None:
        """User accounts (actors, reused by username) and who created each new description,
        as Heratio's audit middleware records it; every tenth has no create row."""
        u = t.user
        known = dict(self.conn.execute(sa.select(u.c.username, u.c.id)).tuples().all())
        users: list[tuple[int, str]] = []
        for username, email in SAMPLE_USERS:
            user_id = known.get(username)
            if user_id is None:
                user_id = self._object(c.CLASS_USER)
                self.rows["actor"].append(
                    self._actor_row(user_id, None, "en", parent=c.ROOT_ACTOR_ID)
                )
                self.rows["actor_i18n"].append(self._actor_i18n_row(user_id, "en", username))
                self.rows["user"].append(
                    {"id": user_id, "username": username, "email": email, "active": 1}
                )
            users.append((user_id, username))
        for record_id in self.new_records:
            if record_id % 10 == 0:
                continue
            user_id, username = users[record_id % len(users)]
            self.rows["security_audit_log"].append(
                {
                    "object_id": record_id,
                    "object_type": "information_object",
                    "user_id": user_id,
                    "user_name": username,
                    "action": "create",
                    "action_category": "admin",
                    "created_at": self.base_time,
                }
            )
            self.counts["owned"] += 1
            if len(self.rows["security_audit_log"]) >= FLUSH_ROWS:
                self._write_rows()

    def _subtree(self, node: _Node, counter: int, remaining: int) -> tuple[int, int]:
        """Create ``node`` and (budget allowing) its children, numbering the nested set."""
        node.id = self._object(c.CLASS_INFORMATION_OBJECT, self._timestamp())
        node.lft = counter
        counter += 1
        remaining -= 1
        self.new_records.append(node.id)
        child_level, count = {
            "Fonds": ("Series", self.rng.randint(1, 4)),
            "Series": ("File", self.rng.randint(1, 6)),
            "File": ("Item", self.rng.randint(0, 8)),
        }.get(node.level, ("", 0))
        children: list[_Node] = []
        for index in range(1, count + 1):
            if remaining <= 0:
                break
            span = max(node.end_year - node.start_year, 0)
            start = node.start_year + self.rng.randint(0, span)
            child = _Node(
                id=0,
                parent_id=node.id,
                level=child_level,
                identifier=f"{index:02d}" if child_level != "Item" else f"{index:03d}",
                start_year=start,
                end_year=min(start + self.rng.randint(0, max(span // 3, 1)), node.end_year),
                repository_id=None,
                creatorless=node.creatorless,
                culture=node.culture,
            )
            counter, remaining = self._subtree(child, counter, remaining)
            children.append(child)
        node.rgt = counter
        counter += 1
        self._describe(node)
        return counter, remaining

    def _timestamp(self) -> datetime:
        return self.base_time - timedelta(
            days=self.rng.randint(0, 2000), seconds=self.rng.randint(0, 86399)
        )

    def _messy_kind(self) -> str | None:
        if self.rng.random() >= MESSY_SHARE:
            return None
        kind = MESSY_KINDS[self.messy_turn % len(MESSY_KINDS)]
        self.messy_turn += 1
        self.messy_by_kind[kind] += 1
        return kind

    def _pick_creators(self, node: _Node) -> list[_Actor]:
        rng = self.rng
        if node.creatorless:
            return []
        chance = {"Fonds": 1.0, "Series": 0.2, "File": 0.1, "Item": 0.15}[node.level]
        if rng.random() >= chance:
            return []
        pool_choice = rng.random()
        if pool_choice < 0.6:
            pool = self.persons
        elif pool_choice < 0.75:
            pool = self.families
        else:
            pool = self.bodies
        creators = [rng.choice(pool)]
        if node.level == "Fonds" and rng.random() < 0.3:
            other = rng.choice(self.persons)
            if other.id != creators[0].id:
                creators.append(other)
        return creators

    def _dates(self, node: _Node, kind: str | None) -> tuple[str | None, str | None, str]:
        rng = self.rng
        if kind == "zero_dates":
            return "0000-00-00", "0000-00-00", "undated"
        if kind == "end_before_start":
            return f"{node.end_year}-00-00", f"{node.start_year - 10}-00-00", "date uncertain"
        if node.level == "Item":
            month, day = rng.randint(1, 12), rng.randint(1, 28)
            shape = rng.random()
            if shape < 0.5:
                value = f"{node.start_year}-{month:02d}-{day:02d}"
                return value, value, f"{day} {_MONTHS[month - 1]} {node.start_year}"
            if shape < 0.75:
                value = f"{node.start_year}-{month:02d}-00"
                return value, value, f"{_MONTHS[month - 1]} {node.start_year}"
            if shape < 0.9:
                return f"{node.start_year}-00-00", None, f"ca. {node.start_year}"
            return None, None, f"[{str(node.start_year)[:3]}-]"
        display = (
            f"{node.start_year}-{node.end_year}"
            if node.end_year != node.start_year
            else str(node.start_year)
        )
        return f"{node.start_year}-00-00", f"{node.end_year}-00-00", display

    def _title(self, node: _Node, creators: list[_Actor]) -> str:
        rng = self.rng
        if node.level == "Fonds":
            if creators:
                return f"{creators[0].name} fonds"
            return f"Records of the {rng.choice(v.CORPORATE_BODIES)}"
        if node.level == "Series":
            return rng.choice(v.SERIES_TOPICS)
        if node.level == "File":
            return f"{rng.choice(v.SUBJECTS)}, {rng.choice(v.PLACES)[0]}, {node.start_year}"
        template = rng.choice(v.ITEM_TEMPLATES)
        return template.format(
            person=rng.choice(self.persons).name,
            other=rng.choice(self.persons).name,
            place=rng.choice(v.PLACES)[0],
            subject=rng.choice(v.SUBJECTS).lower(),
        )

    def _scope(self, creators: list[_Actor]) -> str:
        rng = self.rng
        agent = creators[0].name if creators else rng.choice(self.bodies).name
        sentences = rng.sample(v.SCOPE_SENTENCES, k=rng.randint(1, 3))
        return " ".join(
            s.format(agent=agent, place=rng.choice(v.PLACES)[0], subject=rng.choice(v.SUBJECTS))
            for s in sentences
        )

    def _describe(self, node: _Node) -> None:
        rng = self.rng
        kind = self._messy_kind()
        creators = self._pick_creators(node)
        title: str | None = self._title(node, creators)
        scope: str | None = self._scope(creators) if rng.random() < 0.8 else None
        culture = node.culture
        if kind == "non_latin":
            title, culture = rng.choice(v.NON_LATIN_TITLES)
        elif kind == "no_title":
            title = None
        elif kind == "long_html":
            scope = _long_html(rng, title or "")
        elif kind == "control_chars":
            title = f"{title}\x07 with\x1b control\x0b characters\u200b"
            scope = f"Line one\x0cline two\x01\x02 and a tab\there{scope or ''}"
        elif kind == "no_identifier":
            node.identifier = None
        node.culture = culture
        self.counts["messy"] += 1 if kind else 0

        self.rows["information_object"].append(
            self._io_row(
                node.id,
                node.parent_id,
                node.identifier,
                self.levels[node.level],
                node.repository_id,
                node.lft,
                node.rgt,
                culture,
            )
        )
        i18n_culture = culture
        if kind == "other_culture_only":
            i18n_culture = "fr" if culture != "fr" else "de"
        self.rows["information_object_i18n"].append(
            {
                "id": node.id,
                "culture": i18n_culture,
                "title": title,
                "scope_and_content": scope,
                "archival_history": rng.choice(v.ARCHIVAL_HISTORY)
                if node.level == "Fonds"
                else None,
                "acquisition": rng.choice(v.ACQUISITIONS) if node.level == "Fonds" else None,
                "extent_and_medium": f"{rng.randint(1, 40)} items",
            }
        )
        if kind != "other_culture_only" and title and rng.random() < 0.08:
            other = "fr" if culture != "fr" else "en"
            self.rows["information_object_i18n"].append(
                {
                    "id": node.id,
                    "culture": other,
                    "title": f"{title} [{other}]",
                    "scope_and_content": None,
                    "archival_history": None,
                    "acquisition": None,
                    "extent_and_medium": None,
                }
            )
        self._slug(node.id, title, f"{node.level.lower()}-{node.id}")
        published = rng.random() >= 0.12
        self.rows["status"].append(
            {
                "id": self._serial_id("status"),
                "object_id": node.id,
                "type_id": c.STATUS_TYPE_PUBLICATION,
                "status_id": c.PUBLICATION_STATUS_PUBLISHED
                if published
                else c.PUBLICATION_STATUS_DRAFT,
                "serial_number": 0,
            }
        )
        self.counts["published" if published else "drafts"] += 1

        start, end, display = self._dates(node, kind)
        for actor in creators or [None]:  # type: ignore[list-item]
            self._event(node, c.EVENT_CREATION, actor.id if actor else None, start, end, display)
        if node.level == "Item" and rng.random() < 0.1:
            year = min(node.end_year + rng.randint(0, 5), 2023)
            self._event(
                node,
                c.EVENT_PUBLICATION,
                rng.choice(self.bodies).id if rng.random() < 0.5 else None,
                f"{year}-00-00",
                None,
                str(year),
            )
        self._access_points(node)
        self._language(node, kind)
        if node.level == "Item":
            self._digital_object(node)
            if rng.random() < 0.03:
                self._exhibition(node)
            if node.id % 7 == 0:  # not from rng: the rest of the sample stays as it was
                self.placed.append(node.id)
        if node.level in ("Fonds", "Series", "File") and rng.random() < 0.06:
            self._funding(node)
        if node.level in ("File", "Item") and rng.random() < 0.1:
            self._geolocation(node)

    def _event(
        self,
        node: _Node,
        type_id: int,
        actor_id: int | None,
        start: str | None,
        end: str | None,
        display: str | None,
    ) -> None:
        event_id = self._object(c.CLASS_EVENT)
        self.rows["event"].append(
            {
                "id": event_id,
                "start_date": start,
                "start_time": None,
                "end_date": end,
                "end_time": None,
                "type_id": type_id,
                "object_id": node.id,
                "actor_id": actor_id,
                "source_culture": node.culture,
            }
        )
        if display:
            self.rows["event_i18n"].append(
                {
                    "id": event_id,
                    "culture": node.culture,
                    "name": None,
                    "description": None,
                    "date": display,
                }
            )

    def _relate(self, node: _Node, term_id: int) -> None:
        relation_id = self._object(c.CLASS_OBJECT_TERM_RELATION)
        self.rows["object_term_relation"].append(
            {
                "id": relation_id,
                "object_id": node.id,
                "term_id": term_id,
                "start_date": None,
                "end_date": None,
            }
        )

    def _access_points(self, node: _Node) -> None:
        rng = self.rng
        subjects = rng.sample(v.SUBJECTS, k=rng.choice((0, 1, 1, 2, 3)))
        for name in subjects:
            self._relate(node, self.subjects[name])
        if subjects and rng.random() < 0.02:
            self._relate(node, self.subjects[subjects[0]])  # the same subject twice
        for place in rng.sample(v.PLACES, k=rng.choice((0, 0, 1, 1, 2))):
            self._relate(node, self.places[place[0]])
        if node.level in ("File", "Item") and rng.random() < 0.4:
            self._relate(node, self.genres[rng.choice(v.GENRES)])
        if rng.random() < 0.1:
            relation_id = self._object(c.CLASS_RELATION)
            self.rows["relation"].append(
                {
                    "id": relation_id,
                    "subject_id": node.id,
                    "object_id": rng.choice(self.persons).id,
                    "type_id": c.RELATION_NAME_ACCESS_POINT,
                    "start_date": None,
                    "end_date": None,
                    "source_culture": node.culture,
                }
            )

    def _property(self, node: _Node, name: str, value: str) -> None:
        property_id = self._serial_id("property")
        self.rows["property"].append(
            {
                "id": property_id,
                "object_id": node.id,
                "scope": None,
                "name": name,
                "source_culture": node.culture,
                "serial_number": 0,
            }
        )
        self.rows["property_i18n"].append(
            {"id": property_id, "culture": node.culture, "value": value}
        )

    def _language(self, node: _Node, kind: str | None) -> None:
        rng = self.rng
        if kind == "junk_language":
            self._property(
                node, c.PROPERTY_LANGUAGE, rng.choice(("english", 'a:1:{i:0;s:7:"en";', "??"))
            )
            return
        if node.level != "Fonds" and rng.random() < 0.5:
            return
        codes = {
            "el": ["el"],
            "ru": ["ru"],
            "ar": ["ar"],
            "zh": ["zh"],
            "ja": ["ja"],
            "fr": ["fr"],
        }.get(node.culture) or rng.choice((["en"], ["en"], ["en", "af"], ["af"], ["cy", "en"]))
        self._property(node, c.PROPERTY_LANGUAGE, php_serialize_strings(codes))
        if rng.random() < 0.3:
            self._property(node, c.PROPERTY_SCRIPT, php_serialize_strings(["Latn"]))

    def _digital_object(self, node: _Node) -> None:
        rng = self.rng
        roll = rng.random()
        if roll >= 0.38:
            return
        digest = hashlib.sha256(f"{node.id}-{rng.random()}".encode()).hexdigest()
        if roll < 0.03:
            master_id = self._object(c.CLASS_DIGITAL_OBJECT)
            self.rows["digital_object"].append(
                self._do_row(
                    master_id,
                    node.id,
                    c.USAGE_EXTERNAL_URI,
                    "text/html",
                    c.MEDIA_OTHER,
                    f"https://media.example.org/{digest[:12]}",
                    f"https://media.example.org/{digest[:12]}",
                    None,
                    None,
                    digest,
                )
            )
            self.counts["digital_objects"] += 1
            return
        mime, media, extension = rng.choice(
            (
                ("image/jpeg", c.MEDIA_IMAGE, "jpg"),
                ("image/tiff", c.MEDIA_IMAGE, "tif"),
                ("application/pdf", c.MEDIA_TEXT, "pdf"),
                ("audio/mpeg", c.MEDIA_AUDIO, "mp3"),
                ("video/mp4", c.MEDIA_VIDEO, "mp4"),
            )
        )
        path = f"/uploads/r/sample/{digest[0]}/{digest[1]}/{digest[2]}/{digest}/"
        stem = f"item-{node.id}"
        master_id = self._object(c.CLASS_DIGITAL_OBJECT)
        self.rows["digital_object"].append(
            self._do_row(
                master_id,
                node.id,
                c.USAGE_MASTER,
                mime,
                media,
                f"{stem}.{extension}",
                path,
                None,
                rng.randint(20_000, 400_000_000),
                digest,
            )
        )
        for usage, suffix in ((c.USAGE_REFERENCE, "141"), (c.USAGE_THUMBNAIL, "142")):
            derived_id = self._object(c.CLASS_DIGITAL_OBJECT)
            self.rows["digital_object"].append(
                self._do_row(
                    derived_id,
                    None,
                    usage,
                    "image/jpeg",
                    c.MEDIA_IMAGE,
                    f"{stem}_{suffix}.jpg",
                    path,
                    master_id,
                    rng.randint(2_000, 400_000),
                    hashlib.sha256(f"{digest}{suffix}".encode()).hexdigest(),
                )
            )
        self.counts["digital_objects"] += 3

    @staticmethod
    def _do_row(
        do_id: int,
        object_id: int | None,
        usage: int,
        mime: str,
        media: int,
        name: str,
        path: str,
        parent_id: int | None,
        size: int | None,
        checksum: str,
    ) -> dict[str, Any]:
        return {
            "id": do_id,
            "object_id": object_id,
            "usage_id": usage,
            "mime_type": mime,
            "media_type_id": media,
            "name": name,
            "path": path,
            "sequence": None,
            "byte_size": size,
            "checksum": checksum,
            "checksum_type": "sha256",
            "parent_id": parent_id,
        }

    def _exhibition(self, node: _Node) -> None:
        note_id = self._serial_id("note")
        self.rows["note"].append(
            {
                "id": note_id,
                "object_id": node.id,
                "type_id": self.exhibition_type,
                "scope": None,
                "user_id": None,
                "source_culture": node.culture,
                "serial_number": 0,
            }
        )
        self.rows["note_i18n"].append(
            {
                "id": note_id,
                "culture": node.culture,
                "content": f"Shown in: https://exhibitions.example.org/items/{node.id}",
            }
        )
        self.counts["exhibitions"] += 1

    def _funding(self, node: _Node) -> None:
        rng = self.rng
        for _ in range(rng.choice((1, 1, 2))):
            kind = rng.random()
            if kind < 0.4:
                name, identifier = rng.choice(v.CROSSREF_FUNDERS)
                identifier_type: str | None = "Crossref Funder ID"
            elif kind < 0.75:
                name, identifier, identifier_type = rng.choice(v.ROR_FUNDERS), make_ror(rng), "ROR"
            elif kind < 0.9:
                name, identifier, identifier_type = (
                    rng.choice(v.ISNI_FUNDERS),
                    make_isni(rng),
                    "ISNI",
                )
            else:
                name, identifier, identifier_type = "Friends of the Archive", None, None
            number = f"AW-{rng.randint(1000, 99999)}" if rng.random() < 0.8 else None
            self.rows["ahg_io_funding"].append(
                {
                    "information_object_id": node.id,
                    "funder_name": name,
                    "funder_identifier": identifier,
                    "funder_identifier_type": identifier_type,
                    "award_number": number,
                    "award_uri": f"https://grants.example.org/{number}" if number else None,
                    "award_title": rng.choice(v.AWARD_TITLES) if rng.random() < 0.7 else None,
                    "created_at": self.base_time,
                    "updated_at": self.base_time,
                }
            )
            self.counts["funding_rows"] += 1

    def _geolocation(self, node: _Node) -> None:
        rng = self.rng
        name, lat, lon, _box = rng.choice(v.PLACES)
        self.rows["ahg_io_geolocation"].append(
            {
                "information_object_id": node.id,
                "latitude": round(lat + rng.uniform(-0.05, 0.05), 7),
                "longitude": round(lon + rng.uniform(-0.05, 0.05), 7),
                "place_name": name,
                "created_at": self.base_time,
                "updated_at": self.base_time,
            }
        )
        self.counts["geolocations"] += 1

    # -- writing ------------------------------------------------------------------------------

    def _write_rows(self) -> None:
        tables: dict[str, sa.Table] = {
            **t.metadata.tables,
            **{table.name: table for table in SIDECAR_TABLES},
        }
        for name, rows in self.rows.items():
            for batch in _batches(rows, 20_000):
                _bulk_insert(self.conn, tables[name], batch)
            rows.clear()  # the key stays, and with it the table's place in the order

    def flush(self) -> None:
        self._write_rows()
        io = t.information_object
        self.conn.execute(
            sa.update(io).where(io.c.id == c.ROOT_INFORMATION_OBJECT_ID).values(rgt=self.root_rgt)
        )
        if self.conn.dialect.name == "postgresql":
            for table in t.SERIAL_TABLES:
                self.conn.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"GREATEST((SELECT MAX(id) FROM {table}), 1))"
                    )
                )

    def summary(self) -> SampleSummary:
        return SampleSummary(
            records=len(self.new_records),
            first_id=min(self.new_records) if self.new_records else None,
            last_id=max(self.new_records) if self.new_records else None,
            fonds=self.counts["fonds"],
            repositories=self.counts["repositories"],
            actors=self.counts["actors"],
            orcids=self.counts["orcids"],
            published=self.counts["published"],
            drafts=self.counts["drafts"],
            digital_objects=self.counts["digital_objects"],
            funding_rows=self.counts["funding_rows"],
            geolocations=self.counts["geolocations"],
            exhibitions=self.counts["exhibitions"],
            messy=self.counts["messy"],
            creatorless_fonds=self.counts["creatorless_fonds"],
            appended=self.appended,
            messy_by_kind=dict(self.messy_by_kind),
            exhibition_placements=self.counts["exhibition_placements"],
            owned=self.counts["owned"],
        )


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _long_html(rng: random.Random, title: str) -> str:
    """~25 kB of the HTML that pasted-in finding aids leave behind."""
    paragraph = (
        "<p>This <b>very long</b> description of &quot;{title}&quot; was pasted from a word "
        'processor &amp; keeps its <i>markup</i>, <span style="color:red">styles</span> and '
        "entities&nbsp;like &lt;these&gt;.<br/>Paragraph {n}.</p>"
    )
    parts = [paragraph.format(title=title, n=n) for n in range(rng.randint(90, 120))]
    parts.insert(3, "<script>alert('x')</script><table><tr><td>cell</td></tr></table>")
    return "\n".join(parts)


def _sqlite_value(value: Any) -> Any:
    """What SQLAlchemy's SQLite DateTime would store; everything else passes through."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def _copy_value(value: Any, column: sa.Column[Any]) -> Any:
    """One value as COPY's CSV reads it (``None`` is written as the NULL marker)."""
    if value is None:
        return _COPY_NULL
    if isinstance(value, bool):
        return ("t" if value else "f") if isinstance(column.type, sa.Boolean) else int(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return value


_COPY_NULL = "\\N"


def _copyable(table: sa.Table) -> bool:
    """Plain columns only: JSON and custom types need SQLAlchemy's own conversion."""
    return not any(isinstance(col.type, sa.JSON | sa.TypeDecorator) for col in table.columns)


def _copy_rows(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL's COPY, several times faster than a multi-row INSERT at a million records."""
    keys = list(rows[0])
    columns = [table.c[key] for key in keys]
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    for row in rows:
        writer.writerow([_copy_value(row[k], col) for k, col in zip(keys, columns, strict=True)])
    buffer.seek(0)
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(key) for key in keys)
    sql = (
        f"COPY {quote(table.name)} ({names}) FROM STDIN WITH (FORMAT csv, NULL '{_COPY_NULL}', "
        f"FORCE_NULL ({names}))"
    )
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.copy_expert(sql, buffer)
    finally:
        cursor.close()


def _bulk_insert(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """executemany; on SQLite straight through the driver, which is several times faster than
    SQLAlchemy's per-row parameter processing for the ~18 rows each description needs, and on
    PostgreSQL (psycopg2) through COPY."""
    if conn.dialect.driver == "psycopg2" and _copyable(table):
        _copy_rows(conn, table, rows)
        return
    if conn.dialect.name != "sqlite":
        conn.execute(table.insert(), rows)
        return
    keys = list(rows[0])
    quote = conn.dialect.identifier_preparer.quote
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(k) for k in keys)}) "
        f"VALUES ({', '.join('?' for _ in keys)})"
    )
    conn.exec_driver_sql(sql, [tuple(_sqlite_value(row[k]) for k in keys) for row in rows])


def _batches(rows: list[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def generate_sample_archive(
    engine: sa.Engine, records: int, seed: int = 42, base_time: datetime | None = None
) -> SampleSummary:
    """Write ``records`` sample descriptions with their actors, terms and sidecars, atomically.

    Creates the AtoM tables and the ahg_* sidecars it writes when they are missing.
    """
    if records < 0:
        raise ValueError("records must be >= 0")
    t.create_catalogue_tables(engine, t.CATALOGUE_TABLES + t.HERATIO_CATALOGUE_TABLES)
    with engine.begin() as conn:
        existing = set(sa.inspect(conn).get_table_names())
        missing = [table for table in SIDECAR_TABLES if table.name not in existing]
        if missing:
            ahg.metadata.create_all(conn, tables=missing, checkfirst=True)
    with engine.begin() as conn:
        builder = _ArchiveBuilder(
            conn, random.Random(seed), base_time or DEFAULT_BASE_TIME, records
        )
        builder.prepare()
        builder.generate()
        builder.flush()
        return builder.summary()
