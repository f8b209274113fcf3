"""The ahg_* tables get the same MySQL column types whether or not Dagster is loaded."""

from __future__ import annotations

import dagster._core.storage.sql  # noqa: F401  (registers Dagster's MySQL DDL hooks, as dg does)
import sqlalchemy as sa

from heratio_doi_pipelines.store.schema import init_database


def test_timestamps_are_heratios_datetime_even_with_dagsters_hooks(
    mariadb_engine: sa.Engine,
) -> None:
    init_database(mariadb_engine)

    with mariadb_engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT table_name, column_name, column_type FROM information_schema.columns "
            "WHERE table_schema = DATABASE() AND data_type = 'datetime'"
        ).all()
    assert len(rows) > 20
    # DATETIME(6) DEFAULT CURRENT_TIMESTAMP would be refused by MySQL 8, and differ from Heratio
    assert {row.column_type for row in rows} == {"datetime"}, rows
