"""Build an AtoM catalogue on MySQL/MariaDB with AtoM's own DDL (real column types), not ours."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa


def atom_statements() -> list[str]:
    text = Path(__file__).with_name("atom_ddl_mysql.sql").read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("--"))
    return [stmt.strip() for stmt in body.split(";") if stmt.strip()]


def create_atom_tables(engine: sa.Engine) -> None:
    """Create the catalogue tables as an AtoM site has them (MySQL/MariaDB only)."""
    with engine.begin() as conn:
        for statement in atom_statements():
            conn.exec_driver_sql(statement)
