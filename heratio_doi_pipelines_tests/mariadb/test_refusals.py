"""What the pipeline refuses on MySQL/MariaDB: servers without SKIP LOCKED, foreign tables."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from heratio_doi_pipelines.db import (
    UnsupportedDatabaseError,
    require_supported_server,
    unsupported_server_reason,
)
from heratio_doi_pipelines.errors import HeratioDoiError
from heratio_doi_pipelines.queue.enqueue import enqueue
from heratio_doi_pipelines.queue.transitions import claim_batch
from heratio_doi_pipelines.store.errors import ForeignTableError, require_pipeline_table
from heratio_doi_pipelines.store.schema import init_database


@pytest.mark.parametrize(
    ("is_mariadb", "version", "product"),
    [
        (True, (10, 5, 22), "MariaDB 10.5.22"),
        (True, (10, 3, 39), "MariaDB 10.3.39"),
        (False, (5, 7, 44), "MySQL 5.7.44"),
        (False, None, "MySQL of unknown version"),
    ],
)
def test_servers_without_skip_locked_are_refused_with_the_reason(
    is_mariadb: bool, version: tuple[int, ...] | None, product: str
) -> None:
    reason = unsupported_server_reason(is_mariadb, version)

    assert reason is not None
    assert reason.startswith(f"{product} is not supported")
    assert "FOR UPDATE SKIP LOCKED" in reason
    assert "MariaDB 10.6 or later, or MySQL 8.0 or later" in reason
    # an operator error: every command shows it as a plain message, not a traceback
    assert issubclass(UnsupportedDatabaseError, HeratioDoiError)


@pytest.mark.parametrize(
    ("is_mariadb", "version"),
    [
        (True, (10, 6, 0)),
        (True, (10, 11, 18)),
        (True, (11, 4, 2)),
        (False, (8, 0, 36)),
        (False, (9, 1, 0)),
    ],
)
def test_servers_with_skip_locked_are_accepted(is_mariadb: bool, version: tuple[int, ...]) -> None:
    assert unsupported_server_reason(is_mariadb, version) is None


def test_the_test_server_is_supported_and_claims_on_it(mariadb_engine: sa.Engine) -> None:
    require_supported_server(mariadb_engine)
    init_database(mariadb_engine)
    enqueue(mariadb_engine, "mint", [11, 12, 13])

    first = claim_batch(mariadb_engine, "worker-a", 2)
    second = claim_batch(mariadb_engine, "worker-b", 2)

    assert [i.information_object_id for i in first] == [11, 12]
    assert [i.information_object_id for i in second] == [13]


@pytest.mark.parametrize("table", ["information_object", "slug", "setting", "doi_log"])
def test_schema_steps_refuse_any_table_that_is_not_the_pipelines(table: str) -> None:
    with pytest.raises(ForeignTableError) as caught:
        require_pipeline_table(table)

    assert f"refusing to create or change table `{table}`" in str(caught.value)
    assert "only touches tables named ahg_* or heratio_doi_*" in str(caught.value)


@pytest.mark.parametrize("table", ["ahg_doi", "ahg_place_coords", "heratio_doi_usage_count"])
def test_schema_steps_accept_the_pipelines_tables(table: str) -> None:
    require_pipeline_table(table)
