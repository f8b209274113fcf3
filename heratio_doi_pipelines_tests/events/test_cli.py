"""The usage and funding commands, end to end against a database and the emulator."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from heratio_doi_pipelines.cli.errors import OperatorErrorGroup
from heratio_doi_pipelines.cli.usage import register
from heratio_doi_pipelines.devtools.emulator import EmulatorHandle
from heratio_doi_pipelines.store.tables import ahg_settings
from heratio_doi_pipelines_tests.events.conftest import (
    PASSWORD,
    REPOSITORY_ID,
    TOKEN,
    described_records,
    give_dois,
)


@click.group(cls=OperatorErrorGroup)
def cli() -> None:
    """The commands as ``heratio-doi`` registers them."""


register(cli)


@pytest.fixture
def env(
    monkeypatch: pytest.MonkeyPatch, db_url: str, emulator: EmulatorHandle
) -> pytest.MonkeyPatch:
    for name, value in {
        "HERATIO_DOI_DB_URL": db_url,
        "DATACITE_URL": emulator.url,
        "DATACITE_REPOSITORY_ID": REPOSITORY_ID,
        "DATACITE_PASSWORD": PASSWORD,
        "DATACITE_API_TOKEN": TOKEN,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("DATACITE_EVENTS_URL", "DATACITE_EVENTS_API_VERSION", "DATACITE_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_backfill_flush_status_and_report_from_the_terminal(
    archive: sa.Engine, env: pytest.MonkeyPatch, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    give_dois(archive, described_records(archive)[:8])
    with archive.begin() as conn:  # the operator raised the cap on /admin/doi/config
        conn.execute(
            ahg_settings.insert().values(
                setting_key="doi_events_per_minute", setting_value="100000", setting_group="doi"
            )
        )
    log = tmp_path / "access.log.gz"
    code, out = _run(
        "metrics",
        "sample-log",
        "--out",
        str(log),
        "--lines",
        "3000",
        "--gzip",
        "--start",
        "2026-03-01",
        "--days",
        "5",
    )
    assert code == 0 and "wrote 3000 lines" in out
    code, out = _run("metrics", "backfill", "--log", str(log), "--since", "2026-03-02")
    assert code == 0, out
    assert "3000 lines in 1 file(s)" in out and "robot hits skipped" in out
    assert "usage events:" in out and "0 new" not in out

    code, out = _run("events", "status")
    assert code == 0 and out.splitlines()[0].split() == ["kind", "pending", "sent", "failed"]

    code, out = _run("events", "flush", "--limit", "5")
    assert code == 0 and "events: 5 sent (5 new, 0 updated)" in out
    code, out = _run("events", "flush")
    assert code == 0 and "0 failed" in out
    assert len(emulator.state.events) > 5

    code, out = _run("usage-report", "--month", "2026-03")
    assert code == 0 and "usage report 2026-03" in out and "accepted" in out
    assert len(emulator.state.reports) == 1


def test_flush_without_a_token_stops_with_the_message(
    events_engine: sa.Engine, env: pytest.MonkeyPatch
) -> None:
    from heratio_doi_pipelines.events.store import record_event, relation_event

    record_event(events_engine, relation_event("10.5072/a", "10.5072/b", "IsPartOf"))
    env.delenv("DATACITE_API_TOKEN")
    result = CliRunner().invoke(cli, ["events", "flush"])
    assert result.exit_code == 2
    assert "events need a DataCite Bearer token" in result.output
    code, out = _run("events", "status")
    assert "relation          1        0        0" in out


def test_funding_import_lists_rejections(
    archive: sa.Engine, env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    record = described_records(archive)[0]
    path = tmp_path / "funding.csv"
    path.write_text(
        "record_id,funder_name,funder_identifier,funder_identifier_type\n"
        f"{record},European Research Council,https://ror.org/013meh722,ROR\n"
        f"{record},Bad,https://ror.org/013meh723,ROR\n"
    )
    code, out = _run("funding", "import", str(path))
    assert code == 0
    assert "rejected line 3: funder_identifier" in out
    assert "2 rows: 1 imported, 0 updated, 0 unchanged, 1 rejected" in out


def test_commands_on_a_database_without_tables_say_how_to_fix_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HERATIO_DOI_DB_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = CliRunner().invoke(cli, ["events", "status"])
    assert result.exit_code == 1
    assert "DOI tables not found: run `heratio-doi init`" in result.output
