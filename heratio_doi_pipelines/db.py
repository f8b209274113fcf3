"""Database engines for the ahg_* tables and the AtoM catalogue (SQLite, PostgreSQL, MySQL)."""

from __future__ import annotations

import os
import sqlite3
import time
from functools import lru_cache

import sqlalchemy as sa

from heratio_doi_pipelines.errors import HeratioDoiError
from heratio_doi_pipelines.paths import data_dir

SQLITE_BUSY_TIMEOUT_S = 30


def doi_db_url() -> str:
    """URL of the ahg_* tables (``HERATIO_DOI_DB_URL``, default the embedded SQLite file)."""
    return os.environ.get("HERATIO_DOI_DB_URL") or f"sqlite:///{data_dir() / 'heratio.db'}"


def catalogue_db_url() -> str:
    """URL of the AtoM catalogue (``HERATIO_CATALOGUE_DB_URL``, default the DOI database)."""
    return os.environ.get("HERATIO_CATALOGUE_DB_URL") or doi_db_url()


def make_engine(url: str) -> sa.Engine:
    """An engine tuned for the backend: SQLite in WAL mode with a busy timeout, pooled servers."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}
        )

        # WAL with synchronous=NORMAL: a commit appends to the write-ahead log without an
        # fsync, and the log is fsynced at each checkpoint. The database can never be
        # corrupted this way; what a power cut (not a process crash: the OS still holds the
        # log) can lose is the last few commits. That is safe for the queue: a lost DOI
        # reservation is re-derived by the retry from the same suffix pattern, so the same
        # DOI string is PUT again (an upsert at DataCite; only a ``{year}`` pattern across
        # New Year's night could differ); a lost completion leaves the
        # item claimed until its lease runs out, and it is then re-sent as the same PUT.
        # Readers never block the writer, so sensors and the dashboard read while workers
        # write. A site that cannot accept losing any commit runs PostgreSQL.
        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
            _switch_to_wal(cur)
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    kwargs: dict = {"pool_pre_ping": True, "future": True}
    if is_mysql_url(url):
        return _mysql_engine(url, kwargs)
    return sa.create_engine(url, **kwargs)


def is_mysql_url(url: str | sa.URL) -> bool:
    """Whether a URL names MySQL or MariaDB (``mysql+pymysql://``, ``mariadb+pymysql://``)."""
    return sa.make_url(url).get_backend_name() in ("mysql", "mariadb")


# AtoM stores partial dates as '1890-00-00' and '0000-00-00'; MySQL 8's default sql_mode
# rejects them, AtoM's own installation removes these modes too.
_ZERO_DATE_MODES = frozenset({"NO_ZERO_IN_DATE", "NO_ZERO_DATE"})


def _mysql_engine(url: str, kwargs: dict) -> sa.Engine:
    """MySQL/MariaDB with the session AtoM and the pipeline expect.

    utf8mb4 (every script AtoM stores), READ COMMITTED (PostgreSQL's default: fewer gap-lock
    deadlocks between queue workers and each statement sees committed rows), UTC for
    CURRENT_TIMESTAMP defaults (as SQLite), zero-filled dates accepted, and connections
    recycled before the server's ``wait_timeout`` closes them.
    """
    connect_args = {} if "charset" in sa.make_url(url).query else {"charset": "utf8mb4"}
    engine = sa.create_engine(
        url,
        pool_recycle=3600,
        isolation_level="READ COMMITTED",
        connect_args=connect_args,
        **kwargs,
    )

    @sa.event.listens_for(engine, "connect")
    def _mysql_session(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        cur = dbapi_conn.cursor()
        cur.execute("SELECT @@SESSION.sql_mode")
        modes = [m for m in str(cur.fetchone()[0]).split(",") if m and m not in _ZERO_DATE_MODES]
        cur.execute("SET SESSION sql_mode = %s, time_zone = '+00:00'", (",".join(modes),))
        cur.close()

    return engine


def _switch_to_wal(cursor: sqlite3.Cursor) -> None:
    """WAL mode, retried: on a brand-new file two connections can race for it, and SQLite
    answers "database is locked" at once instead of waiting for the busy timeout."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    delay = 0.01
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


@lru_cache(maxsize=8)
def cached_engine(url: str) -> sa.Engine:
    """One engine per URL per process (engines own connection pools)."""
    return make_engine(url)


def is_sqlite(engine: sa.Engine) -> bool:
    return engine.dialect.name == "sqlite"


# FOR UPDATE SKIP LOCKED, which queue claims rely on, arrived in these releases.
MIN_MARIADB_VERSION = (10, 6)
MIN_MYSQL_VERSION = (8, 0)


class UnsupportedDatabaseError(HeratioDoiError):
    """The database server is too old for safe concurrent queue claims."""


def unsupported_server_reason(is_mariadb: bool, version: tuple[int, ...] | None) -> str | None:
    """Why a MySQL/MariaDB server cannot hold the queue, or None when it can."""
    product, minimum = (
        ("MariaDB", MIN_MARIADB_VERSION) if is_mariadb else ("MySQL", MIN_MYSQL_VERSION)
    )
    if version is not None and tuple(version[:2]) >= minimum:
        return None
    shown = ".".join(str(part) for part in version) if version else "of unknown version"
    return (
        f"{product} {shown} is not supported: the DOI queue needs SELECT ... FOR UPDATE "
        f"SKIP LOCKED so that workers never claim the same item, which needs MariaDB "
        f"{'.'.join(map(str, MIN_MARIADB_VERSION))} or later, or MySQL "
        f"{'.'.join(map(str, MIN_MYSQL_VERSION))} or later; upgrade the server"
    )


def require_supported_server(bind: sa.Engine | sa.Connection) -> None:
    """Raise ``UnsupportedDatabaseError`` on MySQL/MariaDB servers without SKIP LOCKED."""
    dialect = bind.dialect
    if dialect.name not in ("mysql", "mariadb"):
        return
    if dialect.server_version_info is None and isinstance(bind, sa.Engine):
        with bind.connect():
            pass  # the first connection reads the server version
    reason = unsupported_server_reason(
        bool(getattr(dialect, "is_mariadb", False)), dialect.server_version_info
    )
    if reason:
        raise UnsupportedDatabaseError(reason)
