"""``heratio-doi show / browse / queue / report`` against a real database."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from heratio_doi_pipelines.cli import main
from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.store.errors import TABLES_MISSING_MESSAGE
from heratio_doi_pipelines_tests.reports.conftest import Archive


@pytest.fixture
def cli(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("HERATIO_DOI_DB_URL", engine.url.render_as_string(hide_password=False))
    return CliRunner()


def _archive(archive: Archive) -> int:
    archive.repository(100, "MA", {"en": "Municipal Archive"})
    archive.record(10, repository_id=100, title="Town council fonds")
    archive.record(11, parent_id=10, title="Minute book, 1890–1895")
    doi_id = archive.doi(11, doi="10.5072/MA/2026/11", minted_at=datetime(2026, 10, 2, 9, 0))
    archive.doi(10, status="draft", minted_at=None)
    archive.log(doi_id, 11, "mint", datetime(2026, 10, 2, 9, 0), "draft", "findable", {"doi": 1})
    archive.log(doi_id, 11, "update", datetime(2026, 10, 9, 9, 0))
    archive.queue_item(12, "failed", attempts=3, last_error="HTTP 422: title missing")
    archive.queue_item(13, "in_progress", started_at=datetime(2026, 10, 1))
    return doi_id


def test_show_prints_record_state_timestamps_and_log(archive: Archive, cli: CliRunner) -> None:
    _archive(archive)

    result = cli.invoke(main, ["show", "https://doi.org/10.5072/ma/2026/11"])

    assert result.exit_code == 0, result.output
    out = result.output
    assert "10.5072/MA/2026/11" in out
    assert "Minute book, 1890–1895" in out and "findable" in out
    assert "2026-10-02 09:00:00" in out
    assert "Activity log (2 entries)" in out
    assert out.index("mint") < out.index("update")
    assert "draft -> findable" in out


def test_show_unknown_doi_is_a_plain_error(archive: Archive, cli: CliRunner) -> None:
    result = cli.invoke(main, ["show", "10.5072/missing"])
    assert result.exit_code == 1
    assert "DOI not found: 10.5072/missing" in result.output
    assert "Traceback" not in result.output


def test_browse_with_state_filter_and_pages(archive: Archive, cli: CliRunner) -> None:
    _archive(archive)

    everything = cli.invoke(main, ["browse"])
    drafts = cli.invoke(main, ["browse", "--state", "draft"])
    beyond = cli.invoke(main, ["browse", "--page", "99"])

    assert everything.exit_code == 0, everything.output
    lines = everything.output.splitlines()
    assert "10.5072/MA/2026/11" in lines[2]  # minted first, the never-minted draft after
    assert "page 1 of 1 (2 DOIs)" in everything.output
    assert "Town council fonds" in drafts.output and "2026/11" not in drafts.output
    assert "page 1 of 1 (1 draft DOIs)" in drafts.output
    assert "there is no page 99: showing the last page. page 1 of 1 (2 DOIs)" in beyond.output
    assert "10.5072/MA/2026/11" in beyond.output  # the last page's rows, not an empty table
    assert cli.invoke(main, ["browse", "--page", "0"]).exit_code == 2


def test_queue_shows_counts_and_filters(archive: Archive, cli: CliRunner) -> None:
    _archive(archive)

    everything = cli.invoke(main, ["queue"])
    failed = cli.invoke(main, ["queue", "--status", "failed"])
    processing = cli.invoke(main, ["queue", "--status", "processing"])

    assert everything.exit_code == 0, everything.output
    assert "failed: 1" in everything.output and "in_progress: 1" in everything.output
    assert "HTTP 422: title missing" in failed.output and "(1 items)" in failed.output
    assert "3/3" in failed.output
    assert "in_progress" in processing.output and "(1 items)" in processing.output


def test_report_writes_both_csvs(archive: Archive, cli: CliRunner, tmp_path: Path) -> None:
    _archive(archive)
    out = tmp_path / "out"

    result = cli.invoke(main, ["report", "--out", str(out)])

    assert result.exit_code == 0, result.output
    paths = [Path(line) for line in result.output.splitlines()]
    assert paths[:2] == [out / "doi_monthly.csv", out / "doi_by_repository.csv"]
    assert all(path.exists() for path in paths)
    assert len(pd.read_csv(paths[0])) == 24
    assert pd.read_csv(paths[1])["total"].tolist() == [2]


def test_report_defaults_to_the_data_folder(archive: Archive, cli: CliRunner, tmp_path) -> None:
    result = cli.invoke(main, ["report"])
    assert result.exit_code == 0, result.output
    assert Path(result.output.splitlines()[0]) == tmp_path / "data" / "reports" / "doi_monthly.csv"


def test_missing_tables_give_the_setup_message(tmp_path: Path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    make_engine(url).dispose()
    monkeypatch.setenv("HERATIO_DOI_DB_URL", url)

    for args in (["show", "10.5072/x"], ["browse"], ["queue"], ["report"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1
        assert TABLES_MISSING_MESSAGE in result.output
