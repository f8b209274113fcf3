"""Add the pipeline's own usage tables (daily counts per source, monthly COUNTER reports).

Revision ID: 0002
Revises: 0001
Create Date: 2026-05-20

Heratio has no such tables; they are created when missing and adopted when present.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from heratio_doi_pipelines.store.migrations.adoption import TableSpec, create_or_adopt
from heratio_doi_pipelines.store.types import DateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}


def _specs() -> list[TableSpec]:
    m = sa.MetaData()
    return [
        TableSpec(
            sa.Table(
                "heratio_doi_usage_count",
                m,
                sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                sa.Column("source_key", sa.String(80), nullable=False),
                sa.Column("doi", sa.String(255), nullable=False),
                sa.Column("kind", sa.String(20), nullable=False),
                sa.Column("day", sa.Date, nullable=False),
                sa.Column("total", sa.Integer, nullable=False, server_default="0"),
                sa.Column("unique_total", sa.Integer, nullable=False, server_default="0"),
                sa.Column("updated_at", DateTime, nullable=True),
                sa.UniqueConstraint(
                    "source_key", "doi", "kind", "day", name="uq_heratio_doi_usage_count"
                ),
                sa.Index("idx_heratio_doi_usage_count_day", "day", "doi"),
                **_MYSQL,
            )
        ),
        TableSpec(
            sa.Table(
                "heratio_doi_usage_report",
                m,
                sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                sa.Column("month", sa.String(7), nullable=False, unique=True),
                sa.Column("report_id", sa.String(36), nullable=False, unique=True),
                sa.Column("status", sa.String(20), nullable=False, server_default="built"),
                sa.Column("datasets", sa.Integer, nullable=True),
                sa.Column("payload_hash", sa.String(64), nullable=True),
                sa.Column("response_status", sa.Integer, nullable=True),
                sa.Column("last_error", sa.Text, nullable=True),
                sa.Column("submitted_at", DateTime, nullable=True),
                sa.Column("checked_at", DateTime, nullable=True),
                sa.Column(
                    "created_at",
                    DateTime,
                    nullable=True,
                    server_default=sa.func.current_timestamp(),
                ),
                sa.Column("updated_at", DateTime, nullable=True),
                **_MYSQL,
            )
        ),
    ]


def upgrade() -> None:
    create_or_adopt(_specs())


def downgrade() -> None:
    # Only the pipeline uses these tables: dropping them loses nothing of Heratio's.
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    for table in ("heratio_doi_usage_report", "heratio_doi_usage_count"):
        if table in existing:
            op.drop_table(table)
