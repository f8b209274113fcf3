"""One open queue item per record and action, kept by the database.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

Adds the generated pipeline column ``ahg_doi_queue.open_action`` (the pipeline action while
an item is open, NULL once it is completed or failed and on Heratio's own rows) and a unique
index over ``(information_object_id, open_action)``: a second open item for a record and
action is refused by the database, so concurrent enqueues cannot both insert one. MariaDB has
no partial indexes; NULLs never collide in a unique index on any of the three backends, which
gives the same effect. Heratio's rows (no ``pipeline_action``) stay outside the index, so
Heratio's own screens insert exactly as before.

Open duplicates that an earlier enqueue left (two concurrent enqueues could both insert) are
closed first, keeping the one a worker holds, else the oldest, so the index can be built.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from heratio_doi_pipelines.clock import utcnow
from heratio_doi_pipelines.store.errors import require_pipeline_table
from heratio_doi_pipelines.store.types import DateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "ahg_doi_queue"
COLUMN = "open_action"
INDEX = "uq_ahg_doi_queue_open_item"
# Frozen here as this revision adds it (the tables module may move on).
_OPEN_ACTION = "CASE WHEN status IN ('completed', 'failed') THEN NULL ELSE pipeline_action END"
_CLOSED = ("completed", "failed")
_IN_FLIGHT = ("processing", "in_progress")


def _queue() -> sa.Table:
    return sa.Table(
        TABLE,
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("information_object_id", sa.Integer),
        sa.Column("status", sa.String(20)),
        sa.Column("pipeline_action", sa.String(20)),
        sa.Column("last_error", sa.Text),
        sa.Column("completed_at", DateTime),
    )


def close_open_duplicates(bind: sa.Connection) -> int:
    """Close all but one open pipeline item per record and action; returns how many."""
    q = _queue()
    rows = bind.execute(
        sa.select(q.c.id, q.c.information_object_id, q.c.pipeline_action, q.c.status)
        .where(q.c.pipeline_action.is_not(None), q.c.status.not_in(_CLOSED))
        .order_by(q.c.id)
    ).all()
    groups: dict[tuple[int, str], list[sa.Row]] = {}
    for row in rows:
        groups.setdefault((row.information_object_id, row.pipeline_action), []).append(row)
    now = utcnow()
    closed = 0
    for items in groups.values():
        if len(items) < 2:
            continue
        keep = min(items, key=lambda r: (r.status not in _IN_FLIGHT, r.id))
        for row in items:
            if row.id == keep.id:
                continue
            bind.execute(
                q.update()
                .where(q.c.id == row.id)
                .values(
                    status="completed",
                    completed_at=now,
                    last_error=f"closed as a duplicate of open queue item {keep.id}",
                )
            )
            closed += 1
    return closed


def upgrade() -> None:
    require_pipeline_table(TABLE)
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    if COLUMN not in {c["name"] for c in inspector.get_columns(TABLE)}:
        close_open_duplicates(bind)
        # Virtual on SQLite (the only kind it can add) and MariaDB, stored on PostgreSQL.
        op.add_column(
            TABLE, sa.Column(COLUMN, sa.String(20), sa.Computed(_OPEN_ACTION), nullable=True)
        )
    if INDEX not in {ix["name"] for ix in sa.inspect(bind).get_indexes(TABLE)}:
        op.create_index(INDEX, TABLE, ["information_object_id", COLUMN], unique=True)


def downgrade() -> None:
    bind = op.get_bind()
    if INDEX in {ix["name"] for ix in sa.inspect(bind).get_indexes(TABLE)}:
        op.drop_index(INDEX, table_name=TABLE)
    if COLUMN in {c["name"] for c in sa.inspect(bind).get_columns(TABLE)}:
        op.drop_column(TABLE, COLUMN)
