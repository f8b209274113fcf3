"""Add the pipeline's table of DataCite request budgets, one row per API host.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

Every worker pointing at this database (any number of ``heratio-doi process`` processes and
Dagster runs, on one machine or many) draws its DataCite requests from the row of the API host,
so all of them together stay under DataCite's per-IP limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from heratio_doi_pipelines.store.migrations.adoption import TableSpec, create_or_adopt

revision: str = "0008"
down_revision: str | None = "0007"
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
                "heratio_doi_rate_budget",
                m,
                sa.Column("api_host", sa.String(255), primary_key=True),
                sa.Column("next_slot_at", sa.Double(), nullable=False),
                sa.Column("paused_until", sa.Double(), nullable=False),
                **_MYSQL,
            )
        ),
    ]


def upgrade() -> None:
    create_or_adopt(_specs())


def downgrade() -> None:
    if "heratio_doi_rate_budget" in set(sa.inspect(op.get_bind()).get_table_names()):
        op.drop_table("heratio_doi_rate_budget")
