"""AtoM's catalogue tables (the subset DOI metadata needs), with AtoM's real names and columns.

The reader queries a real AtoM/Heratio database through these definitions, so names and
columns follow AtoM's ``lib.model.schema.sql`` (2.x, where ``event`` and ``digital_object``
point at their description through ``object_id``). Foreign keys are left out on purpose: they
are AtoM's to enforce, and here they would only constrain the sample generator and test
fixtures. Differences that matter:

- ``event.start_date``/``end_date`` (and the other AtoM DATE columns) are ``DATE`` in MySQL
  and hold zero-filled partial dates such as ``1890-00-00``. They are declared as
  ``String(10)`` so the same values survive in SQLite and PostgreSQL; the reader casts them to
  text on every backend.
- ``lft``/``rgt`` are nullable on actors and terms (the pipeline never reads them there).

``create_catalogue_tables`` exists for the sample generator and tests only; the pipeline never
creates or alters catalogue tables on a real site.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

metadata = sa.MetaData()

# MySQL needs utf8mb4 for every script AtoM stores; other dialects ignore these options.
_MYSQL_OPTIONS: dict[str, Any] = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}

Culture = sa.String(7)
AtomDate = sa.String(10)  # AtoM DATE: may be '1890-00-00' or '0000-00-00'


def _table(name: str, *items: sa.schema.SchemaItem) -> sa.Table:
    return sa.Table(name, metadata, *items, **_MYSQL_OPTIONS)


def _object_id_pk() -> sa.Column:
    """Primary key shared with ``object.id`` (class-table inheritance): never auto-generated."""
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=False)


def _i18n(name: str, *columns: sa.Column) -> sa.Table:
    return _table(
        name,
        *columns,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("culture", Culture, primary_key=True),
    )


def _serial() -> tuple[sa.Column, sa.Column]:
    """``id`` AUTO_INCREMENT and ``serial_number`` of AtoM's non-object tables."""
    return (
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("serial_number", sa.Integer, nullable=False, server_default="0"),
    )


object_ = _table(
    "object",
    sa.Column("class_name", sa.String(255)),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    *_serial(),
    sa.Index("object_updated_at", "updated_at"),
)

information_object = _table(
    "information_object",
    _object_id_pk(),
    sa.Column("identifier", sa.String(1024)),
    sa.Column("oai_local_identifier", sa.Integer),
    sa.Column("level_of_description_id", sa.Integer),
    sa.Column("collection_type_id", sa.Integer),
    sa.Column("repository_id", sa.Integer),
    sa.Column("parent_id", sa.Integer),
    sa.Column("description_status_id", sa.Integer),
    sa.Column("description_detail_id", sa.Integer),
    sa.Column("description_identifier", sa.String(1024)),
    sa.Column("source_standard", sa.String(1024)),
    sa.Column("display_standard_id", sa.Integer),
    sa.Column("lft", sa.Integer, nullable=False),
    sa.Column("rgt", sa.Integer, nullable=False),
    sa.Column("source_culture", Culture, nullable=False),
    sa.Index("information_object_FI_4", "repository_id"),
    sa.Index("information_object_FI_5", "parent_id"),
    sa.Index("information_object_lft", "lft"),
)

information_object_i18n = _i18n(
    "information_object_i18n",
    sa.Column("title", sa.String(1024)),
    sa.Column("alternate_title", sa.String(1024)),
    sa.Column("edition", sa.String(1024)),
    sa.Column("extent_and_medium", sa.Text),
    sa.Column("archival_history", sa.Text),
    sa.Column("acquisition", sa.Text),
    sa.Column("scope_and_content", sa.Text),
    sa.Column("appraisal", sa.Text),
    sa.Column("accruals", sa.Text),
    sa.Column("arrangement", sa.Text),
    sa.Column("access_conditions", sa.Text),
    sa.Column("reproduction_conditions", sa.Text),
    sa.Column("physical_characteristics", sa.Text),
    sa.Column("finding_aids", sa.Text),
    sa.Column("location_of_originals", sa.Text),
    sa.Column("location_of_copies", sa.Text),
    sa.Column("related_units_of_description", sa.Text),
    sa.Column("institution_responsible_identifier", sa.String(1024)),
    sa.Column("rules", sa.Text),
    sa.Column("sources", sa.Text),
    sa.Column("revision_history", sa.Text),
)

