"""Every command reports a broken database or DataCite as one line, never a traceback."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from heratio_doi_pipelines import db
from heratio_doi_pipelines.cli import main
from heratio_doi_pipelines.devtools.emulator import EmulatorConfig, running_emulator
from heratio_doi_pipelines.store.schema import init_database
from heratio_doi_pipelines_tests.support.postgres import _local_postgres

# Every command that touches the database ("emulator" serves HTTP only), with arguments
# that make it do so; {tmp} is the test's folder.
COMMANDS = [
    ["init"],
    ["init", "--check"],
    ["enqueue", "mint", "--record", "2"],
    ["enqueue", "mint", "--all-without-doi"],
    ["enqueue", "update", "--all"],
    ["process"],
    ["sync"],
    ["sync", "--repair"],
    ["status"],
    ["show", "10.5072/r0/2026/2"],
    ["browse"],
    ["queue"],
    ["report", "--out", "{tmp}/reports"],
    ["metadata", "2"],
    ["sample", "--records", "2"],
    ["events", "flush"],
    ["events", "status"],
    ["metrics", "backfill", "{tmp}/access.log"],
    ["metrics", "sample-log", "--out", "{tmp}/sample.log"],
    ["funding", "import", "{tmp}/funding.csv"],
    ["usage-report", "--month", "2026-10"],
    ["linkcheck"],
    ["demo"],
]
IDS = [" ".join(c) for c in COMMANDS]


def _invoke(args: list[str], tmp_path: Path, *, verbose: bool = False) -> Result:
    (tmp_path / "access.log").write_text(
        '127.0.0.1 - - [01/Oct/2026:10:00:00 +0000] "GET /x HTTP/1.1" 200 1 "-" "curl"\n'
    )
    (tmp_path / "funding.csv").write_text("information_object_id,funder_name\n2,Fund\n")
    db.cached_engine.cache_clear()  # each invocation meets the database afresh
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    return CliRunner().invoke(main, (["-v"] if verbose else []) + argv)


def _assert_one_line_error(result: Result, cause: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.output
    assert cause in errors[0], errors[0]
    assert "[SQL" not in result.output and "parameters" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), repr(result.exception)


@pytest.fixture
def corrupt_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "heratio.db"
    path.write_bytes(b"this is not an SQLite database\n" * 200)
    monkeypatch.setenv("HERATIO_DOI_DB_URL", f"sqlite:///{path}")
    return path


@pytest.mark.parametrize("args", COMMANDS, ids=IDS)
def test_a_corrupt_sqlite_file(args: list[str], corrupt_sqlite: Path, tmp_path: Path) -> None:
    result = _invoke(args, tmp_path)
    _assert_one_line_error(result, "corrupt or not a database")
    assert str(corrupt_sqlite) in result.output  # names the setting and file to check


@pytest.fixture(scope="module")
def stopped_postgres() -> str:
    """A PostgreSQL server that held the DOI tables and has been stopped since."""
    with _local_postgres() as server:
        engine = sa.create_engine(server.admin_url, poolclass=sa.pool.NullPool)
        init_database(engine)
        engine.dispose()
        url = server.admin_url
    return url


@pytest.mark.parametrize("args", COMMANDS, ids=IDS)
def test_a_stopped_postgresql_server(
    args: list[str], stopped_postgres: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HERATIO_DOI_DB_URL", stopped_postgres)
    result = _invoke(args, tmp_path)
    _assert_one_line_error(result, "cannot reach the database server")
    assert "check that it is running" in result.output


@pytest.fixture
def locked_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A DOI database another process holds an exclusive lock on, past the busy timeout."""
    path = tmp_path / "heratio.db"
    engine = db.make_engine(f"sqlite:///{path}")
    init_database(engine)
    engine.dispose()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=DELETE")  # WAL would let readers past the lock
    holder.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_S", 0.2)
    monkeypatch.setenv("HERATIO_DOI_DB_URL", f"sqlite:///{path}")
    try:
        yield path
    finally:
        holder.rollback()
        holder.close()


@pytest.mark.parametrize("args", COMMANDS, ids=IDS)
def test_a_locked_sqlite_database(args: list[str], locked_sqlite: Path, tmp_path: Path) -> None:
    result = _invoke(args, tmp_path)
    _assert_one_line_error(result, "stayed locked for more than 0.2 s")


def test_verbose_shows_the_traceback(corrupt_sqlite: Path, tmp_path: Path) -> None:
    result = _invoke(["status"], tmp_path, verbose=True)
    assert result.exit_code == 1
    assert "Traceback" in result.output
    assert result.output.strip().splitlines()[-1].startswith("Error: the SQLite database")


@pytest.fixture
def doi_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'heratio.db'}"
    engine = db.make_engine(url)
    init_database(engine)
    engine.dispose()
    monkeypatch.setenv("HERATIO_DOI_DB_URL", url)
    monkeypatch.setenv("DATACITE_REPOSITORY_ID", "HERATIO.CLI")
    monkeypatch.setenv("DATACITE_PREFIX", "10.5072")
    return url


def test_sync_with_refused_credentials(
    doi_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = EmulatorConfig(repository_id="HERATIO.CLI", password="the-right-one")
    with running_emulator(config) as emulator:
        monkeypatch.setenv("DATACITE_URL", emulator.url)
        monkeypatch.setenv("DATACITE_PASSWORD", "a-wrong-password")
        result = _invoke(["sync"], tmp_path)
    _assert_one_line_error(result, "DataCite refused the credentials")
    assert "DATACITE_PASSWORD" in result.output and "a-wrong-password" not in result.output


def test_sync_when_datacite_cannot_be_reached(
    doi_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_emulator(EmulatorConfig()) as emulator:
        closed = emulator.url  # nothing listens there once the emulator has stopped
    monkeypatch.setenv("DATACITE_URL", closed)
    monkeypatch.setenv("DATACITE_PASSWORD", "pw")
    result = _invoke(["sync"], tmp_path)
    _assert_one_line_error(result, "DataCite could not be reached")
    assert "DATACITE_URL" in result.output
