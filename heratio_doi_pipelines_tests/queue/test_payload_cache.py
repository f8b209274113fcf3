"""The payload cache: a canonical content hash of what the build reads, and stored payloads
reused only while that hash matches."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import sqlalchemy as sa

from heratio_doi_pipelines.catalogue.records import Actor, Place
from heratio_doi_pipelines.metadata import build_payload
from heratio_doi_pipelines.queue.payload_cache import cached_payloads, save_payloads, source_hash
from heratio_doi_pipelines_tests.metadata.factories import context, record

NOW = datetime(2026, 3, 1, tzinfo=UTC).replace(tzinfo=None)


def test_source_hash_is_canonical_across_processes() -> None:
    rec = record(extra={"b": "2", "a": "1"}, places=(Place(3, "Cape Town", -33.9, 18.4),))
    ctx = context(publisher_by_repository={5: "Archives", 2: "Library"})
    code = (
        "from heratio_doi_pipelines.catalogue.records import Place;"
        "from heratio_doi_pipelines.queue.payload_cache import source_hash;"
        "from heratio_doi_pipelines_tests.metadata.factories import context, record;"
        "print(source_hash(record(extra={'a': '1', 'b': '2'}, "
        "places=(Place(3, 'Cape Town', -33.9, 18.4),)), "
        "context(publisher_by_repository={2: 'Library', 5: 'Archives'})))"
    )
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert other == source_hash(rec, ctx)  # dict order and hash seed make no difference


def test_source_hash_changes_with_anything_the_build_reads() -> None:
    base = source_hash(record(), context())
    assert source_hash(record(title="Other papers"), context()) != base
    assert source_hash(record(creators=(Actor(7, "Smith, J.", 132),)), context()) != base
    assert source_hash(record(), context(publisher="Another publisher")) != base
    assert source_hash(record(), context(year=2027)) != base


def test_stored_payload_is_reused_only_while_its_source_is_unchanged(
    engine: sa.Engine,
) -> None:
    first, second = record(id=1), record(id=2, title=None)
    ctx = context()
    payloads = [build_payload(first, ctx), build_payload(second, ctx)]
    assert (
        save_payloads(
            engine,
            [(p, source_hash(r, ctx)) for p, r in zip(payloads, (first, second), strict=True)],
            NOW,
        )
        == 2
    )

    edited = record(id=2, title="Now with a title")
    with engine.connect() as conn:
        found = cached_payloads(conn, {1: (first, ctx), 2: (edited, ctx), 3: (record(id=3), ctx)})
    assert list(found) == [1]  # 2 was edited since, 3 was never built
    reused = found[1]
    assert reused.attributes == payloads[0].attributes
    assert reused.xml == payloads[0].xml
    assert reused.payload_hash == payloads[0].payload_hash
    assert reused.warnings == payloads[0].warnings and reused.errors == []

    # Storing again replaces the record's row instead of adding one.
    save_payloads(engine, [(build_payload(edited, ctx), source_hash(edited, ctx))], NOW)
    with engine.connect() as conn:
        assert set(cached_payloads(conn, {2: (edited, ctx)})) == {2}
        count = conn.execute(sa.text("SELECT COUNT(*) FROM heratio_doi_payload")).scalar()
    assert count == 2