actor = _table(
    "actor",
    _object_id_pk(),
    sa.Column("corporate_body_identifiers", sa.String(1024)),
    sa.Column("entity_type_id", sa.Integer),
    sa.Column("description_status_id", sa.Integer),
    sa.Column("description_detail_id", sa.Integer),
    sa.Column("description_identifier", sa.String(1024)),
    sa.Column("source_standard", sa.String(1024)),
    sa.Column("parent_id", sa.Integer),
    sa.Column("lft", sa.Integer),
    sa.Column("rgt", sa.Integer),
    sa.Column("source_culture", Culture, nullable=False),
    sa.Index("actor_FI_2", "entity_type_id"),
)

actor_i18n = _i18n(
    "actor_i18n",
    sa.Column("authorized_form_of_name", sa.String(1024)),
    sa.Column("dates_of_existence", sa.String(1024)),
    sa.Column("history", sa.Text),
    sa.Column("places", sa.Text),
    sa.Column("legal_status", sa.Text),
    sa.Column("functions", sa.Text),
    sa.Column("mandates", sa.Text),
    sa.Column("internal_structures", sa.Text),
    sa.Column("general_context", sa.Text),
    sa.Column("institution_responsible_identifier", sa.String(1024)),
    sa.Column("rules", sa.Text),
    sa.Column("sources", sa.Text),
    sa.Column("revision_history", sa.Text),
)

# A user account is an actor too (user.id = actor.id). Heratio adds ``email_bounced_at`` (a
# hard bounce suppresses mail) and ``preferred_locale``; plain AtoM has neither.
user = _table(
    "user",
    _object_id_pk(),
    sa.Column("username", sa.String(255)),
    sa.Column("email", sa.String(255)),
    sa.Column("password_hash", sa.String(255)),
    sa.Column("salt", sa.String(255)),
    sa.Column("active", sa.SmallInteger, server_default="1"),
)

# A repository is an actor: repository.id = actor.id, its name is actor_i18n's.
repository = _table(
    "repository",
    _object_id_pk(),
    sa.Column("identifier", sa.String(1024)),
    sa.Column("desc_status_id", sa.Integer),
    sa.Column("desc_detail_id", sa.Integer),
    sa.Column("desc_identifier", sa.String(1024)),
    sa.Column("upload_limit", sa.Float),
    sa.Column("source_culture", Culture, nullable=False),
)

# Where AtoM keeps a repository's country (the reference code's leading country code).
contact_information = _table(
    "contact_information",
    sa.Column("actor_id", sa.Integer, nullable=False),
    sa.Column("primary_contact", sa.SmallInteger),
    sa.Column("contact_person", sa.String(1024)),
    sa.Column("street_address", sa.Text),
    sa.Column("website", sa.String(1024)),
    sa.Column("email", sa.String(255)),
    sa.Column("telephone", sa.String(255)),
    sa.Column("fax", sa.String(255)),
    sa.Column("postal_code", sa.String(255)),
    sa.Column("country_code", sa.String(255)),
    sa.Column("longitude", sa.Float),
    sa.Column("latitude", sa.Float),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("source_culture", Culture, nullable=False),
    *_serial(),
    sa.Index("contact_information_FI_1", "actor_id"),
)

event = _table(
    "event",
    _object_id_pk(),
    sa.Column("start_date", AtomDate),
    sa.Column("start_time", sa.String(8)),
    sa.Column("end_date", AtomDate),
    sa.Column("end_time", sa.String(8)),
    sa.Column("type_id", sa.Integer, nullable=False),
    sa.Column("object_id", sa.Integer),
    sa.Column("actor_id", sa.Integer),
    sa.Column("source_culture", Culture, nullable=False),
    sa.Index("event_FI_2", "type_id"),
    sa.Index("event_FI_3", "object_id"),
    sa.Index("event_FI_4", "actor_id"),
)

