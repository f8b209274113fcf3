"""Database engines for the ahg_* tables and the AtoM catalogue (SQLite, PostgreSQL, MySQL)."""

from __future__ import annotations

import os
import sqlite3
import time
from functools import lru_cache

import sqlalchemy as sa

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

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
            _switch_to_wal(cur)
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    kwargs: dict = {"pool_pre_ping": True, "future": True}
    if url.startswith("mysql"):
        kwargs["pool_recycle"] = 3600
    return sa.create_engine(url, **kwargs)


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
