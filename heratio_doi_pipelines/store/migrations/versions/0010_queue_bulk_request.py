"""Queue items that ask for the bulk budget.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10

Adds the nullable pipeline column ``ahg_doi_queue.bulk``: an item queued with ``bulk`` true
(``sync --repair`` queues the re-sending of outdated metadata so) asks that the batch running
it use the bulk budget, as the launchpad's ``bulk: true`` asks for a whole run. Heratio's own
rows leave it NULL, which asks for nothing. Additive: Heratio ignores it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from heratio_doi_pipelines.store.migrations.adoption import add_missing_columns

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "ahg_doi_queue"
COLUMN = "bulk"


def upgrade() -> None:
    add_missing_columns(TABLE, [sa.Column(COLUMN, sa.Boolean, nullable=True)])


def downgrade() -> None:
    # A pipeline column: dropping it loses nothing of Heratio's (SQLite 3.35+ drops in place).
    if COLUMN in {c["name"] for c in sa.inspect(op.get_bind()).get_columns(TABLE)}:
        op.drop_column(TABLE, COLUMN)
