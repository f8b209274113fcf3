"""A real, throwaway PostgreSQL server for the test session, listening on loopback only
(started by ``devtools.postgres_server``). ``HERATIO_TEST_PG_URL`` points the tests at an
existing server instead.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa

from heratio_doi_pipelines.devtools.postgres_server import local_postgres

PG_URL_ENV = "HERATIO_TEST_PG_URL"


@dataclass(frozen=True)
class PostgresServer:
    """A server on which tests may create and drop databases; ``admin_url`` has those rights."""

    admin_url: str

    @contextlib.contextmanager
    def fresh_database(self) -> Iterator[str]:
        """An empty database for one test, dropped (with its connections) afterwards."""
        name = f"test_{secrets.token_hex(6)}"
        admin = sa.create_engine(
            self.admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
        )
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(
                    f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"
                )
            try:
                url = sa.make_url(self.admin_url).set(database=name)
                yield url.render_as_string(hide_password=False)
            finally:
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            admin.dispose()


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """The server named by ``HERATIO_TEST_PG_URL``, or a new one stopped on exit."""
    url = os.environ.get(PG_URL_ENV)
    if url:
        yield PostgresServer(admin_url=url)
        return
    with _local_postgres() as server:
        yield server


@contextlib.contextmanager
def _local_postgres() -> Iterator[PostgresServer]:
    with local_postgres(durable=False) as admin_url:
        yield PostgresServer(admin_url=admin_url)
