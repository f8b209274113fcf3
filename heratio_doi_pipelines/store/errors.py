"""Errors about the ahg_* tables themselves, and recognising a missing table in a driver error."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from heratio_doi_pipelines.errors import HeratioDoiError

TABLES_MISSING_MESSAGE = "DOI tables not found: run `heratio-doi init`"

# The only tables `heratio-doi init` creates or changes; the catalogue's are never touched.
PIPELINE_TABLE_PREFIXES = ("ahg_", "heratio_doi_")

# Driver error codes for "table does not exist": PostgreSQL SQLSTATE and MySQL/MariaDB errno.
_PG_UNDEFINED_TABLE = "42P01"
_MYSQL_NO_SUCH_TABLE = 1146


class TablesMissingError(HeratioDoiError):
    """The DOI tables have not been created: the operator must run ``heratio-doi init``."""

    def __init__(self, missing: Sequence[str] = ()) -> None:
        super().__init__(TABLES_MISSING_MESSAGE)
        self.missing = tuple(missing)

    def __str__(self) -> str:
        return TABLES_MISSING_MESSAGE


class IncompatibleTableError(HeratioDoiError):
    """An existing ahg_* table lacks a Heratio column the pipeline needs.

    The pipeline never alters Heratio's own columns, so it stops instead of guessing.
    """

    def __init__(self, missing_columns: Sequence[tuple[str, str]]) -> None:
        self.missing_columns = tuple(missing_columns)
        names = ", ".join(f"{table}.{column}" for table, column in self.missing_columns)
        super().__init__(
            f"existing table(s) lack column(s) the DOI pipeline needs: {names}; "
            "they were expected from Heratio's install SQL, and the pipeline never alters "
            "Heratio's columns: add them (or upgrade Heratio) and run `heratio-doi init` again"
        )


class ForeignTableError(HeratioDoiError):
    """A schema step named a table outside the pipeline's own (ahg_*, heratio_doi_*).

    The DOI tables usually share a database with AtoM's catalogue and Heratio's other
    tables; init must never create, alter or index any of those.
    """

    def __init__(self, table: str) -> None:
        self.table = table
        super().__init__(
            f"refusing to create or change table `{table}`: `heratio-doi init` only touches "
            f"tables named {' or '.join(p + '*' for p in PIPELINE_TABLE_PREFIXES)}, never the "
            "catalogue's or another application's tables"
        )


def require_pipeline_table(name: str) -> None:
    """Raise ``ForeignTableError`` unless ``name`` is one of the pipeline's own tables."""
    if not name.startswith(PIPELINE_TABLE_PREFIXES):
        raise ForeignTableError(name)


def is_missing_table_error(exc: BaseException) -> bool:
    """Whether a SQLAlchemy error means a table does not exist (SQLite, PostgreSQL, MySQL)."""
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    orig = exc.orig
    if getattr(orig, "pgcode", None) == _PG_UNDEFINED_TABLE:
        return True
    args = getattr(orig, "args", ())
    if args and args[0] == _MYSQL_NO_SUCH_TABLE:
        return True
    return "no such table" in str(orig).lower()
