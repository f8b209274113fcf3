"""Heratio's ahg_* tables, with the same names and columns as Heratio's install SQL.

Columns the pipeline adds beyond Heratio's are nullable and marked "pipeline" below; the
pipeline never alters or drops a Heratio column, so Heratio's own screens keep working on
the same database.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# Portable string enums: VARCHAR everywhere (Heratio's MySQL ENUM columns are adopted as-is).
DOI_STATES = ("draft", "registered", "findable", "failed", "deleted", "tombstone")
QUEUE_ACTIONS = ("mint", "update", "delete", "verify")
QUEUE_STATES = ("pending", "processing", "completed", "failed")
EVENT_STATES = ("pending", "sent", "failed")

JSONText = sa.JSON().with_variant(sa.Text(), "sqlite")


def _now() -> sa.sql.elements.ColumnElement:
    return sa.func.current_timestamp()


ahg_doi = sa.Table(
    "ahg_doi",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("information_object_id", sa.Integer, nullable=False, unique=True),
    sa.Column("doi", sa.String(255), nullable=False, unique=True),
    sa.Column("doi_url", sa.String(300), sa.Computed("'https://doi.org/' || doi")),
    sa.Column("status", sa.String(20), nullable=False, server_default="draft"),
    sa.Column("minted_at", sa.DateTime, nullable=True),
    sa.Column("minted_by", sa.Integer, nullable=True),
    sa.Column("updated_at", sa.DateTime, nullable=True),
    sa.Column("datacite_response", sa.JSON, nullable=True),
    sa.Column("metadata_json", sa.JSON, nullable=True),
    sa.Column("last_sync_at", sa.DateTime, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=True, server_default=_now()),
    # pipeline: the DOI string was reserved (stored) before the first DataCite call
    sa.Column("reserved_at", sa.DateTime, nullable=True),
    # pipeline: DataCite confirmed the DOI exists (None while only reserved locally)
    sa.Column("confirmed_at", sa.DateTime, nullable=True),
    # pipeline: sha256 of the last payload DataCite accepted, to skip unchanged updates
    sa.Column("payload_hash", sa.String(64), nullable=True),
    # pipeline: DataCite's own state as last seen (draft/registered/findable)
    sa.Column("datacite_state", sa.String(20), nullable=True),
    # pipeline: the URL DataCite holds for the DOI as last sent/seen
    sa.Column("url", sa.String(1024), nullable=True),
    # pipeline: the last permanent/transient error for a failed DOI
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Index("idx_ahg_doi_status", "status"),
    sa.Index("idx_ahg_doi_minted_at", "minted_at"),
)

ahg_doi_queue = sa.Table(
    "ahg_doi_queue",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("information_object_id", sa.Integer, nullable=False),
    sa.Column("action", sa.String(20), nullable=False, server_default="mint"),
    sa.Column("status", sa.String(20), nullable=False, server_default="pending"),
    sa.Column("priority", sa.Integer, nullable=False, server_default="100"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("max_attempts", sa.Integer, nullable=False, server_default="3"),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("scheduled_at", sa.DateTime, nullable=True),
    sa.Column("started_at", sa.DateTime, nullable=True),
    sa.Column("completed_at", sa.DateTime, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=True, server_default=_now()),
    # pipeline: full action name (deactivate, reinstate, sync) where Heratio's enum has none
    sa.Column("pipeline_action", sa.String(20), nullable=True),
    # pipeline: target DataCite state of a mint (findable, registered, draft)
    sa.Column("target_state", sa.String(20), nullable=True),
    # pipeline: the claiming worker and when its claim lapses
    sa.Column("claimed_by", sa.String(100), nullable=True),
    sa.Column("lease_expires_at", sa.DateTime, nullable=True),
    sa.Index("idx_ahg_doi_queue_status", "status", "scheduled_at"),
    sa.Index("idx_ahg_doi_queue_io", "information_object_id"),
)

ahg_doi_log = sa.Table(
    "ahg_doi_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("doi_id", sa.Integer, nullable=True),
    sa.Column("information_object_id", sa.Integer, nullable=True),
    sa.Column("action", sa.String(50), nullable=False),
    sa.Column("status_before", sa.String(50), nullable=True),
    sa.Column("status_after", sa.String(50), nullable=True),
    sa.Column("details", sa.JSON, nullable=True),
    sa.Column("performed_by", sa.Integer, nullable=True),
    sa.Column("performed_at", sa.DateTime, nullable=True, server_default=_now()),
    sa.Index("idx_ahg_doi_log_doi", "doi_id"),
    sa.Index("idx_ahg_doi_log_performed", "performed_at", "action"),
)

ahg_doi_config = sa.Table(
    "ahg_doi_config",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("repository_id", sa.Integer, nullable=True, unique=True),
    sa.Column("datacite_repo_id", sa.String(100), nullable=True),
    sa.Column("datacite_prefix", sa.String(50), nullable=True),
    sa.Column("datacite_password", sa.String(255), nullable=True),
    sa.Column("datacite_url", sa.String(255), nullable=True),
    sa.Column("environment", sa.String(20), nullable=False, server_default="test"),
    sa.Column("auto_mint", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("auto_mint_levels", sa.JSON, nullable=True),
    sa.Column("require_digital_object", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("default_publisher", sa.String(255), nullable=True),
    sa.Column("default_resource_type", sa.String(50), nullable=True, server_default="Text"),
    sa.Column(
        "suffix_pattern",
        sa.String(100),
        nullable=True,
        server_default="{repository_code}/{year}/{object_id}",
    ),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", sa.DateTime, nullable=True, server_default=_now()),
    sa.Column("updated_at", sa.DateTime, nullable=True),
)

ahg_doi_mapping = sa.Table(
    "ahg_doi_mapping",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("repository_id", sa.Integer, nullable=True),
    sa.Column("datacite_field", sa.String(100), nullable=False),
    sa.Column("source_type", sa.String(20), nullable=False),
    sa.Column("source_value", sa.String(255), nullable=True),
    sa.Column("transformation", sa.String(100), nullable=True),
    sa.Column("is_required", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("fallback_value", sa.String(255), nullable=True),
    sa.Column("sort_order", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", sa.DateTime, nullable=True, server_default=_now()),
)

ahg_settings = sa.Table(
    "ahg_settings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("setting_key", sa.String(100), nullable=False, unique=True),
    sa.Column("setting_value", sa.Text, nullable=True),
    sa.Column("setting_type", sa.String(20), nullable=True, server_default="string"),
    sa.Column("setting_group", sa.String(50), nullable=True, server_default="general"),
    sa.Column("description", sa.String(255), nullable=True),
    sa.Column("is_sensitive", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("is_locked", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("updated_by", sa.Integer, nullable=True),
    sa.Column("updated_at", sa.DateTime, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=True, server_default=_now()),
)

ahg_datacite_event = sa.Table(
    "ahg_datacite_event",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("dedupe_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("subj_id", sa.String(255), nullable=False),
    sa.Column("relation_type_id", sa.String(100), nullable=False),
    sa.Column("obj_id", sa.String(1024), nullable=True),
    sa.Column("obj_id_type", sa.String(50), nullable=True),
    sa.Column("source_id", sa.String(100), nullable=False, server_default="heratio-archive"),
    sa.Column("source_token", sa.String(255), nullable=True),
    sa.Column("payload_json", sa.JSON, nullable=True),
    sa.Column("response_status", sa.Integer, nullable=True),
    sa.Column("response_body", sa.Text, nullable=True),
    sa.Column("state", sa.String(20), nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("submitted_at", sa.DateTime, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=True, server_default=_now()),
    sa.Column("updated_at", sa.DateTime, nullable=True),
    # pipeline: aggregated usage total, day of the usage, next retry time
    sa.Column("total", sa.Integer, nullable=True),
    sa.Column("occurred_at", sa.DateTime, nullable=True),
    sa.Column("scheduled_at", sa.DateTime, nullable=True),
    sa.Index("idx_ahg_datacite_event_state", "state"),
)

ahg_io_funding = sa.Table(
    "ahg_io_funding",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("information_object_id", sa.Integer, nullable=False),
    sa.Column("funder_name", sa.String(255), nullable=False),
    sa.Column("funder_identifier", sa.String(255), nullable=True),
    sa.Column("funder_identifier_type", sa.String(50), nullable=True),
    sa.Column("award_number", sa.String(255), nullable=True),
    sa.Column("award_uri", sa.String(1024), nullable=True),
    sa.Column("award_title", sa.String(1024), nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=True, server_default=_now()),
    sa.Column("updated_at", sa.DateTime, nullable=True),
    sa.Index("idx_ahg_io_funding_io", "information_object_id"),
)

ahg_actor_identifier = sa.Table(
    "ahg_actor_identifier",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("actor_id", sa.Integer, nullable=False),
    sa.Column("identifier_type", sa.String(50), nullable=False),
    sa.Column("identifier_value", sa.String(255), nullable=False),
    sa.Column("uri", sa.String(1024), nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=True, server_default=_now()),
    sa.Column("updated_at", sa.DateTime, nullable=True),
    sa.UniqueConstraint("actor_id", "identifier_type", name="uq_ahg_actor_identifier"),
)

ahg_io_geolocation = sa.Table(
    "ahg_io_geolocation",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("information_object_id", sa.Integer, nullable=False, unique=True),
    sa.Column("latitude", sa.Numeric(10, 7), nullable=True),
    sa.Column("longitude", sa.Numeric(10, 7), nullable=True),
    sa.Column("place_name", sa.String(255), nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=True, server_default=_now()),
    sa.Column("updated_at", sa.DateTime, nullable=True),
)

# Heratio's service reads this coordinates sidecar although its install never creates it;
# the pipeline reads it when present and never requires it.
ahg_place_coords = sa.Table(
    "ahg_place_coords",
    metadata,
    sa.Column("term_id", sa.Integer, primary_key=True),
    sa.Column("latitude", sa.Numeric(10, 7), nullable=True),
    sa.Column("longitude", sa.Numeric(10, 7), nullable=True),
    sa.Column("box_west", sa.Numeric(10, 7), nullable=True),
    sa.Column("box_east", sa.Numeric(10, 7), nullable=True),
    sa.Column("box_south", sa.Numeric(10, 7), nullable=True),
    sa.Column("box_north", sa.Numeric(10, 7), nullable=True),
    sa.Column("polygon_json", sa.Text, nullable=True),
)

# The tables every entry point needs before it can do anything.
CORE_TABLES = ("ahg_doi", "ahg_doi_queue", "ahg_doi_log")
