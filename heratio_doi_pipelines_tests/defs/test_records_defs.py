"""The records group: validated payloads stored for the sending steps, and the pre-flight
report with its check, materialised with real resources."""

from __future__ import annotations

import csv
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.defs.records.assets import (
    doi_metadata_payloads,
    metadata_preflight_report,
)
from heratio_doi_pipelines.defs.shared.resources import DataCite, HeratioDatabase
from heratio_doi_pipelines.devtools.sample_archive import generate_sample_archive
from heratio_doi_pipelines.queue import payload_cache
from heratio_doi_pipelines.queue.batch_mint import enqueue_mint_batch
from heratio_doi_pipelines.store.schema import init_database
from heratio_doi_pipelines.store.tables import ahg_settings, heratio_doi_payload


def _site(tmp_path: Path) -> tuple[sa.Engine, dict[str, object]]:
    url = f"sqlite:///{tmp_path / 'site.db'}"
    engine = make_engine(url)
    init_database(engine)
    generate_sample_archive(engine, records=60, seed=21)
    resources = {
        "heratio_db": HeratioDatabase(doi_db_url=url),
        "datacite": DataCite(base_url="https://archive.example.org"),
    }
    return engine, resources


def test_payloads_of_queued_records_are_validated_and_stored(tmp_path: Path) -> None:
    engine, resources = _site(tmp_path)
    queued = enqueue_mint_batch(engine, engine, all_without_doi=True, cap=10_000)
    result = dg.materialize([doi_metadata_payloads], resources=resources)
    assert result.success
    meta = result.asset_materializations_for_node("doi_metadata_payloads")[0].metadata
    counts = {k: v.value for k, v in meta.items() if k != "preview"}
    assert counts["records"] == queued.count
    assert counts["valid"] + counts["rejected"] == queued.count
    assert counts["rejected"] > 0 and "draft" in str(meta["preview"].value)
    with engine.connect() as conn:
        stored = conn.execute(sa.select(heratio_doi_payload)).all()
    assert len(stored) == queued.count
    valid = [r for r in stored if not r.errors]
    assert len(valid) == counts["valid"]
    assert all(r.xml and r.xml.startswith("<?xml") for r in valid)
    assert all(r.attributes["url"].startswith("https://archive.example.org/") for r in valid)


def test_preflight_report_lists_rejections_and_its_check_warns(tmp_path: Path) -> None:
    engine, resources = _site(tmp_path)
    result = dg.materialize([metadata_preflight_report], resources=resources)
    assert result.success
    meta = result.asset_materializations_for_node("metadata_preflight_report")[0].metadata
    path = Path(str(meta["rejections_csv"].value))
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert len(rows) == meta["rejected"].value > 0
    assert all(row["errors"] for row in rows)
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    check = checks["no_rejected_records"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert checks["settings_fit_the_site"].passed  # the default tombstone URL is the record's
    assert "settings_warnings" not in meta


def test_preflight_warns_when_tombstones_would_leave_the_site(tmp_path: Path) -> None:
    engine, resources = _site(tmp_path)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(ahg_settings).values(
                setting_key="doi_tombstone_url_pattern",
                setting_value="https://old-catalogue.example.org/doi/tombstone/{doi}",
                setting_group="doi",
            )
        )
    result = dg.materialize([metadata_preflight_report], resources=resources)
    assert result.success  # a warning, not a failure
    meta = result.asset_materializations_for_node("metadata_preflight_report")[0].metadata
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    check = checks["settings_fit_the_site"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    expected = (
        "sends tombstoned DOIs to old-catalogue.example.org, not to the catalogue's host "
        "'archive.example.org' (base_url)"
    )
    assert expected in str(check.description)
    assert expected in str(meta["settings_warnings"].value)


def test_preflight_in_worker_processes_writes_the_same_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, resources = _site(tmp_path)
    monkeypatch.setattr(payload_cache, "PREFLIGHT_CHUNK", 7)  # several chunks per worker
    reports = {}
    for workers in (1, 2):
        config = {"ops": {"metadata_preflight_report": {"config": {"workers": workers}}}}
        result = dg.materialize([metadata_preflight_report], resources=resources, run_config=config)
        assert result.success
        meta = result.asset_materializations_for_node("metadata_preflight_report")[0].metadata
        counts = {k: meta[k].value for k in ("records", "valid", "rejected", "warned")}
        reports[workers] = (counts, Path(str(meta["rejections_csv"].value)).read_text())
    assert reports[2] == reports[1]
    assert reports[1][0]["records"] == 60 and reports[1][0]["rejected"] > 0
