"""The sensors' queries read indexes, never a whole table: PostgreSQL's plans for the
due-items and catalogue-change queries, with sequential scans priced out, show no Seq Scan
and no unbounded index walk."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from heratio_doi_pipelines.catalogue import atom_tables
from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.devtools.sample_archive import generate_sample_archive
from heratio_doi_pipelines.queue.auto_mint import latest_change, queue_catalogue_changes
from heratio_doi_pipelines.queue.enqueue import enqueue
from heratio_doi_pipelines.queue.transitions import claim_batch, due_by_action
from heratio_doi_pipelines.store.schema import init_database
from heratio_doi_pipelines.store.tables import ahg_settings
from heratio_doi_pipelines_tests.support.postgres import PostgresServer

WATCHED = ("ahg_doi_queue", "object", "information_object")


@contextmanager
def captured(engine: sa.Engine) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def keep(_conn, _cursor, statement, parameters, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", keep)


def _full_scans(node: dict[str, Any], limited: bool = False) -> list[str]:
    """Plan nodes that read a watched table whole: a Seq Scan, or an index scan with no
    condition that no LIMIT above it stops early."""
    found = []
    relation = node.get("Relation Name")
    if relation in WATCHED:
        kind = node["Node Type"]
        bounded = "Index Cond" in node or limited
        if kind == "Seq Scan" or (kind.startswith("Index") and not bounded):
            found.append(f"{kind} on {relation}")
    limited = limited or node["Node Type"] == "Limit"
    for child in node.get("Plans", []):
        found += _full_scans(child, limited)
    return found


def _plans(engine: sa.Engine, statements: list[tuple[str, Any]]) -> dict[str, list[str]]:
    plans = {}
    with engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")  # small tables: else always a Seq Scan
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            if not any(f" {table}" in statement for table in WATCHED):
                continue
            (plan,) = conn.exec_driver_sql(
                "EXPLAIN (FORMAT JSON) " + statement, parameters
            ).scalar_one()
            plans[statement] = _full_scans(plan["Plan"])
    return plans


def test_due_items_and_catalogue_change_queries_use_indexes(pg_server: PostgresServer) -> None:
    with pg_server.fresh_database() as url:
        engine = make_engine(url)
        init_database(engine)
        generate_sample_archive(engine, records=60, seed=5)
        enqueue(engine, "mint", range(1, 400))
        enqueue(engine, "verify", range(1, 50))
        with engine.begin() as conn:
            conn.execute(
                ahg_settings.update()
                .where(ahg_settings.c.setting_key == "auto_mint")
                .values(setting_value="1")
            )
        obj = atom_tables.object_
        with engine.begin() as conn:  # the cursor: the newest change of anything so far
            newest = conn.execute(sa.select(sa.func.max(obj.c.updated_at))).scalar_one()
        with engine.begin() as conn:  # an archivist edits three descriptions after it
            edited = conn.execute(
                sa.select(atom_tables.information_object.c.id)
                .order_by(atom_tables.information_object.c.id.desc())
                .limit(3)
            ).scalars()
            conn.execute(
                obj.update()
                .where(obj.c.id.in_(list(edited)))
                .values(updated_at=newest + timedelta(minutes=1))
            )
            conn.exec_driver_sql("ANALYZE")
        since = newest.isoformat()
        with captured(engine) as statements:
            assert latest_change(engine) == newest + timedelta(minutes=1)
            due = due_by_action(engine)
            changes = queue_catalogue_changes(engine, engine, since)
        assert {s.action for s in due} == {"mint", "verify"} and changes.minted == 3
        plans = _plans(engine, statements)
        engine.dispose()
    due_queries = [s for s in plans if "ahg_doi_queue" in s and "count" in s.lower()]
    change_queries = [s for s in plans if "updated_at" in s]
    assert due_queries and len(change_queries) == 2  # the newest change, and what changed since
    assert {s: scans for s, scans in plans.items() if scans} == {}


def _sorts(node: dict[str, Any]) -> list[str]:
    found = [node["Node Type"]] if node["Node Type"] in ("Sort", "Incremental Sort") else []
    for child in node.get("Plans", []):
        found += _sorts(child)
    return found


def test_a_claim_reads_due_items_in_queue_order_from_an_index(pg_server: PostgresServer) -> None:
    """Each part of a claim (due pending items, lapsed items) is read in queue order from an
    index and stops after the chunk: no sort of every pending item, no full scan."""
    with pg_server.fresh_database() as url:
        engine = make_engine(url)
        init_database(engine)
        enqueue(engine, "mint", range(1, 400))
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        with captured(engine) as statements:
            claimed = claim_batch(engine, "worker", 10)
        assert [item.information_object_id for item in claimed] == list(range(1, 11))
        parts = [(s, p) for s, p in statements if "FOR UPDATE" in s]
        with engine.connect() as conn:
            conn.exec_driver_sql("SET enable_seqscan = off")
            plans = [
                conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + s, p).scalar_one()[0]["Plan"]
                for s, p in parts
            ]
        engine.dispose()
    assert len(plans) == 2  # the pending part and the lapsed part
    pending_plan = plans[0]
    assert _sorts(pending_plan) == [] and _full_scans(pending_plan) == []


def test_a_claim_on_sqlite_walks_the_claim_index(tmp_path: Any) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'claim.db'}")
    init_database(engine)
    enqueue(engine, "mint", range(1, 200))
    with captured(engine) as statements:
        claimed = claim_batch(engine, "worker", 10)
    assert [item.information_object_id for item in claimed] == list(range(1, 11))
    (update, parameters) = next((s, p) for s, p in statements if s.lstrip().startswith("UPDATE"))
    with engine.connect() as conn:
        plan = [row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + update, parameters)]
    engine.dispose()
    assert any("idx_ahg_doi_queue_claim" in step for step in plan), plan
    # only the merge of the two parts' chunks is sorted, never the pending items
    assert sum("TEMP B-TREE" in step for step in plan) <= 1, plan
