"""The sample archive: deterministic, AtoM-shaped, messy on purpose, and readable in batches."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import idutils
import pytest
import sqlalchemy as sa

from heratio_doi_pipelines.catalogue import atom_tables as t
from heratio_doi_pipelines.catalogue import constants as c
from heratio_doi_pipelines.catalogue.reader import CatalogueReader
from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.devtools import sample_archive
from heratio_doi_pipelines.devtools.sample_archive import (
    INVALID_ORCID,
    MESSY_KINDS,
    SIDECAR_TABLES,
    SampleSummary,
    generate_sample_archive,
)
from heratio_doi_pipelines.store import tables as ahg

ALL_TABLES = [*t.metadata.sorted_tables, *SIDECAR_TABLES]


def _canonical(value: Any) -> Any:
    if isinstance(value, Decimal | float):
        return round(float(value), 6)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _dump(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    dump: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in ALL_TABLES:
            key = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(sa.select(table).order_by(*key)).all()
            dump[table.name] = [tuple(_canonical(v) for v in row) for row in rows]
    return dump


def _check_nested_set(engine: sa.Engine) -> None:
    io = t.information_object
    with engine.connect() as conn:
        rows = {
            r.id: r for r in conn.execute(sa.select(io.c.id, io.c.parent_id, io.c.lft, io.c.rgt))
        }
    bounds = sorted(b for r in rows.values() for b in (r.lft, r.rgt))
    assert bounds == list(range(1, 2 * len(rows) + 1)), "lft/rgt must be a gap-free nested set"
    for row in rows.values():
        assert row.lft < row.rgt
        if row.parent_id is not None:
            parent = rows[row.parent_id]
            assert parent.lft < row.lft and row.rgt < parent.rgt


def test_same_arguments_give_identical_rows_on_every_backend(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(db_url)
    reference = make_engine(f"sqlite:///{tmp_path / 'reference.db'}")
    second = generate_sample_archive(reference, records=150, seed=7)  # written in one go
    # Written a few fonds at a time (as a million-record archive is): the same rows.
    monkeypatch.setattr(sample_archive, "FLUSH_ROWS", 300)
    first = generate_sample_archive(engine, records=150, seed=7)
    assert first == second
    assert _dump(engine) == _dump(reference)
    other = make_engine(f"sqlite:///{tmp_path / 'other-seed.db'}")
    generate_sample_archive(other, records=150, seed=8)
    assert _dump(other)["information_object_i18n"] != _dump(reference)["information_object_i18n"]
    for eng in (engine, reference, other):
        eng.dispose()


def test_archive_shape(db_url: str) -> None:
    engine = make_engine(db_url)
    summary = generate_sample_archive(engine, records=400, seed=3)
    assert summary.records == 400
    assert summary.repositories >= 5
    assert summary.published + summary.drafts == 400 and summary.drafts > 0
    assert 0.04 <= summary.messy / summary.records <= 0.12
    _check_nested_set(engine)

    io, slug = t.information_object, t.slug
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(io)).scalar_one() == 401
        root = conn.execute(sa.select(io).where(io.c.id == 1)).one()
        assert (root.parent_id, root.lft) == (None, 1)
        ids = conn.execute(sa.select(io.c.id).where(io.c.id != 1)).scalars().all()
        assert (min(ids), max(ids)) == (summary.first_id, summary.last_id)
        slugs = conn.execute(sa.select(slug.c.slug)).scalars().all()
        assert len(slugs) == len(set(slugs))
        # descriptions below a fonds inherit their repository, as in AtoM
        assert (
            conn.execute(
                sa.select(sa.func.count()).where(
                    io.c.parent_id != 1, io.c.repository_id.is_not(None)
                )
            ).scalar_one()
            == 0
        )
        orcids = (
            conn.execute(
                sa.select(ahg.ahg_actor_identifier.c.identifier_value).where(
                    ahg.ahg_actor_identifier.c.identifier_type == "orcid"
                )
            )
            .scalars()
            .all()
        )
        isnis = (
            conn.execute(
                sa.select(ahg.ahg_actor_identifier.c.identifier_value).where(
                    ahg.ahg_actor_identifier.c.identifier_type == "isni"
                )
            )
            .scalars()
            .all()
        )
        funders = conn.execute(
            sa.select(
                ahg.ahg_io_funding.c.funder_identifier,
                ahg.ahg_io_funding.c.funder_identifier_type,
            )
        ).all()
        polygons = (
            conn.execute(
                sa.select(ahg.ahg_place_coords.c.polygon_json).where(
                    ahg.ahg_place_coords.c.polygon_json.is_not(None)
                )
            )
            .scalars()
            .all()
        )
        zero_dates = conn.execute(
            sa.select(sa.func.count()).where(t.event.c.start_date == "0000-00-00")
        ).scalar_one()
        partial_dates = conn.execute(
            sa.select(sa.func.count()).where(t.event.c.start_date.like("%-00"))
        ).scalar_one()
    assert summary.orcids == len(orcids) >= 3
    valid = [
        o
        for o in orcids
        if idutils.is_orcid(o.replace("https://orcid.org/", "").replace("orcid.org/", ""))
    ]
    assert len(valid) == len(orcids) - 1
    assert any(INVALID_ORCID in o for o in orcids)
    assert isnis and all(idutils.is_isni(i) for i in isnis)
    assert funders
    for identifier, kind in funders:
        if kind == "ROR":
            assert idutils.is_ror(identifier)
        elif kind == "ISNI":
            assert idutils.is_isni(identifier)
        elif kind == "Crossref Funder ID":
            assert identifier.startswith("https://doi.org/10.13039/")
    for polygon in polygons:
        ring = json.loads(polygon)
        assert ring[0] == ring[-1]
    assert zero_dates > 0 and partial_dates > 0
    engine.dispose()


def test_every_messy_kind_reads_back(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'messy.db'}")
    summary = generate_sample_archive(engine, records=1500, seed=42)
    assert set(summary.messy_by_kind) == set(MESSY_KINDS)
    assert summary.creatorless_fonds >= 1
    reader = CatalogueReader(engine)
    records = [r for batch in reader.iter_records(reader.all_record_ids()) for r in batch]
    assert len(records) == 1500
    assert any(r.title is None for r in records)
    assert any(r.reference_code is None for r in records)
    assert any(e.start_date == "0000-00-00" for r in records for e in r.events)
    assert any(
        len(r.scope_and_content or "") > 10_000 and "<p>" in (r.scope_and_content or "")
        for r in records
    )
    assert any(any("\u0370" <= ch <= "\u03ff" for ch in r.title or "") for r in records)
    assert any("\x07" in (r.title or "") for r in records)
    assert any(r.creators == () for r in records)
    assert any(r.creators_inherited_from is not None for r in records)
    assert any(r.digital_objects and len(r.digital_objects) == 3 for r in records)
    assert any(r.geolocation for r in records)
    assert any(r.funding for r in records)
    assert any(r.exhibition_urls for r in records)
    assert summary.exhibition_placements > 0
    assert sum(len(r.exhibition_ids) for r in records) == summary.exhibition_placements
    assert any(len(r.exhibition_ids) == 2 for r in records)
    assert any(r.parent_slug and r.parent_publication_status == "published" for r in records)
    assert any(p.box for r in records for p in r.places)
    assert any(p.polygon for r in records for p in r.places)
    assert any(r.publication_status == "draft" for r in records)
    assert any(r.languages == ("english",) or r.languages == ("??",) for r in records)
    assert any(a.orcid for r in records for a in r.creators)
    fonds = [r for r in records if r.level_of_description == "Fonds"]
    assert all(r.reference_code and r.reference_code.count(" ") >= 1 for r in fonds if r.identifier)
    engine.dispose()


def test_reader_issues_the_same_queries_for_10_and_500_records(db_url: str) -> None:
    engine = make_engine(db_url)
    generate_sample_archive(engine, records=620, seed=11)
    reader = CatalogueReader(engine)
    ids = reader.all_record_ids()
    reader.read_records(ids[:3])  # the one-off schema probe happens here
    assert len(reader.read_records(ids[:10])) == 10
    small = reader.last_batch_queries
    assert len(reader.read_records(ids[100:600])) == 500
    large = reader.last_batch_queries
    assert small == large
    assert large <= 15
    before = reader.queries_issued
    batches = list(reader.iter_records(ids, batch_size=500))
    assert [len(b) for b in batches] == [500, 120]
    assert reader.queries_issued - before <= 2 * 15
    engine.dispose()


def test_appending_to_an_existing_archive(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'append.db'}")
    first = generate_sample_archive(engine, records=120, seed=1)
    second = generate_sample_archive(engine, records=80, seed=2)
    assert not first.appended and second.appended
    assert first.last_id is not None and second.first_id is not None
    assert second.first_id > first.last_id
    assert second.repositories == 0  # reused by code
    _check_nested_set(engine)
    reader = CatalogueReader(engine)
    assert len(reader.all_record_ids()) == 200
    with engine.connect() as conn:
        fonds_codes = (
            conn.execute(
                sa.select(t.information_object.c.identifier).where(
                    t.information_object.c.parent_id == c.ROOT_INFORMATION_OBJECT_ID
                )
            )
            .scalars()
            .all()
        )
    assert len(fonds_codes) == len(set(fonds_codes))
    engine.dispose()


def test_summary_text() -> None:
    summary = SampleSummary(
        records=3,
        first_id=10,
        last_id=12,
        fonds=1,
        repositories=1,
        actors=2,
        orcids=1,
        published=2,
        drafts=1,
        digital_objects=0,
        funding_rows=0,
        geolocations=0,
        exhibitions=0,
        messy=0,
        creatorless_fonds=0,
        appended=False,
    )
    assert str(summary) == "3 descriptions (ids 10..12) in 1 fonds, 2 published, 1 drafts, 0 messy"
    assert "3 descriptions" in summary.as_text()


def test_negative_record_count_is_refused(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(ValueError):
        generate_sample_archive(engine, records=-1)
    engine.dispose()
