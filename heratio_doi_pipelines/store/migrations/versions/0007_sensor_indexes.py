"""Indexes for the queue sensor: due items per action, and the latest completion.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

The pending-queue sensor counts due items of each action up to a cap and reads the newest
completion on every tick; with these indexes each of its queries reads a bounded number of
index entries, so a tick costs the same with a thousand or a million items queued. Additive:
Heratio ignores them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from heratio_doi_pipelines.store.migrations.adoption import add_missing_indexes
from heratio_doi_pipelines.store.types import DateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = ("idx_ahg_doi_queue_due", "idx_ahg_doi_queue_completed")


def _queue() -> sa.Table:
    """Only the columns and indexes this revision adds (the table exists since 0001)."""
    return sa.Table(
        "ahg_doi_queue",
        sa.MetaData(),
        sa.Column("status", sa.String(20)),
        sa.Column("pipeline_action", sa.String(20)),
        sa.Column("action", sa.String(20)),
        sa.Column("scheduled_at", DateTime),
        sa.Column("completed_at", DateTime),
        sa.Index("idx_ahg_doi_queue_due", "status", "pipeline_action", "action", "scheduled_at"),
        sa.Index("idx_ahg_doi_queue_completed", "completed_at"),
    )


def upgrade() -> None:
    add_missing_indexes(_queue())


def downgrade() -> None:
    present = {ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes("ahg_doi_queue")}
    for name in _INDEXES:
        if name in present:
            op.drop_index(name, table_name="ahg_doi_queue")
