"""Create-or-adopt steps for migrations: Heratio's own tables may already be there.

A table that exists is adopted: the pipeline adds only its own additive columns and the
indexes it owns, and refuses (before changing anything) when a Heratio column it needs is
missing, since it never alters Heratio's columns. Every step refuses a table that is not
one of the pipeline's own (ahg_*, heratio_doi_*): the catalogue beside them is never touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from alembic import op

from heratio_doi_pipelines.store.errors import IncompatibleTableError, require_pipeline_table


@dataclass(frozen=True)
class TableSpec:
    """A table as a migration wants it, and which of its columns may be added to an existing one."""

    table: sa.Table
    additive: frozenset[str] = field(default_factory=frozenset)

    def required_columns(self) -> list[str]:
        return [c.name for c in self.table.columns if c.name not in self.additive]


def create_or_adopt(specs: Sequence[TableSpec]) -> None:
    """Create missing tables; on existing ones add missing additive columns and owned indexes.

    Every existing table is checked first, so a refusal leaves the database untouched
    (SQLite does not roll DDL back).
    """
    for spec in specs:
        require_pipeline_table(spec.table.name)
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    existing = set(inspector.get_table_names())
    missing: list[tuple[str, str]] = []
    for spec in specs:
        if spec.table.name in existing:
            present = {c["name"] for c in inspector.get_columns(spec.table.name)}
            missing += [(spec.table.name, c) for c in spec.required_columns() if c not in present]
    if missing:
        raise IncompatibleTableError(missing)
    for spec in specs:
        if spec.table.name not in existing:
            spec.table.create(bind)
            continue
        additive = [c for c in spec.table.columns if c.name in spec.additive]
        add_missing_columns(spec.table.name, additive)
        add_missing_indexes(spec.table)


def add_missing_columns(table_name: str, columns: Iterable[sa.Column]) -> list[str]:
    """Add the given nullable (or defaulted) columns that the table lacks; returns their names."""
    require_pipeline_table(table_name)
    present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table_name)}
    added = []
    for column in columns:
        if column.name in present:
            continue
        op.add_column(table_name, _detached(column))
        added.append(column.name)
    return added


def add_missing_indexes(table: sa.Table) -> list[str]:
    """Create the table's indexes unless one with the same name or the same columns exists.

    Heratio names its indexes differently (``idx_status``); an equivalent one is not duplicated.
    """
    require_pipeline_table(table.name)
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    indexes = inspector.get_indexes(table.name)
    names = {ix["name"] for ix in indexes}
    covered = {tuple(ix["column_names"]) for ix in indexes}
    covered |= {tuple(uc["column_names"]) for uc in inspector.get_unique_constraints(table.name)}
    created = []
    for index in sorted(table.indexes, key=lambda ix: str(ix.name)):
        columns = tuple(c.name for c in index.columns)
        if index.name in names or columns in covered:
            continue
        index.create(bind)
        created.append(str(index.name))
    return created


def _detached(column: sa.Column) -> sa.Column:
    """A copy of a column not bound to any table, as ``op.add_column`` needs."""
    default = column.server_default
    server_default = default.arg if isinstance(default, sa.DefaultClause) else None
    return sa.Column(
        column.name,
        column.type,
        nullable=column.nullable,
        server_default=server_default,  # type: ignore[arg-type]
    )
