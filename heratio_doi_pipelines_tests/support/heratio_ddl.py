"""Build a database the way Heratio's own install SQL does, to test that init adopts it."""

from __future__ import annotations

from pathlib import Path
from string import Template

import sqlalchemy as sa

# The same text on each backend; only these types differ (MySQL: BIGINT UNSIGNED
# AUTO_INCREMENT PRIMARY KEY, DATETIME, TINYINT(1), JSON, CONCAT('https://doi.org/', doi)).
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
    text = (Path(__file__).with_name("heratio_ddl.sql")).read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("--"))
    rendered = Template(body).substitute(_TYPES[dialect])
    return [stmt.strip() for stmt in rendered.split(";") if stmt.strip()]


def create_heratio_tables(engine: sa.Engine) -> None:
    """Create and fill Heratio's ahg_* tables with Heratio's DDL (not ours)."""
    with engine.begin() as conn:
        for statement in heratio_statements(engine.dialect.name):
            conn.exec_driver_sql(statement)
