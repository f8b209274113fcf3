"""Alembic migrations for the ahg_* tables, shipped inside the package and run from code.

Every migration is adoptive: a Heratio site may already have the tables (from Heratio's
install SQL), so each step checks what exists before changing anything and never alters or
drops a Heratio column.
"""

from __future__ import annotations

from pathlib import Path

MIGRATIONS_DIR = Path(__file__).resolve().parent

# Our own version table, so a site's other Alembic history (alembic_version) is never touched.
VERSION_TABLE = "heratio_doi_alembic_version"
