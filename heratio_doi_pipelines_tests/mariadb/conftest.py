"""A fresh database on the session's MariaDB server, for tests that only make sense there."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines_tests.support.mariadb import MariaDbServer


@pytest.fixture
def mariadb_url(mariadb_server: MariaDbServer) -> Iterator[str]:
    with mariadb_server.fresh_database() as url:
        yield url


@pytest.fixture
def mariadb_engine(mariadb_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(mariadb_url)
    yield engine
    engine.dispose()
