"""Create, upgrade and check the ahg_* tables (``heratio-doi init`` and every entry point).

Schema changes go through the packaged Alembic migrations, run from code with our own
version table; the doi group of ``ahg_settings`` gets its non-secret defaults on init.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from heratio_doi_pipelines.db import require_supported_server
from heratio_doi_pipelines.errors import HeratioDoiError
from heratio_doi_pipelines.store.errors import (
    TABLES_MISSING_MESSAGE,
    IncompatibleTableError,
    TablesMissingError,
    is_missing_table_error,
)
from heratio_doi_pipelines.store.migrations import MIGRATIONS_DIR, VERSION_TABLE
from heratio_doi_pipelines.store.tables import CORE_TABLES, ahg_settings, metadata

__all__ = [
    "DOI_SETTING_DEFAULTS",
    "DOI_SETTING_GROUP",
    "TABLES_MISSING_MESSAGE",
    "IncompatibleTableError",
    "InitReport",
    "SchemaStatus",
    "TablesMissingError",
    "alembic_config",
    "head_revision",
    "init_database",
    "is_missing_table_error",
    "require_tables",
    "schema_status",
]

DOI_SETTING_GROUP = "doi"

# Any fixed 64-bit number: the PostgreSQL advisory lock that serialises concurrent inits.
_PG_INIT_LOCK_KEY = 0x48455241_54494F  # "HERATIO"
# The MySQL/MariaDB named lock with the same role, and how long to wait for it (seconds).
_MYSQL_INIT_LOCK = {"name": "heratio_doi_init", "timeout": 300}

# (key, default value, setting_type, description). Unknown values stay NULL so that settings
# resolution falls through to ahg_doi_config; the password and API token are never written.
DOI_SETTING_DEFAULTS: tuple[tuple[str, str | None, str, str], ...] = (
    ("datacite_prefix", None, "string", "DOI prefix assigned to the repository (e.g. 10.5072)"),
    ("datacite_repository_id", None, "string", "DataCite repository (account) ID"),
    ("datacite_url", None, "string", "DataCite REST API base URL"),
    ("datacite_environment", "test", "string", "test or production"),
    ("auto_mint", "0", "boolean", "1 to queue records for minting automatically"),
    ("default_publisher", None, "string", "Publisher when a record names none"),
    ("default_resource_type", "Text", "string", "Default DataCite resourceTypeGeneral"),
    ("doi_failure_notify", None, "string", "Addresses told about minting results"),
    ("base_url", None, "string", "Public base URL of the catalogue (landing pages)"),
)


@dataclass
class InitReport:
    """What ``init_database`` changed; all lists empty when the database was already current."""

    revision_before: str | None
    revision_after: str | None
    created_tables: list[str] = field(default_factory=list)
    adopted_tables: list[str] = field(default_factory=list)
    added_columns: list[str] = field(default_factory=list)
    added_indexes: list[str] = field(default_factory=list)
    default_settings_added: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.revision_before != self.revision_after
            or self.created_tables
            or self.added_columns
            or self.added_indexes
            or self.default_settings_added
        )

    def lines(self) -> list[str]:
        """A short human-readable summary, one fact per line."""
        if not self.changed:
            return [f"Schema is up to date (revision {self.revision_after}); nothing changed."]
        out = [f"Schema revision: {self.revision_before or 'none'} -> {self.revision_after}"]
        for label, items in (
            ("Created tables", self.created_tables),
            ("Adopted existing tables", self.adopted_tables),
            ("Added columns", self.added_columns),
            ("Added indexes", self.added_indexes),
            ("Default settings added (doi group)", self.default_settings_added),
        ):
            if items:
                out.append(f"{label} ({len(items)}): {', '.join(items)}")
        return out


@dataclass(frozen=True)
class SchemaStatus:
    """Which ahg_* tables exist and which migration revision the database is at."""

    present_tables: tuple[str, ...]
    missing_tables: tuple[str, ...]
    revision: str | None
    head: str | None

    @property
    def core_tables_present(self) -> bool:
        return not set(CORE_TABLES) & set(self.missing_tables)

    @property
    def is_current(self) -> bool:
        return not self.missing_tables and self.revision == self.head


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic config for the packaged migrations; no alembic.ini is needed."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def init_database(engine: sa.Engine) -> InitReport:
    """Create missing ahg_* tables, adopt existing ones, upgrade to the latest revision.

    Idempotent: a second run changes nothing. Raises ``IncompatibleTableError`` (and changes
    nothing) when an existing table lacks a Heratio column the pipeline needs. Runs in one
    transaction, serialised against concurrent inits, on SQLite and PostgreSQL (MySQL commits
    DDL at once: there a refusal still changes nothing, see ``_mysql_init``).
    """
    with engine.connect() as conn, _init_transaction(conn):
        before = _snapshot(conn)
        revision_before = _current_revision(conn)
        command.upgrade(alembic_config(conn), "head")
        if _missing(conn):
            # Stamped, but tables were dropped since: replay the adoptive migrations.
            command.stamp(alembic_config(conn), "base", purge=True)
            command.upgrade(alembic_config(conn), "head")
        defaults_added = _add_default_doi_settings(conn)
        after = _snapshot(conn)
        revision_after = _current_revision(conn)
    return InitReport(
        revision_before=revision_before,
        revision_after=revision_after,
        created_tables=sorted(set(after) - set(before)),
        adopted_tables=sorted(set(before)) if revision_before is None else [],
        added_columns=_added(before, after, "columns"),
        added_indexes=_added(before, after, "indexes"),
        default_settings_added=defaults_added,
    )


def require_tables(engine: sa.Engine, tables: Iterable[str] = CORE_TABLES) -> None:
    """Raise ``TablesMissingError`` unless the DOI tables exist (cheap: one catalogue query)."""
    existing = set(sa.inspect(engine).get_table_names())
    missing = [name for name in tables if name not in existing]
    if missing:
        raise TablesMissingError(missing)


def schema_status(engine: sa.Engine) -> SchemaStatus:
    existing = set(sa.inspect(engine).get_table_names())
    return SchemaStatus(
        present_tables=tuple(sorted(name for name in metadata.tables if name in existing)),
        missing_tables=tuple(sorted(name for name in metadata.tables if name not in existing)),
        revision=_current_revision(engine),
        head=head_revision(),
    )


def _current_revision(bind: sa.Engine | sa.Connection) -> str | None:
    if isinstance(bind, sa.Engine):
        with bind.connect() as conn:
            return _current_revision(conn)
    context = MigrationContext.configure(bind, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


@contextmanager
def _init_transaction(conn: sa.Connection) -> Iterator[None]:
    """One transaction for the whole init, so a refusal or crash leaves nothing half done.

    pysqlite does not put DDL in a transaction by itself: take over BEGIN (IMMEDIATE, which
    also serialises concurrent inits). PostgreSQL has transactional DDL; an advisory lock
    serialises concurrent inits there.
    """
    if conn.dialect.name == "sqlite":
        dbapi_conn = conn.connection.driver_connection
        saved = dbapi_conn.isolation_level  # type: ignore[union-attr]
        dbapi_conn.isolation_level = None  # type: ignore[union-attr]
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
        finally:
            dbapi_conn.isolation_level = saved  # type: ignore[union-attr]
        return
    if conn.dialect.name == "mysql":
        with _mysql_init(conn):
            yield
        return
    with conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_INIT_LOCK_KEY)))
        yield


@contextmanager
def _mysql_init(conn: sa.Connection) -> Iterator[None]:
    """MySQL/MariaDB: refuse servers without SKIP LOCKED, serialise inits with a named lock.

    MySQL commits each DDL statement at once, so a refused init could not be rolled back:
    the migrations check every existing table before their first change, and the only
    earlier change, Alembic's version table, is removed again when init created it.
    """
    require_supported_server(conn)
    got = conn.scalar(sa.text("SELECT GET_LOCK(:name, :timeout)"), _MYSQL_INIT_LOCK)
    conn.commit()
    if got != 1:
        raise HeratioDoiError("another `heratio-doi init` holds the schema lock; try again")
    try:
        had_version_table = VERSION_TABLE in sa.inspect(conn).get_table_names()
        conn.commit()
        try:
            with conn.begin():
                yield
        except BaseException:
            if conn.in_transaction():
                conn.rollback()
            if not had_version_table:
                with conn.begin():
                    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {VERSION_TABLE}")
            raise
    finally:
        if conn.in_transaction():
            conn.rollback()
        conn.scalar(sa.text("SELECT RELEASE_LOCK(:name)"), _MYSQL_INIT_LOCK)
        conn.commit()


def _missing(conn: sa.Connection) -> list[str]:
    existing = set(sa.inspect(conn).get_table_names())
    return [name for name in metadata.tables if name not in existing]


_Snapshot = dict[str, dict[str, set[str]]]


def _snapshot(conn: sa.Connection) -> _Snapshot:
    """Columns and index names of our tables that exist, to report what init changed."""
    inspector = sa.inspect(conn)
    existing = set(inspector.get_table_names())
    return {
        name: {
            "columns": {c["name"] for c in inspector.get_columns(name)},
            "indexes": {str(ix["name"]) for ix in inspector.get_indexes(name)},
        }
        for name in metadata.tables
        if name in existing
    }


def _added(before: _Snapshot, after: _Snapshot, kind: str) -> list[str]:
    out = []
    for table in sorted(set(before) & set(after)):
        for name in sorted(after[table][kind] - before[table][kind]):
            out.append(name if kind == "indexes" else f"{table}.{name}")
    return out


def _add_default_doi_settings(conn: sa.Connection) -> list[str]:
    """Insert the doi group's missing keys; existing values (even other groups') are kept."""
    keys = [key for key, *_ in DOI_SETTING_DEFAULTS]
    present = set(
        conn.scalars(
            sa.select(ahg_settings.c.setting_key).where(ahg_settings.c.setting_key.in_(keys))
        )
    )
    rows: list[dict[str, str | None]] = [
        {
            "setting_key": key,
            "setting_value": value,
            "setting_type": setting_type,
            "setting_group": DOI_SETTING_GROUP,
            "description": description,
        }
        for key, value, setting_type, description in DOI_SETTING_DEFAULTS
        if key not in present
    ]
    if rows:
        conn.execute(sa.insert(ahg_settings), rows)
    return [key for key, *_ in DOI_SETTING_DEFAULTS if key not in present]
