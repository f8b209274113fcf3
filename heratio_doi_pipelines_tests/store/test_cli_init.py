"""``heratio-doi init`` and the setup message every command shows on a database without tables."""

from __future__ import annotations

import click
import sqlalchemy as sa
from click.testing import CliRunner

from heratio_doi_pipelines.cli import main
from heratio_doi_pipelines.cli.errors import OperatorErrorGroup
from heratio_doi_pipelines.db import doi_db_url, make_engine
from heratio_doi_pipelines.store.schema import require_tables
from heratio_doi_pipelines.store.tables import ahg_settings, metadata
from heratio_doi_pipelines_tests.support.heratio_ddl import create_heratio_tables

SETUP_MESSAGE = "Error: DOI tables not found: run `heratio-doi init`"


def test_init_creates_the_tables_then_reports_nothing_to_do(db_url: str) -> None:
    runner = CliRunner()
    env = {"HERATIO_DOI_DB_URL": db_url}

    first = runner.invoke(main, ["init"], env=env)
    second = runner.invoke(main, ["init"], env=env)
    check = runner.invoke(main, ["init", "--check"], env=env)

    assert first.exit_code == 0, first.output
    assert f"Created tables ({len(metadata.tables)})" in first.output
    assert "Default settings added (doi group)" in first.output
    assert second.exit_code == 0, second.output
    assert "nothing changed" in second.output
    assert check.exit_code == 0, check.output
    assert "Schema is up to date." in check.output
    eng = make_engine(db_url)
    try:
        require_tables(eng)
    finally:
        eng.dispose()


def test_check_warns_when_tombstoned_dois_would_leave_the_site(db_url: str) -> None:
    runner = CliRunner()
    env = {"HERATIO_DOI_DB_URL": db_url, "HERATIO_BASE_URL": "https://archive.example.org"}
    assert runner.invoke(main, ["init"], env=env).exit_code == 0
    quiet = runner.invoke(main, ["init", "--check"], env=env)
    assert quiet.exit_code == 0 and "Warning" not in quiet.output

    eng = make_engine(db_url)
    try:
        with eng.begin() as conn:
            conn.execute(
                sa.update(ahg_settings)
                .where(ahg_settings.c.setting_key == "base_url")
                .values(setting_value="https://archive.example.org")
            )
            conn.execute(
                sa.insert(ahg_settings).values(
                    setting_key="doi_tombstone_url_pattern",
                    setting_value="https://doi-pages.example.net/gone/{doi}",
                    setting_group="doi",
                )
            )
    finally:
        eng.dispose()
    warned = runner.invoke(main, ["init", "--check"], env={"HERATIO_DOI_DB_URL": db_url})
    assert warned.exit_code == 0, warned.output
    assert "Schema is up to date." in warned.output
    assert (
        "Warning: doi_tombstone_url_pattern 'https://doi-pages.example.net/gone/{doi}' sends "
        "tombstoned DOIs to doi-pages.example.net, not to the catalogue's host "
        "'archive.example.org' (base_url)"
    ) in warned.output


def test_init_uses_the_embedded_sqlite_file_by_default(tmp_path) -> None:
    result = CliRunner().invoke(main, ["init"])

    assert result.exit_code == 0, result.output
    assert doi_db_url().startswith(f"sqlite:///{tmp_path}")
    assert (tmp_path / "data" / "heratio.db").exists()


def test_init_hides_the_database_password(db_url: str) -> None:
    url = sa.make_url(db_url)
    if url.get_backend_name() == "sqlite":
        shown = db_url
    else:
        # the test PostgreSQL trusts loopback and ignores a password; MariaDB's user has one
        url = url if url.password else url.set(password="s3cret-pw")
        shown = url.render_as_string(hide_password=True)
    result = CliRunner().invoke(
        main, ["init"], env={"HERATIO_DOI_DB_URL": url.render_as_string(hide_password=False)}
    )

    assert result.exit_code == 0, result.output
    assert f"Database: {shown}" in result.output
    assert str(url.password or "s3cret-pw") not in result.output


def test_check_on_an_empty_database_prints_the_setup_message(db_url: str) -> None:
    result = CliRunner().invoke(main, ["init", "--check"], env={"HERATIO_DOI_DB_URL": db_url})

    assert result.exit_code == 1
    assert SETUP_MESSAGE in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_a_query_on_missing_tables_prints_the_setup_message(db_url: str) -> None:
    """Any command under the group gets the message, even when the driver finds the gap."""

    @click.group(cls=OperatorErrorGroup)
    def cli() -> None:
        pass

    @cli.command()
    def count() -> None:
        eng = make_engine(db_url)
        try:
            with eng.connect() as conn:
                conn.execute(sa.text("SELECT count(*) FROM ahg_doi_queue"))
        finally:
            eng.dispose()

    result = CliRunner().invoke(cli, ["count"])

    assert result.exit_code == 1
    assert SETUP_MESSAGE in result.output
    assert "Traceback" not in result.output


def test_init_refusal_is_a_plain_message(db_url: str) -> None:
    eng = make_engine(db_url)
    try:
        create_heratio_tables(eng)
        with eng.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE ahg_doi DROP COLUMN minted_by")
    finally:
        eng.dispose()

    result = CliRunner().invoke(main, ["init"], env={"HERATIO_DOI_DB_URL": db_url})

    assert result.exit_code == 1
    assert "ahg_doi.minted_by" in result.output
    assert "Traceback" not in result.output
