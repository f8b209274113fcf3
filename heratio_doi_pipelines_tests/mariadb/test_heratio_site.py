"""A Heratio site's MariaDB: Heratio's own ahg_* DDL beside AtoM's catalogue DDL.

``heratio-doi init`` must adopt Heratio's tables (ENUMs, TINYINT flags, JSON, the generated
``doi_url``) without altering a column of theirs, leave every catalogue table exactly as it
was, and a full mint must then run on that database against the DataCite emulator. Settings
come from Heratio's ``ahg_doi_config``/``ahg_settings`` rows, overridden by the environment.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from heratio_doi_pipelines.cli import main
from heratio_doi_pipelines.datacite_access import DataCiteAccess
from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.devtools.emulator import EmulatorConfig, EmulatorHandle, running_emulator
from heratio_doi_pipelines.devtools.sample_archive import generate_sample_archive
from heratio_doi_pipelines.settings import SettingsResolver
from heratio_doi_pipelines.store.migrations import VERSION_TABLE
from heratio_doi_pipelines.store.tables import (
    ahg_doi,
    ahg_doi_config,
    ahg_doi_log,
    ahg_doi_queue,
    metadata,
)
from heratio_doi_pipelines_tests.support.atom_ddl import create_atom_tables
from heratio_doi_pipelines_tests.support.heratio_ddl import HERATIO_TABLES, create_heratio_tables

REPOSITORY_ID = "HERATIO.SITE"
PASSWORD = "site-secret-9f3c2e"
PREFIX = "10.5072"

# Heratio's read-only sidecars, in its MySQL style (the generator fills them).
HERATIO_SIDECARS = (
    """CREATE TABLE ahg_actor_identifier (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
        actor_id INT NOT NULL,
        identifier_type ENUM('orcid','isni','viaf','wikidata','ror','lcnaf','gnd','other')
            NOT NULL,
        identifier_value VARCHAR(255) NOT NULL,
        uri VARCHAR(500) NULL,
        created_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP,
        updated_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
        PRIMARY KEY (id),
        UNIQUE KEY uk_actor_identifier (actor_id, identifier_type)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci""",
    """CREATE TABLE ahg_io_geolocation (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
        information_object_id INT NOT NULL,
        latitude DECIMAL(10,7) NULL,
        longitude DECIMAL(10,7) NULL,
        place_name VARCHAR(255) NULL,
        created_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP,
        updated_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
        PRIMARY KEY (id),
        UNIQUE KEY uk_geolocation_io (information_object_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci""",
)
HERATIO_SITE_TABLES = (*HERATIO_TABLES, "ahg_actor_identifier", "ahg_io_geolocation")


@pytest.fixture
def heratio_site(mariadb_engine: sa.Engine) -> sa.Engine:
    """Heratio's ahg_* tables and AtoM's catalogue, both from their own DDL, with records."""
    create_heratio_tables(mariadb_engine)
    with mariadb_engine.begin() as conn:
        for statement in HERATIO_SIDECARS:
            conn.exec_driver_sql(statement)
    create_atom_tables(mariadb_engine)
    generate_sample_archive(mariadb_engine, records=40, seed=11)
    return mariadb_engine


@pytest.fixture
def emulator() -> Iterator[EmulatorHandle]:
    config = EmulatorConfig(prefix=PREFIX, repository_id=REPOSITORY_ID, password=PASSWORD)
    with running_emulator(config) as handle:
        yield handle


def _catalogue_state(engine: sa.Engine) -> dict[str, tuple[str, int]]:
    """Every non-pipeline table's definition and content checksum."""
    with engine.connect() as conn:
        tables = [
            name
            for name in sa.inspect(conn).get_table_names()
            if not name.startswith(("ahg_", "heratio_doi_"))
        ]
        state = {}
        for name in tables:
            ddl = conn.exec_driver_sql(f"SHOW CREATE TABLE `{name}`").one()[1]
            checksum = conn.exec_driver_sql(f"CHECKSUM TABLE `{name}`").one()[1]
            state[name] = (re.sub(r" AUTO_INCREMENT=\d+", "", ddl), int(checksum))
    assert "information_object" in state and "event" in state
    return state


def _column_definitions(engine: sa.Engine, tables: tuple[str, ...]) -> dict[tuple[str, str], tuple]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT table_name, column_name, column_type, is_nullable, column_default, "
                "extra, generation_expression, collation_name FROM information_schema.columns "
                "WHERE table_schema = DATABASE() AND table_name IN :tables"
            ).bindparams(sa.bindparam("tables", expanding=True)),
            {"tables": list(tables)},
        ).all()
    return {(row[0], row[1]): tuple(row[2:]) for row in rows}


def _env(url: str, emulator: EmulatorHandle) -> dict[str, str]:
    return {
        "HERATIO_DOI_DB_URL": url,
        "DATACITE_URL": emulator.url,
        "DATACITE_REPOSITORY_ID": REPOSITORY_ID,
        "DATACITE_PASSWORD": PASSWORD,
        "DATACITE_PREFIX": PREFIX,
        "HERATIO_BASE_URL": "https://archive.example.org",
        "DATACITE_RATE_LIMIT_REQUESTS": "30000",
    }


def test_init_adopts_heratios_tables_and_leaves_the_catalogue_alone(
    heratio_site: sa.Engine, mariadb_url: str
) -> None:
    catalogue = _catalogue_state(heratio_site)
    heratio_columns = _column_definitions(heratio_site, HERATIO_SITE_TABLES)
    runner = CliRunner()

    first = runner.invoke(main, ["init"], env={"HERATIO_DOI_DB_URL": mariadb_url})
    second = runner.invoke(main, ["init"], env={"HERATIO_DOI_DB_URL": mariadb_url})

    assert first.exit_code == 0, first.output
    adopted = re.search(r"Adopted existing tables \(\d+\): (.*)", first.output)
    assert adopted is not None, first.output
    assert set(HERATIO_SITE_TABLES) <= set(adopted.group(1).split(", "))
    assert second.exit_code == 0 and "nothing changed" in second.output, second.output
    # Heratio's columns are exactly as its DDL made them: ENUMs, TINYINT(1), the generated
    # doi_url, defaults, collations; only the pipeline's nullable (or defaulted) ones are new.
    after = _column_definitions(heratio_site, HERATIO_SITE_TABLES)
    assert {key: after[key] for key in heratio_columns} == heratio_columns
    assert after[("ahg_doi_queue", "status")][0].startswith("enum(")
    assert "concat" in str(after[("ahg_doi", "doi_url")][4]).lower()
    added = {key for key in after if key not in heratio_columns}
    assert added and all(after[key][1] == "YES" or after[key][2] is not None for key in added)
    assert _catalogue_state(heratio_site) == catalogue


def test_a_full_mint_on_a_heratio_site(
    heratio_site: sa.Engine, mariadb_url: str, emulator: EmulatorHandle
) -> None:
    runner = CliRunner()
    env = _env(mariadb_url, emulator)
    assert runner.invoke(main, ["init"], env=env).exit_code == 0
    catalogue = _catalogue_state(heratio_site)

    queued = runner.invoke(main, ["enqueue", "mint", "--all-without-doi"], env=env)
    processed = runner.invoke(main, ["process", "--limit", "1000"], env=env)

    assert queued.exit_code == 0, queued.output
    assert processed.exit_code == 0, processed.output
    with heratio_site.connect() as conn:
        dois = conn.execute(sa.select(ahg_doi)).all()
        queue = conn.execute(
            sa.select(ahg_doi_queue.c.status, sa.func.count()).group_by(ahg_doi_queue.c.status)
        ).all()
        minted_log = conn.scalar(
            sa.select(sa.func.count()).where(
                ahg_doi_log.c.action == "mint", ahg_doi_log.c.status_after == "findable"
            )
        )
    findable = {row.doi.lower() for row in dois if row.status == "findable"}
    assert len(findable) >= 20
    # the pre-existing DOI Heratio minted is kept; the new ones are the emulator's
    heratio_row = next(row for row in dois if row.information_object_id == 450)
    assert heratio_row.doi == "10.1234/h/2024/450"
    remote = {doi.lower(): rec.state for doi, rec in emulator.state.dois.items()}
    assert set(remote) == findable - {heratio_row.doi.lower()}
    assert set(remote.values()) == {"findable"}
    assert all(row.doi_url == f"https://doi.org/{row.doi}" for row in dois)
    assert minted_log == len(remote)
    assert dict(queue).keys() <= {"completed", "failed"}  # values of Heratio's ENUM
    # reading the catalogue wrote nothing to it; the password went nowhere in the database
    assert _catalogue_state(heratio_site) == catalogue
    with heratio_site.connect() as conn:
        for table in sa.inspect(conn).get_table_names():
            if table.startswith(("ahg_", "heratio_doi_")):
                dump = str(conn.exec_driver_sql(f"SELECT * FROM `{table}`").all())
                assert PASSWORD not in dump, table


def test_settings_come_from_heratios_rows_and_the_environment_overrides_them(
    heratio_site: sa.Engine, mariadb_url: str
) -> None:
    assert (
        CliRunner().invoke(main, ["init"], env={"HERATIO_DOI_DB_URL": mariadb_url}).exit_code == 0
    )
    with heratio_site.begin() as conn:
        conn.execute(
            sa.insert(ahg_doi_config).values(
                repository_id=777,
                datacite_repo_id="REPO.OWN",
                datacite_prefix="10.99999",
                environment="production",
                is_active=True,
            )
        )

    global_settings = SettingsResolver(heratio_site).global_settings()
    own = SettingsResolver(heratio_site).for_repository(777)
    overridden = DataCiteAccess(
        heratio_site, environ={"DATACITE_PREFIX": "10.5072", "DATACITE_PASSWORD": PASSWORD}
    ).global_settings()
    with heratio_site.begin() as conn:
        conn.execute(sa.update(ahg_doi_config).values(is_active=False))
    from_ahg_settings = SettingsResolver(heratio_site).global_settings()

    # Heratio's global placeholder row (TINYINT is_active, ENUM environment, prefix 10.12345)
    # only fills what the admin screen's ahg_settings leave unset: their prefix wins
    assert (global_settings.prefix, global_settings.repository_id) == (
        "10.1234",
        "DATACITE.EXAMPLE",
    )
    assert global_settings.publisher == "Archive Repository"
    assert global_settings.config_source.startswith("ahg_settings over placeholder ahg_doi_config")
    assert (own.prefix, own.repository_id, own.environment) == (
        "10.99999",
        "REPO.OWN",
        "production",
    )
    assert (overridden.prefix, overridden.password) == ("10.5072", PASSWORD)
    # without an active config row, the doi group of ahg_settings
    assert from_ahg_settings.prefix == "10.1234"
    with heratio_site.connect() as conn:
        stored = str(conn.exec_driver_sql("SELECT * FROM ahg_settings").all())
        stored += str(conn.exec_driver_sql("SELECT * FROM ahg_doi_config").all())
    assert PASSWORD not in stored


def test_the_documented_grants_are_enough(
    heratio_site: sa.Engine, mariadb_url: str, emulator: EmulatorHandle
) -> None:
    """SELECT on the catalogue and ALL on the pipeline's own tables, as the README says."""
    url = sa.make_url(mariadb_url)
    user, password = f"doi_{secrets.token_hex(4)}", secrets.token_hex(8)
    pipeline_tables = [*metadata.tables, VERSION_TABLE]
    with heratio_site.begin() as conn:
        conn.exec_driver_sql(f"CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY '{password}'")
        conn.exec_driver_sql(f"GRANT SELECT ON `{url.database}`.* TO '{user}'@'127.0.0.1'")
        for table in pipeline_tables:
            conn.exec_driver_sql(
                f"GRANT ALL PRIVILEGES ON `{url.database}`.`{table}` TO '{user}'@'127.0.0.1'"
            )
    restricted = url.set(username=user, password=password).render_as_string(hide_password=False)
    catalogue = _catalogue_state(heratio_site)
    runner = CliRunner()
    env = _env(restricted, emulator)
    try:
        results = [
            runner.invoke(main, args, env=env)
            for args in (["init"], ["enqueue", "mint", "--all-without-doi"], ["process"])
        ]
        engine = make_engine(restricted)
        try:
            with (
                pytest.raises(sa.exc.OperationalError, match="command denied"),
                engine.begin() as conn,
            ):
                conn.exec_driver_sql("UPDATE information_object SET identifier = 'x'")
        finally:
            engine.dispose()
    finally:
        with heratio_site.begin() as conn:
            conn.exec_driver_sql(f"DROP USER '{user}'@'127.0.0.1'")

    for result in results:
        assert result.exit_code == 0, result.output
    assert emulator.stats()["dois_created"] >= 20
    assert _catalogue_state(heratio_site) == catalogue