event_i18n = _i18n(
    "event_i18n",
    sa.Column("name", sa.String(1024)),
    sa.Column("description", sa.Text),
    sa.Column("date", sa.String(1024)),
)

taxonomy = _table(
    "taxonomy",
    _object_id_pk(),
    sa.Column("usage", sa.String(1024)),
    sa.Column("parent_id", sa.Integer),
    sa.Column("lft", sa.Integer),
    sa.Column("rgt", sa.Integer),
    sa.Column("source_culture", Culture, nullable=False),
)

taxonomy_i18n = _i18n(
    "taxonomy_i18n",
    sa.Column("name", sa.String(1024)),
    sa.Column("note", sa.Text),
)

term = _table(
    "term",
    _object_id_pk(),
    sa.Column("taxonomy_id", sa.Integer, nullable=False),
    sa.Column("code", sa.String(1024)),
    sa.Column("parent_id", sa.Integer),
    sa.Column("lft", sa.Integer),
    sa.Column("rgt", sa.Integer),
    sa.Column("source_culture", Culture, nullable=False),
    sa.Index("term_FI_2", "taxonomy_id"),
)

term_i18n = _i18n("term_i18n", sa.Column("name", sa.String(1024)))

object_term_relation = _table(
    "object_term_relation",
    _object_id_pk(),
    sa.Column("object_id", sa.Integer, nullable=False),
    sa.Column("term_id", sa.Integer, nullable=False),
    sa.Column("start_date", AtomDate),
    sa.Column("end_date", AtomDate),
    sa.Index("object_term_relation_FI_2", "object_id"),
    sa.Index("object_term_relation_FI_3", "term_id"),
)

slug = _table(
    "slug",
    sa.Column("object_id", sa.Integer, nullable=False),
    sa.Column("slug", sa.String(255), nullable=False),
    *_serial(),
    sa.UniqueConstraint("object_id", name="slug_U_1"),
    sa.UniqueConstraint("slug", name="slug_U_2"),
)

property_ = _table(
    "property",
    sa.Column("object_id", sa.Integer, nullable=False),
    sa.Column("scope", sa.String(1024)),
    sa.Column("name", sa.String(1024)),
    sa.Column("source_culture", Culture, nullable=False),
    *_serial(),
    sa.Index("property_FI_1", "object_id"),
)

property_i18n = _i18n("property_i18n", sa.Column("value", sa.Text))

digital_object = _table(
    "digital_object",
    _object_id_pk(),
    sa.Column("object_id", sa.Integer),
    sa.Column("usage_id", sa.Integer),
    sa.Column("mime_type", sa.String(255)),
    sa.Column("media_type_id", sa.Integer),
    sa.Column("name", sa.String(1024), nullable=False),
    sa.Column("path", sa.String(1024), nullable=False),
    sa.Column("sequence", sa.Integer),
    sa.Column("byte_size", sa.BigInteger),
    sa.Column("checksum", sa.String(255)),
    sa.Column("checksum_type", sa.String(50)),
    sa.Column("parent_id", sa.Integer),
    sa.Index("digital_object_FI_2", "object_id"),
    sa.Index("digital_object_FI_5", "parent_id"),
)

relation = _table(
    "relation",
    _object_id_pk(),
    sa.Column("subject_id", sa.Integer, nullable=False),
    sa.Column("object_id", sa.Integer, nullable=False),
    sa.Column("type_id", sa.Integer),
    sa.Column("start_date", AtomDate),
    sa.Column("end_date", AtomDate),
    sa.Column("source_culture", Culture, nullable=False),
    sa.Index("relation_FI_2", "subject_id"),
    sa.Index("relation_FI_3", "object_id"),
)

status = _table(
    "status",
    sa.Column("object_id", sa.Integer, nullable=False),
    sa.Column("type_id", sa.Integer),
    sa.Column("status_id", sa.Integer),
    *_serial(),
    sa.Index("status_FI_1", "object_id"),
)

