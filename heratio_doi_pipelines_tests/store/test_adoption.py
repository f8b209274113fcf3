"""init on a database that Heratio's own install SQL already set up: adopt, never alter."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.store.migrations import VERSION_TABLE
from heratio_doi_pipelines.store.schema import IncompatibleTableError, init_database
from heratio_doi_pipelines.store.tables import ahg_doi, ahg_doi_queue, ahg_settings, metadata
from heratio_doi_pipelines_tests.support.heratio_ddl import HERATIO_TABLES, create_heratio_tables

PIPELINE_COLUMNS = [
    "ahg_datacite_event.occurred_at",
    "ahg_datacite_event.scheduled_at",
    "ahg_datacite_event.total",
    "ahg_doi.confirmed_at",
    "ahg_doi.datacite_state",
    "ahg_doi.last_error",
    "ahg_doi.payload_hash",
    "ahg_doi.repository_id",
    "ahg_doi.reserved_at",
    "ahg_doi.url",
    "ahg_doi_queue.bulk",
    "ahg_doi_queue.claimed_by",
    "ahg_doi_queue.lease_expires_at",
    "ahg_doi_queue.open_action",
    "ahg_doi_queue.pipeline_action",
    "ahg_doi_queue.target_state",
    "ahg_settings.is_locked",
]


@pytest.fixture
def heratio_engine(db_url: str):
    eng = make_engine(db_url)
    create_heratio_tables(eng)
    yield eng
    eng.dispose()


def _columns(engine: sa.Engine) -> dict[tuple[str, str], str]:
    inspector = sa.inspect(engine)
    return {
        (table, c["name"]): f"{c['type']!r} nullable={c['nullable']}"
        for table in HERATIO_TABLES
        for c in inspector.get_columns(table)
    }


def test_init_adopts_heratio_tables_and_adds_only_pipeline_columns(
    heratio_engine: sa.Engine,
) -> None:
    heratio_columns = _columns(heratio_engine)

    report = init_database(heratio_engine)

    assert report.adopted_tables == sorted(HERATIO_TABLES)
    assert report.created_tables == sorted(set(metadata.tables) - set(HERATIO_TABLES))
    assert report.added_columns == PIPELINE_COLUMNS
    # Heratio's equivalent indexes are reused, only the ones it lacks are added.
    assert report.added_indexes == [
        "idx_ahg_doi_created",
        "idx_ahg_doi_repository_status_record",
        "idx_ahg_doi_status_record",
        "idx_ahg_doi_log_action_performed",
        "idx_ahg_doi_log_performed",
        "idx_ahg_doi_queue_claim",
        "idx_ahg_doi_queue_completed",
        "idx_ahg_doi_queue_due",
        "idx_ahg_doi_queue_status",
        "uq_ahg_doi_queue_open_item",
    ]
    after = _columns(heratio_engine)
    assert {key: after[key] for key in heratio_columns} == heratio_columns


def test_adoption_keeps_existing_rows_and_settings(heratio_engine: sa.Engine) -> None:
    report = init_database(heratio_engine)

    assert "datacite_prefix" not in report.default_settings_added
    with heratio_engine.connect() as conn:
        doi = conn.execute(sa.select(ahg_doi)).one()
        queue = conn.execute(sa.select(ahg_doi_queue)).one()
        prefix = conn.scalar(
            sa.select(ahg_settings.c.setting_value).where(
                ahg_settings.c.setting_key == "datacite_prefix"
            )
        )
        site_title = conn.execute(
            sa.select(ahg_settings.c.setting_value, ahg_settings.c.is_locked).where(
                ahg_settings.c.setting_key == "site_title"
            )
        ).one()
    assert (doi.doi, doi.status, doi.doi_url) == (
        "10.1234/h/2024/450",
        "findable",
        "https://doi.org/10.1234/h/2024/450",
    )
    assert doi.reserved_at is None and doi.payload_hash is None
    assert (queue.status, queue.attempts, queue.last_error) == ("failed", 3, "HTTP 500")
    assert prefix == "10.1234"
    assert tuple(site_title) == ("Heratio Archive", False)


def test_adopted_database_is_current_after_one_init(heratio_engine: sa.Engine) -> None:
    init_database(heratio_engine)

    again = init_database(heratio_engine)

    assert not again.changed
    assert again.adopted_tables == []


def test_init_refuses_a_table_missing_a_heratio_column(heratio_engine: sa.Engine) -> None:
    with heratio_engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE ahg_doi_queue DROP COLUMN max_attempts")
    tables_before = set(sa.inspect(heratio_engine).get_table_names())

    with pytest.raises(IncompatibleTableError) as caught:
        init_database(heratio_engine)

    assert caught.value.missing_columns == (("ahg_doi_queue", "max_attempts"),)
    assert "ahg_doi_queue.max_attempts" in str(caught.value)
    # Refused before any change: no new table, no version stamp, no added column.
    tables_after = set(sa.inspect(heratio_engine).get_table_names())
    assert tables_after == tables_before
    assert VERSION_TABLE not in tables_after
    doi_columns = {c["name"] for c in sa.inspect(heratio_engine).get_columns("ahg_doi")}
    assert "reserved_at" not in doi_columns
