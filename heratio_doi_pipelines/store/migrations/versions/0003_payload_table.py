"""Add the pipeline's table of validated metadata payloads.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

The ``doi_metadata_payloads`` asset stores here what it built and validated, so that the
mint and update steps send exactly that payload while the record is unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from heratio_doi_pipelines.store.migrations.adoption import TableSpec, create_or_adopt
from heratio_doi_pipelines.store.types import DateTime

revision: str = "0003"
down_revision: str | None = "0002"
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
                "heratio_doi_payload",
                m,
                sa.Column(
                    "information_object_id", sa.Integer, primary_key=True, autoincrement=False
                ),
                sa.Column("doi", sa.String(255), nullable=False),
                sa.Column("source_fingerprint", sa.String(64), nullable=False),
                sa.Column("payload_hash", sa.String(64), nullable=False),
                sa.Column("target_state", sa.String(20), nullable=False),
                sa.Column("attributes", sa.JSON, nullable=False),
                sa.Column("xml", sa.Text, nullable=True),
                sa.Column("warnings", sa.JSON, nullable=True),
                sa.Column("errors", sa.JSON, nullable=True),
                sa.Column("built_at", DateTime, nullable=False),
                **_MYSQL,
            )
        ),
    ]


def upgrade() -> None:
    create_or_adopt(_specs())


def downgrade() -> None:
    if "heratio_doi_payload" in set(sa.inspect(op.get_bind()).get_table_names()):
        op.drop_table("heratio_doi_payload")
