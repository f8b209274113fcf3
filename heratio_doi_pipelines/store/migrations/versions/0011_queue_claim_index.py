"""Index for claiming queue items in queue order.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

A claim takes the first due items in queue order (priority first, then the oldest). Without
an index in that order the database sorted every pending item on every claim: 0.66 s per
claim with a million items queued on SQLite. With it a claim reads a chunk's worth of index
entries. Additive: Heratio ignores it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from heratio_doi_pipelines.store.migrations.adoption import add_missing_indexes
from heratio_doi_pipelines.store.types import DateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "idx_ahg_doi_queue_claim"


def upgrade() -> None:
    queue = sa.Table(
        "ahg_doi_queue",
        sa.MetaData(),
        sa.Column("id", sa.Integer),
        sa.Column("status", sa.String(20)),
        sa.Column("priority", sa.Integer),
        sa.Column("scheduled_at", DateTime),
    )
    sa.Index(_INDEX, queue.c.status, queue.c.priority.desc(), queue.c.scheduled_at, queue.c.id)
    add_missing_indexes(queue)


def downgrade() -> None:
    if _INDEX in {ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes("ahg_doi_queue")}:
        op.drop_index(_INDEX, table_name="ahg_doi_queue")
