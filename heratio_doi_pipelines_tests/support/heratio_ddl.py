"""Build a database the way Heratio's own install SQL does, to test that init adopts it."""

from __future__ import annotations

from pathlib import Path
from string import Template

import sqlalchemy as sa

# SQLite and PostgreSQL share one text where only these types differ; MySQL/MariaDB get
# Heratio's own MySQL DDL (heratio_ddl_mysql.sql: ENUMs, TINYINT(1), CONCAT, InnoDB utf8mb4).
_TYPES = {
    "sqlite": {
        "pk": "INTEGER PRIMARY KEY AUTOINCREMENT",
        "datetime": "DATETIME",
        "bool": "BOOLEAN",
        "json": "JSON",
        "doi_url": "VARCHAR(500) GENERATED ALWAYS AS ('https://doi.org/' || doi) STORED",
    },
    "postgresql": {
        "pk": "BIGSERIAL PRIMARY KEY",
        "datetime": "TIMESTAMP",
        "bool": "BOOLEAN",
        "json": "JSON",
        "doi_url": "VARCHAR(500) GENERATED ALWAYS AS ('https://doi.org/' || doi) STORED",
    },
}

HERATIO_TABLES = (
    "ahg_doi",
    "ahg_doi_config",
    "ahg_doi_queue",
    "ahg_doi_mapping",
    "ahg_doi_log",
    "ahg_settings",
    "ahg_io_funding",
    "ahg_datacite_event",
)


def heratio_statements(dialect: str) -> list[str]:
    """Heratio's DDL for a backend: MySQL's own text there, the shared template elsewhere."""
    if dialect in ("mysql", "mariadb"):
        return _statements(Path(__file__).with_name("heratio_ddl_mysql.sql").read_text("utf-8"))
    text = (Path(__file__).with_name("heratio_ddl.sql")).read_text(encoding="utf-8")
    return _statements(Template(text).substitute(_TYPES[dialect]))


def _statements(text: str) -> list[str]:
    body = "\n".join(line for line in text.splitlines() if not line.startswith("--"))
    return [stmt.strip() for stmt in body.split(";") if stmt.strip()]


def create_heratio_tables(engine: sa.Engine) -> None:
    """Create and fill Heratio's ahg_* tables with Heratio's DDL (not ours)."""
    with engine.begin() as conn:
        for statement in heratio_statements(engine.dialect.name):
            conn.exec_driver_sql(statement)
