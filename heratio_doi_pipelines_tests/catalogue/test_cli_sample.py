"""``heratio-doi sample --records N --seed S``."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from heratio_doi_pipelines.catalogue.reader import CatalogueReader
from heratio_doi_pipelines.cli import main
from heratio_doi_pipelines.db import make_engine


def test_sample_command_writes_the_archive(db_url: str) -> None:
    result = CliRunner().invoke(main, ["sample", "--records", "60", "--seed", "5", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "sample archive: 60 descriptions" in result.output
    engine = make_engine(db_url)
    assert len(CatalogueReader(engine).all_record_ids()) == 60
    engine.dispose()


def test_sample_command_uses_the_catalogue_url(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'catalogue.db'}"
    monkeypatch.setenv("HERATIO_CATALOGUE_DB_URL", url)
    runner = CliRunner()
    assert runner.invoke(main, ["sample", "--records", "20"]).exit_code == 0
    again = runner.invoke(main, ["sample", "--records", "10", "--seed", "9"])
    assert again.exit_code == 0, again.output
    assert "appended" in again.output
    engine = make_engine(url)
    assert len(CatalogueReader(engine).all_record_ids()) == 30
    engine.dispose()


def test_sample_command_needs_a_positive_count() -> None:
    result = CliRunner().invoke(main, ["sample", "--records", "0"])
    assert result.exit_code != 0
    assert "--records" in result.output
