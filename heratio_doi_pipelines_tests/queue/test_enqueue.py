"""One open queue item per record and action, kept by the database on every backend."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import sqlalchemy as sa

from heratio_doi_pipelines.queue.actions import MINT, UPDATE
from heratio_doi_pipelines.queue.enqueue import bulk_requested, enqueue
from heratio_doi_pipelines.store.tables import ahg_doi_queue

q = ahg_doi_queue
ENQUEUER = [sys.executable, "-m", "heratio_doi_pipelines_tests.support.enqueuer"]
TRIALS = 10
RECORDS_PER_TRIAL = 40


def _open_items(engine: sa.Engine) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        return [
            (r.information_object_id, r.pipeline_action)
            for r in conn.execute(
                sa.select(q.c.information_object_id, q.c.pipeline_action)
                .where(q.c.status.in_(("pending", "processing", "in_progress")))
                .order_by(q.c.information_object_id, q.c.id)
            )
        ]


def test_a_second_enqueue_reports_already_queued(engine: sa.Engine) -> None:
    first = enqueue(engine, MINT, [1, 2, 3])
    second = enqueue(engine, MINT, [3, 2, 4, 4])

    assert (first.queued, first.already_queued) == ([1, 2, 3], [])
    assert (second.queued, second.already_queued) == ([4], [3, 2])
    assert enqueue(engine, UPDATE, [1]).queued == [1]  # another action is its own item
    assert _open_items(engine) == [
        (1, "mint"),
        (1, "update"),
        (2, "mint"),
        (3, "mint"),
        (4, "mint"),
    ]


def test_a_closed_item_does_not_block_a_new_one(engine: sa.Engine) -> None:
    enqueue(engine, MINT, [1, 2])
    with engine.begin() as conn:
        conn.execute(q.update().where(q.c.information_object_id == 1).values(status="completed"))
        conn.execute(q.update().where(q.c.information_object_id == 2).values(status="failed"))

    again = enqueue(engine, MINT, [1, 2])

    assert again.queued == [1, 2]
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(q)) == 4


def test_the_database_refuses_a_second_open_item(engine: sa.Engine) -> None:
    enqueue(engine, MINT, [7])
    row = {"information_object_id": 7, "action": "mint", "pipeline_action": "mint"}

    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(q.insert().values(status="pending", **row))
    with engine.begin() as conn:  # a closed one is history, not an open item
        conn.execute(q.insert().values(status="completed", **row))
        conn.execute(q.insert().values(status="failed", **row))
    assert _open_items(engine) == [(7, "mint")]


def test_heratios_own_open_rows_count_and_stay_unconstrained(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        # Heratio's processor marks claimed rows in_progress and writes no pipeline_action;
        # its screens may insert a record twice, as they always could.
        conn.execute(q.insert().values(information_object_id=5, action="mint", status="pending"))
        conn.execute(q.insert().values(information_object_id=5, action="mint", status="pending"))
        conn.execute(q.insert().values(information_object_id=6, action="delete", status="pending"))
        conn.execute(
            q.insert().values(information_object_id=8, action="mint", status="in_progress")
        )

    result = enqueue(engine, MINT, [5, 6, 8, 9])

    assert (result.queued, result.already_queued) == ([6, 9], [5, 8])
    assert enqueue(engine, "deactivate", [6]).already_queued == [6]


def test_items_queued_in_bulk_mode_ask_for_the_bulk_budget_while_open(engine: sa.Engine) -> None:
    enqueue(engine, MINT, [1])
    with engine.begin() as conn:  # Heratio's own rows ask for nothing (NULL)
        conn.execute(q.insert().values(information_object_id=9, action="update", status="pending"))
    assert not bulk_requested(engine)

    assert enqueue(engine, UPDATE, [2, 3], bulk=True).queued == [2, 3]
    assert enqueue(engine, UPDATE, [3, 4]).queued == [4]  # an open item keeps its request
    with engine.connect() as conn:
        asked = dict(
            conn.execute(sa.select(q.c.information_object_id, q.c.bulk).order_by(q.c.id)).all()
        )
    assert asked == {1: False, 9: None, 2: True, 3: True, 4: False}
    assert bulk_requested(engine) and bulk_requested(engine, [UPDATE])
    assert not bulk_requested(engine, [MINT])

    with engine.begin() as conn:
        conn.execute(q.update().where(q.c.bulk.is_(True)).values(status="completed"))
    assert not bulk_requested(engine, [UPDATE])


def test_concurrent_enqueues_make_one_open_item_per_record(db_url: str, engine: sa.Engine) -> None:
    """Two processes enqueue the same records at the same moment, trial after trial."""
    procs = [
        subprocess.Popen(
            [*ENQUEUER, db_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        for trial in range(TRIALS):
            first = 1000 + trial * RECORDS_PER_TRIAL
            for proc in procs:
                assert proc.stdin is not None
                proc.stdin.write(f"{first} {RECORDS_PER_TRIAL}\n")
            for proc in procs:
                assert proc.stdin is not None
                proc.stdin.flush()
            results = []
            for proc in procs:
                assert proc.stdout is not None
                line = proc.stdout.readline()
                assert line, f"enqueuer stopped: {proc.communicate(timeout=30)[1]}"
                results.append(json.loads(line))
            records = set(range(first, first + RECORDS_PER_TRIAL))
            a, b = (set(r["queued"]) for r in results)
            assert not a & b, f"trial {trial}: both processes queued {sorted(a & b)}"
            assert a | b == records
            for result, other in ((results[0], b), (results[1], a)):
                assert set(result["already"]) == other
    finally:
        for proc in procs:
            if proc.stdin:
                proc.stdin.close()
        for proc in procs:
            proc.wait(timeout=60)
    opened = _open_items(engine)
    assert len(opened) == len(set(opened)) == TRIALS * RECORDS_PER_TRIAL


def test_upgrading_closes_open_duplicates_an_earlier_enqueue_left(engine: sa.Engine) -> None:
    from alembic import command

    from heratio_doi_pipelines.store.schema import alembic_config, init_database

    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0004")
    with engine.begin() as conn:
        for status in ("pending", "processing", "pending", "completed"):
            conn.execute(
                q.insert().values(
                    information_object_id=3, action="mint", pipeline_action="mint", status=status
                )
            )
        conn.execute(q.insert().values(information_object_id=4, action="mint", status="pending"))
        conn.execute(q.insert().values(information_object_id=4, action="mint", status="pending"))

    init_database(engine)

    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(q.c.id, q.c.information_object_id, q.c.status, q.c.last_error).order_by(
                q.c.id
            )
        ).all()
    assert [(r.information_object_id, r.status) for r in rows] == [
        (3, "completed"),
        (3, "processing"),  # the one a worker holds is kept
        (3, "completed"),
        (3, "completed"),
        (4, "pending"),  # Heratio's rows are left as they are
        (4, "pending"),
    ]
    kept = rows[1].id
    assert (
        rows[0].last_error
        == rows[2].last_error
        == (f"closed as a duplicate of open queue item {kept}")
    )
    assert rows[3].last_error is None
    assert enqueue(engine, MINT, [3]).already_queued == [3]
