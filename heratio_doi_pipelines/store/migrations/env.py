"""Alembic environment for the ahg_* tables.

``init_database`` hands over an open connection in ``config.attributes["connection"]``; a
developer running Alembic directly gets ``sqlalchemy.url`` or ``HERATIO_DOI_DB_URL``.
Autogenerate only ever looks at the ahg_* tables, never at the catalogue beside them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from heratio_doi_pipelines.db import doi_db_url, make_engine
from heratio_doi_pipelines.store.migrations import VERSION_TABLE
from heratio_doi_pipelines.store.tables import metadata

config = context.config


def _include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    # A Heratio database holds hundreds of AtoM and other ahg_* tables: leave them alone.
    return type_ != "table" or name in metadata.tables


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        include_name=_include_name,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or doi_db_url())
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit(
        "Offline (--sql) mode is not supported: the migrations inspect the live database "
        "to adopt Heratio's existing tables."
    )
run_migrations_online()
