"""Shared fixtures: a fresh database per test on every backend, and an isolated environment.

Backends are listed once in ``DB_BACKENDS`` with one factory each in ``_DATABASE_FACTORIES``;
each server backend has one session fixture that starts its server once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
import sqlalchemy as sa

from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.settings import ENV_OVERRIDES
from heratio_doi_pipelines.store.schema import init_database
from heratio_doi_pipelines_tests.support.mariadb import MariaDbServer, mariadb_server
from heratio_doi_pipelines_tests.support.postgres import PostgresServer, postgres_server

DB_BACKENDS = ["sqlite", "postgresql", "mariadb"]

# Variables a developer's shell may set that would point tests at real data or services.
_ISOLATED_ENV = (
    "HERATIO_DOI_DB_URL",
    "HERATIO_CATALOGUE_DB_URL",
    "HERATIO_DOI_REPORTS_DIR",
    "DATACITE_URL",
    "DATACITE_REPOSITORY_ID",
    "DATACITE_PASSWORD",
    "DATACITE_PREFIX",
    *ENV_OVERRIDES,
)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL for the session (``HERATIO_TEST_PG_URL`` or one started here)."""
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="session", name="mariadb_server")
def _mariadb_server() -> Iterator[MariaDbServer]:
    """A real MariaDB for the session (``HERATIO_TEST_MYSQL_URL`` or one started here)."""
    with mariadb_server() as server:
        yield server


@contextlib.contextmanager
def _sqlite_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp_path / 'heratio.db'}"


@contextlib.contextmanager
def _postgresql_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    server: PostgresServer = request.getfixturevalue("pg_server")
    with server.fresh_database() as url:
        yield url


@contextlib.contextmanager
def _mariadb_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    server: MariaDbServer = request.getfixturevalue("mariadb_server")
    with server.fresh_database() as url:
        yield url


_DATABASE_FACTORIES: dict[
    str, Callable[[pytest.FixtureRequest, Path], AbstractContextManager[str]]
] = {
    "sqlite": _sqlite_database,
    "postgresql": _postgresql_database,
    "mariadb": _mariadb_database,
}


@pytest.fixture(params=DB_BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, empty database for this test, on each backend in turn."""
    with _DATABASE_FACTORIES[request.param](request, tmp_path) as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    """An engine on a fresh database whose ahg_* tables are already created."""
    eng = make_engine(db_url)
    init_database(eng)
    yield eng
    eng.dispose()


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep every test's files under its tmp_path and away from the developer's settings."""
    monkeypatch.setenv("HERATIO_DOI_DATA_DIR", str(tmp_path / "data"))
    for name in _ISOLATED_ENV:
        monkeypatch.delenv(name, raising=False)


SERVER_BACKENDS = [name for name in DB_BACKENDS if name != "sqlite"]


@pytest.fixture(params=SERVER_BACKENDS)
def server_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database on each database server (for multi-process worker tests)."""
    with _DATABASE_FACTORIES[request.param](request, tmp_path) as url:
        yield url