note = _table(
    "note",
    sa.Column("object_id", sa.Integer, nullable=False),
    sa.Column("type_id", sa.Integer),
    sa.Column("scope", sa.String(1024)),
    sa.Column("user_id", sa.Integer),
    sa.Column("source_culture", Culture, nullable=False),
    *_serial(),
    sa.Index("note_FI_1", "object_id"),
    sa.Index("note_FI_2", "type_id"),
)

note_i18n = _i18n("note_i18n", sa.Column("content", sa.Text))

other_name = _table(
    "other_name",
    sa.Column("object_id", sa.Integer, nullable=False),
    sa.Column("type_id", sa.Integer),
    sa.Column("start_date", AtomDate),
    sa.Column("end_date", AtomDate),
    sa.Column("source_culture", Culture, nullable=False),
    *_serial(),
    sa.Index("other_name_FI_1", "object_id"),
)

other_name_i18n = _i18n(
    "other_name_i18n",
    sa.Column("name", sa.String(1024)),
    sa.Column("note", sa.String(1024)),
    sa.Column("dates", sa.Text),
)

setting = _table(
    "setting",
    sa.Column("name", sa.String(255)),
    sa.Column("scope", sa.String(255)),
    sa.Column("editable", sa.SmallInteger, server_default="0"),
    sa.Column("deleteable", sa.SmallInteger, server_default="0"),
    sa.Column("source_culture", Culture, nullable=False),
    *_serial(),
)

setting_i18n = _i18n("setting_i18n", sa.Column("value", sa.Text))

# Tables whose ids come from their own AUTO_INCREMENT/SERIAL rather than object.id
SERIAL_TABLES = (
    "object",
    "contact_information",
    "slug",
    "property",
    "status",
    "note",
    "other_name",
    "setting",
)

CATALOGUE_TABLES: tuple[str, ...] = tuple(metadata.tables)

# Heratio's own catalogue-side tables that the reader uses when a site has them (its install
# SQL creates them; AtoM has none): exhibition placements (packages/ahg-exhibition) and the
# audit log that records who created a description (database/core/00_core_schema.sql). Only
# the columns the pipeline reads or the sample fills are declared.
exhibition = _table(
    "exhibition",
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("slug", sa.String(255), unique=True),
    sa.Column("status", sa.String(99), server_default="concept"),
    sa.Column("created_at", sa.DateTime),
)

exhibition_object = _table(
    "exhibition_object",
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("exhibition_id", sa.Integer, nullable=False),
    sa.Column("information_object_id", sa.Integer, nullable=False),
    sa.Column("sequence_order", sa.Integer, server_default="0"),
    sa.Column("status", sa.String(78), server_default="proposed"),
    sa.Index("idx_exobj_exhibition", "exhibition_id"),
    sa.Index("idx_exobj_object", "information_object_id"),
)

security_audit_log = _table(
    "security_audit_log",
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("object_id", sa.Integer),
    sa.Column("object_type", sa.String(50), server_default="information_object"),
    sa.Column("user_id", sa.Integer),
    sa.Column("user_name", sa.String(255)),
    sa.Column("action", sa.String(100), nullable=False),
    sa.Column("action_category", sa.String(50), server_default="access"),
    sa.Column("created_at", sa.DateTime),
    sa.Index("idx_security_audit_log_object", "object_id"),
)

HERATIO_CATALOGUE_TABLES: tuple[str, ...] = (
    "exhibition",
    "exhibition_object",
    "security_audit_log",
)


def create_catalogue_tables(engine: sa.Engine, tables: Iterable[str] | None = None) -> list[str]:
    """Create the AtoM tables that are missing (sample archives and tests); returns those created.

    ``tables`` defaults to AtoM's own; Heratio's (``HERATIO_CATALOGUE_TABLES``) only when named.
    Existing tables are left exactly as they are: this never alters a catalogue.
    """
    wanted = [metadata.tables[name] for name in (tables or CATALOGUE_TABLES)]
    with engine.begin() as conn:
        existing = set(sa.inspect(conn).get_table_names())
        missing = [t for t in wanted if t.name not in existing]
        metadata.create_all(conn, tables=missing, checkfirst=True)
    return [t.name for t in missing]
