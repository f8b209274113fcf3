"""``heratio-doi metadata RECORD_ID [--format json|xml]`` against a sample catalogue on SQLite."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from heratio_doi_pipelines.catalogue.reader import CatalogueReader
from heratio_doi_pipelines.catalogue.records import CatalogueRecord
from heratio_doi_pipelines.cli import main
from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.devtools.sample_archive import generate_sample_archive
from heratio_doi_pipelines.metadata import build_payload, context_from_settings, validate_xml
from heratio_doi_pipelines.settings import DoiSettings
from heratio_doi_pipelines.store.schema import init_database

BASE_URL = "https://archive.example.org"


@pytest.fixture
def catalogue(tmp_path: Path) -> Iterator[tuple[str, list[CatalogueRecord]]]:
    url = f"sqlite:///{tmp_path / 'heratio.db'}"
    engine = make_engine(url)
    init_database(engine)
    generate_sample_archive(engine, records=40, seed=11)
    reader = CatalogueReader(engine)
    records = reader.read_records(reader.all_record_ids())
    engine.dispose()
    yield url, records


def _run(url: str, *args: str):  # type: ignore[no-untyped-def]
    env = {"HERATIO_DOI_DB_URL": url, "HERATIO_BASE_URL": BASE_URL}
    return CliRunner().invoke(main, ["metadata", *args], env=env)


def _split(records: list[CatalogueRecord]) -> tuple[CatalogueRecord, CatalogueRecord]:
    ctx = context_from_settings(DoiSettings(base_url=BASE_URL), year=2026)
    good = next(r for r in records if build_payload(r, ctx).ok)
    draft = next(r for r in records if (r.publication_status or "").lower() == "draft")
    return good, draft


def test_prints_the_json_body_that_would_be_sent(catalogue) -> None:  # type: ignore[no-untyped-def]
    url, records = catalogue
    good, _ = _split(records)
    result = _run(url, str(good.id))
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    attributes = body["data"]["attributes"]
    assert body["data"]["type"] == "dois"
    assert attributes["doi"].startswith("10.5072/")
    assert attributes["url"] == f"{BASE_URL}/{good.slug}"
    assert attributes["event"] == "publish"
    assert attributes["creators"] and attributes["titles"]


def test_prints_valid_kernel_xml(catalogue) -> None:  # type: ignore[no-untyped-def]
    url, records = catalogue
    good, _ = _split(records)
    result = _run(url, str(good.id), "--format", "xml")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("<?xml")
    assert validate_xml(result.stdout.encode("utf-8")) == []


def test_a_draft_prints_the_reason_and_exits_1(catalogue) -> None:  # type: ignore[no-untyped-def]
    url, records = catalogue
    _, draft = _split(records)
    result = _run(url, str(draft.id))
    assert result.exit_code == 1
    assert (
        "record is a draft in the catalogue (publication status draft): not made findable"
        in result.stderr
    )
    assert result.stdout == ""


def test_an_unknown_record_is_a_plain_error(catalogue) -> None:  # type: ignore[no-untyped-def]
    url, _ = catalogue
    result = _run(url, "999999")
    assert result.exit_code == 1
    assert "record 999999 not found in the catalogue" in result.output
    assert "Traceback" not in result.output
