"""Add the pipeline's table of landing-page check results.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

``landing_page_health`` stores the last check of each DOI here (resolution, page answer,
problem, time checked), so a run that is interrupted resumes and the next one checks the
oldest results first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from heratio_doi_pipelines.store.migrations.adoption import TableSpec, create_or_adopt
from heratio_doi_pipelines.store.types import DateTime

revision: str = "0006"
down_revision: str | None = "0005"
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
                "heratio_doi_landing_check",
                m,
                sa.Column("doi_id", sa.Integer, primary_key=True, autoincrement=False),
                sa.Column("doi", sa.String(255), nullable=False),
                sa.Column("information_object_id", sa.Integer, nullable=True),
                sa.Column("status", sa.String(20), nullable=True),
                sa.Column("registered_url", sa.String(1024), nullable=True),
                sa.Column("handle_target", sa.String(1024), nullable=True),
                sa.Column("catalogue_url", sa.String(1024), nullable=True),
                sa.Column("http_status", sa.Integer, nullable=True),
                sa.Column("final_url", sa.String(1024), nullable=True),
                sa.Column("shows_doi", sa.Boolean, nullable=True),
                sa.Column("elapsed_ms", sa.Integer, nullable=True),
                sa.Column("problem", sa.String(40), nullable=True),
                sa.Column("detail", sa.Text, nullable=True),
                sa.Column("repair", sa.String(20), nullable=True),
                sa.Column("checked_at", DateTime, nullable=False),
                sa.Index("idx_heratio_doi_landing_check_checked", "checked_at"),
                **_MYSQL,
            )
        ),
    ]


def upgrade() -> None:
    create_or_adopt(_specs())


def downgrade() -> None:
    if "heratio_doi_landing_check" in set(sa.inspect(op.get_bind()).get_table_names()):
        op.drop_table("heratio_doi_landing_check")
