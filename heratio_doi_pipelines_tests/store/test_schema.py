"""init_database on an empty database: every table, the latest revision, the doi settings."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.errors import HeratioDoiError
from heratio_doi_pipelines.store.migrations import VERSION_TABLE
from heratio_doi_pipelines.store.schema import (
    DOI_SETTING_DEFAULTS,
    TablesMissingError,
    head_revision,
    init_database,
    require_tables,
    schema_status,
)
from heratio_doi_pipelines.store.tables import ahg_doi, ahg_settings, metadata

ALL_TABLES = sorted(metadata.tables)


@pytest.fixture
def empty_engine(db_url: str):
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


def test_init_creates_every_table_at_the_latest_revision(empty_engine: sa.Engine) -> None:
    report = init_database(empty_engine)

    assert report.created_tables == ALL_TABLES
    assert report.adopted_tables == []
    assert report.added_columns == []
    assert (report.revision_before, report.revision_after) == (None, head_revision())
    tables = set(sa.inspect(empty_engine).get_table_names())
    assert set(ALL_TABLES) <= tables
    assert VERSION_TABLE in tables
    assert "alembic_version" not in tables
    require_tables(empty_engine)


def test_second_init_changes_nothing(engine: sa.Engine) -> None:
    report = init_database(engine)

    assert not report.changed
    assert report.created_tables == report.added_columns == report.default_settings_added == []
    assert report.lines() == [
        f"Schema is up to date (revision {head_revision()}); nothing changed."
    ]


_BOOLEAN_WORDS = {"0": False, "false": False, "1": True, "true": True}


def _boolean_default(clause: object) -> bool | None:
    arg = getattr(clause, "arg", None)
    text = getattr(arg, "text", None)
    if text is None and isinstance(arg, sa.sql.elements.ClauseElement):
        text = str(arg.compile())
    return _BOOLEAN_WORDS.get(str(text).strip("'").lower()) if text is not None else None


def _real_changes(diff: list) -> list:
    """Without MySQL's BOOLEAN defaults: ``DEFAULT false`` reads back as TINYINT '0', which
    Alembic reports as a changed default although it is the same value."""
    out = []
    for item in diff:
        if isinstance(item, list):
            item = [
                op
                for op in item
                if not (
                    op[0] == "modify_default"
                    and isinstance(metadata.tables[op[2]].c[op[3]].type, sa.Boolean)
                    and _boolean_default(op[5]) is not None
                    and _boolean_default(op[5]) == _boolean_default(op[6])
                )
            ]
            if not item:
                continue
        out.append(item)
    return out


# PostgreSQL reads a generated column's expression back in its own normalised form, which
# Alembic cannot compare with the source text; the column and its index are still compared.
@pytest.mark.filterwarnings("ignore:Computed default on ahg_doi_queue.open_action")
def test_migrated_schema_matches_the_tables_module(engine: sa.Engine) -> None:
    """The frozen migrations and store/tables.py describe the same tables, columns, indexes."""
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_name": lambda name, type_, _p: type_ != "table" or name in metadata.tables,
            },
        )
        diff = _real_changes(compare_metadata(context, metadata))
    assert diff == []


def test_doi_url_is_generated_by_the_database(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.insert(ahg_doi).values(information_object_id=7, doi="10.5072/h/2026/7"))
        doi_url = conn.scalar(sa.select(ahg_doi.c.doi_url))
    assert doi_url == "https://doi.org/10.5072/h/2026/7"


def test_init_seeds_the_doi_settings_without_secrets(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(ahg_settings.c.setting_key, ahg_settings.c.setting_value).where(
                ahg_settings.c.setting_group == "doi"
            )
        ).all()
    settings = dict(rows)
    assert set(settings) == {key for key, *_ in DOI_SETTING_DEFAULTS}
    assert settings["datacite_environment"] == "test"
    assert settings["auto_mint"] == "0"
    assert settings["default_resource_type"] == "Text"
    assert settings["datacite_prefix"] is None
    assert not {"datacite_password", "datacite_api_token"} & set(settings)


def test_init_keeps_settings_an_operator_already_saved(db_url: str) -> None:
    eng = make_engine(db_url)
    try:
        init_database(eng)
        with eng.begin() as conn:
            conn.execute(
                sa.update(ahg_settings)
                .where(ahg_settings.c.setting_key == "auto_mint")
                .values(setting_value="1")
            )
            conn.execute(sa.delete(ahg_settings).where(ahg_settings.c.setting_key == "base_url"))

        report = init_database(eng)

        assert report.default_settings_added == ["base_url"]
        with eng.connect() as conn:
            auto_mint = conn.scalar(
                sa.select(ahg_settings.c.setting_value).where(
                    ahg_settings.c.setting_key == "auto_mint"
                )
            )
        assert auto_mint == "1"
    finally:
        eng.dispose()


def test_require_tables_on_an_empty_database(empty_engine: sa.Engine) -> None:
    with pytest.raises(TablesMissingError) as caught:
        require_tables(empty_engine)

    assert str(caught.value) == "DOI tables not found: run `heratio-doi init`"
    assert isinstance(caught.value, HeratioDoiError)
    assert set(caught.value.missing) == {"ahg_doi", "ahg_doi_queue", "ahg_doi_log"}


def test_schema_status_before_and_after_init(empty_engine: sa.Engine) -> None:
    before = schema_status(empty_engine)
    assert before.revision is None
    assert before.present_tables == ()
    assert not before.core_tables_present and not before.is_current

    init_database(empty_engine)

    after = schema_status(empty_engine)
    assert after.revision == after.head == head_revision()
    assert after.missing_tables == ()
    assert after.core_tables_present and after.is_current


def test_init_recreates_a_table_dropped_after_it_was_stamped(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.insert(ahg_doi).values(information_object_id=9, doi="10.5072/x/9"))
        conn.exec_driver_sql("DROP TABLE ahg_doi_log")
    with pytest.raises(TablesMissingError):
        require_tables(engine)

    report = init_database(engine)

    assert report.created_tables == ["ahg_doi_log"]
    require_tables(engine)
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(ahg_doi)) == 1


def test_concurrent_inits_create_the_tables_once(db_url: str) -> None:
    """Two processes may start at once (a worker and the CLI): init is serialised."""
    engines = [make_engine(db_url) for _ in range(2)]
    for eng in engines:
        # Connect up front: this test is about init, not about two first connections racing.
        with eng.connect():
            pass
    barrier = threading.Barrier(len(engines))

    def run(eng: sa.Engine) -> list[str]:
        barrier.wait()
        return init_database(eng).created_tables

    try:
        with ThreadPoolExecutor(max_workers=len(engines)) as pool:
            created = list(pool.map(run, engines))
    finally:
        for eng in engines:
            eng.dispose()

    assert sorted(created, key=len) == [[], ALL_TABLES]
