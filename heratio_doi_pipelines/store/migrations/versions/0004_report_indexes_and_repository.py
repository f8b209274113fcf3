"""Add the report indexes and the holding repository stored with each DOI.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27

The by-repository report groups ``ahg_doi`` on ``repository_id`` alone (a pipeline
column, written when the pipeline reserves or changes a DOI) instead of joining a
million DOI rows to the catalogue and walking the tree; the monthly report counts one
log action per month from an index. Both changes are additive: Heratio ignores them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from heratio_doi_pipelines.store.migrations.adoption import (
    add_missing_columns,
    add_missing_indexes,
)
from heratio_doi_pipelines.store.types import DateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = {
    "ahg_doi": [
        "idx_ahg_doi_status_record",
        "idx_ahg_doi_repository_status_record",
    ],
    "ahg_doi_log": ["idx_ahg_doi_log_action_performed"],
}


def _tables() -> list[sa.Table]:
    """Only the columns and indexes this revision adds (the tables exist since 0001)."""
    m = sa.MetaData()
    return [
        sa.Table(
            "ahg_doi",
            m,
            sa.Column("information_object_id", sa.Integer),
            sa.Column("status", sa.String(20)),
            sa.Column("repository_id", sa.Integer, nullable=True),
            sa.Index("idx_ahg_doi_status_record", "status", "information_object_id"),
            sa.Index(
                "idx_ahg_doi_repository_status_record",
                "repository_id",
                "status",
                "information_object_id",
            ),
        ),
        sa.Table(
            "ahg_doi_log",
            m,
            sa.Column("action", sa.String(50)),
            sa.Column("performed_at", DateTime),
            sa.Column("status_after", sa.String(50)),
            sa.Index("idx_ahg_doi_log_action_performed", "action", "performed_at", "status_after"),
        ),
    ]


def upgrade() -> None:
    doi, log = _tables()
    add_missing_columns(doi.name, [doi.c.repository_id])
    add_missing_indexes(doi)
    add_missing_indexes(log)


def downgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    for table, names in _INDEXES.items():
        present = {ix["name"] for ix in inspector.get_indexes(table)}
        for name in names:
            if name in present:
                op.drop_index(name, table_name=table)
    # A pipeline column: dropping it loses nothing of Heratio's (SQLite 3.35+ drops in place).
    if "repository_id" in {c["name"] for c in inspector.get_columns("ahg_doi")}:
        op.drop_column("ahg_doi", "repository_id")
