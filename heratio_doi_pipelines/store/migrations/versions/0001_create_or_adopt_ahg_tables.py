"""Create the ahg_* tables, or adopt the ones Heratio's install SQL already made.

Revision ID: 0001
Revises:
Create Date: 2026-05-20

The schema is frozen here as of this revision (later changes go in later revisions), so
this file does not import store/tables.py. For a table that already exists, only the
columns listed as additive are added when missing; any other missing column is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from heratio_doi_pipelines.store.migrations.adoption import TableSpec, create_or_adopt
from heratio_doi_pipelines.store.types import DateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# MySQL/MariaDB: the same engine and character set as Heratio's install SQL.
_MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}


def _now() -> sa.sql.elements.ColumnElement:
    return sa.func.current_timestamp()


def _specs() -> list[TableSpec]:
    m = sa.MetaData()
    doi_url = sa.literal("https://doi.org/", sa.String) + sa.column("doi", sa.String)
    return [
        TableSpec(
            sa.Table(
                "ahg_doi",
                m,
                sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                sa.Column("information_object_id", sa.Integer, nullable=False, unique=True),
                sa.Column("doi", sa.String(255), nullable=False, unique=True),
                sa.Column("doi_url", sa.String(300), sa.Computed(doi_url, persisted=True)),
                sa.Column("status", sa.String(20), nullable=False, server_default="draft"),
                sa.Column("minted_at", DateTime, nullable=True),
                sa.Column("minted_by", sa.Integer, nullable=True),
                sa.Column("updated_at", DateTime, nullable=True),
                sa.Column("datacite_response", sa.JSON, nullable=True),
                sa.Column("metadata_json", sa.JSON, nullable=True),
                sa.Column("last_sync_at", DateTime, nullable=True),
                sa.Column("created_at", DateTime, nullable=True, server_default=_now()),
                sa.Column("reserved_at", DateTime, nullable=True),
                sa.Column("confirmed_at", DateTime, nullable=True),
                sa.Column("payload_hash", sa.String(64), nullable=True),
                sa.Column("datacite_state", sa.String(20), nullable=True),
                sa.Column("url", sa.String(1024), nullable=True),
                sa.Column("last_error", sa.Text, nullable=True),
                sa.Index("idx_ahg_doi_status", "status"),
                sa.Index("idx_ahg_doi_minted_at", "minted_at"),
                **_MYSQL,
            ),
            frozenset(
                {
                    "reserved_at",
                    "confirmed_at",
                    "payload_hash",
                    "datacite_state",
                    "url",
                    "last_error",
                }
            ),
        ),
        TableSpec(
            sa.Table(
                "ahg_doi_queue",
                m,
                sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                sa.Column("information_object_id", sa.Integer, nullable=False),
                sa.Column("action", sa.String(20), nullable=False, server_default="mint"),
                sa.Column("status", sa.String(20), nullable=False, server_default="pending"),
                sa.Column("priority", sa.Integer, nullable=False, server_default="100"),
                sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
                sa.Column("max_attempts", sa.Integer, nullable=False, server_default="3"),
                sa.Column("last_error", sa.Text, nullable=True),
                sa.Column("scheduled_at", DateTime, nullable=True),
                sa.Column("started_at", DateTime, nullable=True),
                sa.Column("completed_at", DateTime, nullable=True),
                sa.Column("created_at", DateTime, nullable=True, server_default=_now()),
                sa.Column("pipeline_action", sa.String(20), nullable=True),
                sa.Column("target_state", sa.String(20), nullable=True),
                sa.Column("claimed_by", sa.String(100), nullable=True),
                sa.Column("lease_expires_at", DateTime, nullable=True),
                sa.Index("idx_ahg_doi_queue_status", "status", "scheduled_at"),
                sa.Index("idx_ahg_doi_queue_io", "information_object_id"),
                **_MYSQL,
            ),
            frozenset({"pipeline_action", "target_state", "claimed_by", "lease_expires_at"}),
        ),
        TableSpec(
            sa.Table(
                "ahg_doi_log",
                m,
                sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                sa.Column("doi_id", sa.Integer, nullable=True),
                sa.Column("information_object_id", sa.Integer, nullable=True),
                sa.Column("action", sa.String(50), nullable=False),
                sa.Column("status_before", sa.String(50), nullable=True),
                sa.Column("status_after", sa.String(50), nullable=True),
                sa.Column("details", sa.JSON, nullable=True),
                sa.Column("performed_by", sa.Integer, nullable=True),
                sa.Column("performed_at", DateTime, nullable=True, server_default=_now()),
                sa.Index("idx_ahg_doi_log_doi", "doi_id"),
                sa.Index("idx_ahg_doi_log_performed", "performed_at", "action"),
                **_MYSQL,
            )
        ),
        TableSpec(
            sa.Table(
                "ahg_doi_config",
                m,
                sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                sa.Column("repository_id", sa.Integer, nullable=True, unique=True),
                sa.Column("datacite_repo_id", sa.String(100), nullable=True),
                sa.Column("datacite_prefix", sa.String(50), nullable=True),
                sa.Column("datacite_password", sa.String(255), nullable=True),
                sa.Column("datacite_url", sa.String(255), nullable=True),
                sa.Column("environment", sa.String(20), nullable=False, server_default="test"),
                sa.Column("auto_mint", sa.Boolean, nullable=False, server_default=sa.false()),
                sa.Column("auto_mint_levels", sa.JSON, nullable=True),
                sa.Column(
                    "require_digital_object",
                    sa.Boolean,
                    nullable=False,
                    server_default=sa.false(),
                ),
                sa.Column("default_publisher", sa.String(255), nullable=True),
                sa.Column(
                    "default_resource_type", sa.String(50), nullable=True, server_default="Text"
                ),
                sa.Column(
                    "suffix_pattern",
                    sa.String(100),
                    nullable=True,
                    server_default="{repository_code}/{year}/{object_id}",
                ),
                sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
                sa.Column("created_at", DateTime, nullable=True, server_default=_now()),
                sa.Column("updated_at", DateTime, nullable=True),
                **_MYSQL,
            )
        ),
        TableSpec(
            sa.Table(
                "ahg_doi_mapping",
                m,
                sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                sa.Column("repository_id", sa.Integer, nullable=True),
                sa.Column("datacite_field", sa.String(100), nullable=False),
                sa.Column("source_type", sa.String(20), nullable=False),
                sa.Column("source_value", sa.String(255), nullable=True),
                sa.Column("transformation", sa.String(100), nullable=True),
                sa.Column("is_required", sa.Boolean, nullable=False, server_default=sa.false()),
                sa.Column("fallback_value", sa.String(255), nullable=True),
                sa.Column("sort_order", sa.Integer, nullable=False, server_default="0"),
                sa.Column("created_at", DateTime, nullable=True, server_default=_now()),
                **_MYSQL,
            )
        ),
        TableSpec(
            sa.Table(
                "ahg_settings",
                m,
                sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                sa.Column("setting_key", sa.String(100), nullable=False, unique=True),
                sa.Column("setting_value", sa.Text, nullable=True),
                sa.Column("setting_type", sa.String(20), nullable=True, server_default="string"),
                sa.Column("setting_group", sa.String(50), nullable=True, server_default="general"),
                sa.Column("description", sa.String(255), nullable=True),
                sa.Column("is_sensitive", sa.Boolean, nullable=False, server_default=sa.false()),
                sa.Column("is_locked", sa.Boolean, nullable=False, server_default=sa.false()),
                sa.Column("updated_by", sa.Integer, nullable=True),
                sa.Column("updated_at", DateTime, nullable=True),
                sa.Column("created_at", DateTime, nullable=True, server_default=_now()),
                **_MYSQL,
            ),
            # Heratio's core install SQL has no is_locked column.
            frozenset({"is_locked"}),
        ),
        TableSpec(
            sa.Table(
                "ahg_datacite_event",
                m,
                sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                sa.Column("dedupe_hash", sa.String(64), nullable=False, unique=True),
                sa.Column("subj_id", sa.String(255), nullable=False),
                sa.Column("relation_type_id", sa.String(100), nullable=False),
                sa.Column("obj_id", sa.String(1024), nullable=True),
                sa.Column("obj_id_type", sa.String(50), nullable=True),
                sa.Column(
                    "source_id", sa.String(100), nullable=False, server_default="heratio-archive"
                ),
                sa.Column("source_token", sa.String(255), nullable=True),
                sa.Column("payload_json", sa.JSON, nullable=True),
                sa.Column("response_status", sa.Integer, nullable=True),
                sa.Column("response_body", sa.Text, nullable=True),
                sa.Column("state", sa.String(20), nullable=False, server_default="pending"),
                sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
                sa.Column("last_error", sa.Text, nullable=True),
                sa.Column("submitted_at", DateTime, nullable=True),
                sa.Column("created_at", DateTime, nullable=True, server_default=_now()),
                sa.Column("updated_at", DateTime, nullable=True),
                sa.Column("total", sa.Integer, nullable=True),
                sa.Column("occurred_at", DateTime, nullable=True),
                sa.Column("scheduled_at", DateTime, nullable=True),
                sa.Index("idx_ahg_datacite_event_state", "state"),
                **_MYSQL,
            ),
            frozenset({"total", "occurred_at", "scheduled_at"}),
        ),
        TableSpec(
            sa.Table(
                "ahg_io_funding",
                m,
                sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                sa.Column("information_object_id", sa.Integer, nullable=False),
                sa.Column("funder_name", sa.String(255), nullable=False),
                sa.Column("funder_identifier", sa.String(255), nullable=True),
                sa.Column("funder_identifier_type", sa.String(50), nullable=True),
                sa.Column("award_number", sa.String(255), nullable=True),
                sa.Column("award_uri", sa.String(1024), nullable=True),
                sa.Column("award_title", sa.String(1024), nullable=True),
                sa.Column("created_at", DateTime, nullable=True, server_default=_now()),
                sa.Column("updated_at", DateTime, nullable=True),
                sa.Index("idx_ahg_io_funding_io", "information_object_id"),
                **_MYSQL,
            )
        ),
        TableSpec(
            sa.Table(
                "ahg_actor_identifier",
                m,
                sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                sa.Column("actor_id", sa.Integer, nullable=False),
                sa.Column("identifier_type", sa.String(50), nullable=False),
                sa.Column("identifier_value", sa.String(255), nullable=False),
                sa.Column("uri", sa.String(1024), nullable=True),
                sa.Column("created_at", DateTime, nullable=True, server_default=_now()),
                sa.Column("updated_at", DateTime, nullable=True),
                sa.UniqueConstraint("actor_id", "identifier_type", name="uq_ahg_actor_identifier"),
                **_MYSQL,
            )
        ),
        TableSpec(
            sa.Table(
                "ahg_io_geolocation",
                m,
                sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                sa.Column("information_object_id", sa.Integer, nullable=False, unique=True),
                sa.Column("latitude", sa.Numeric(10, 7), nullable=True),
                sa.Column("longitude", sa.Numeric(10, 7), nullable=True),
                sa.Column("place_name", sa.String(255), nullable=True),
                sa.Column("created_at", DateTime, nullable=True, server_default=_now()),
                sa.Column("updated_at", DateTime, nullable=True),
                **_MYSQL,
            )
        ),
        TableSpec(
            sa.Table(
                "ahg_place_coords",
                m,
                sa.Column("term_id", sa.Integer, primary_key=True),
                sa.Column("latitude", sa.Numeric(10, 7), nullable=True),
                sa.Column("longitude", sa.Numeric(10, 7), nullable=True),
                sa.Column("box_west", sa.Numeric(10, 7), nullable=True),
                sa.Column("box_east", sa.Numeric(10, 7), nullable=True),
                sa.Column("box_south", sa.Numeric(10, 7), nullable=True),
                sa.Column("box_north", sa.Numeric(10, 7), nullable=True),
                sa.Column("polygon_json", sa.Text, nullable=True),
                **_MYSQL,
            ),
            # Heratio reads this table but never creates it: sites make their own, so only
            # the key is required.
            frozenset(
                {
                    "latitude",
                    "longitude",
                    "box_west",
                    "box_east",
                    "box_south",
                    "box_north",
                    "polygon_json",
                }
            ),
        ),
    ]


def upgrade() -> None:
    create_or_adopt(_specs())


def downgrade() -> None:
    # This revision may have adopted Heratio's own tables: dropping them would lose its data.
    raise RuntimeError("the initial ahg_* schema cannot be downgraded (tables may be Heratio's)")
