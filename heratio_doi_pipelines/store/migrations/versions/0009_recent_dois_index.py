"""Index for the dashboard's newest DOIs.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

The DOI dashboard lists the ten most recently created DOIs; ordered by ``created_at`` it read
and sorted every ``ahg_doi`` row, with this index it reads ten entries from the index's end.
Additive: Heratio ignores it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from heratio_doi_pipelines.store.migrations.adoption import add_missing_indexes
from heratio_doi_pipelines.store.types import DateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "idx_ahg_doi_created"


def upgrade() -> None:
    add_missing_indexes(
        sa.Table(
            "ahg_doi",
            sa.MetaData(),
            sa.Column("id", sa.Integer),
            sa.Column("created_at", DateTime),
            sa.Index(_INDEX, "created_at", "id"),
        )
    )


def downgrade() -> None:
    if _INDEX in {ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes("ahg_doi")}:
        op.drop_index(_INDEX, table_name="ahg_doi")
