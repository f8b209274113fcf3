"""Enqueue, claim, lease and release on every backend, without DataCite."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from heratio_doi_pipelines.clock import utcnow
from heratio_doi_pipelines.queue.backoff import next_attempt_at
from heratio_doi_pipelines.queue.enqueue import enqueue, open_items
from heratio_doi_pipelines.queue.transitions import (
    DEFAULT_LEASE,
    LeaseHeartbeat,
    claim_batch,
    count_due,
    due_by_action,
    end_abandoned,
    reclaim_heratio_in_progress,
    release,
    renew_leases,
    resend,
    retry,
)
from heratio_doi_pipelines.store.dois import write_log
from heratio_doi_pipelines.store.tables import ahg_doi_log, ahg_doi_queue


def _rows(engine: sa.Engine) -> list[sa.Row]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(ahg_doi_queue).order_by(ahg_doi_queue.c.id)))


def test_enqueue_keeps_one_open_item_per_record_and_action(engine: sa.Engine) -> None:
    first = enqueue(engine, "mint", [10, 11, 11, 12], target_state="registered")
    again = enqueue(engine, "mint", [11, 13])
    other = enqueue(engine, "verify", [11])
    assert first.queued == [10, 11, 12]
    assert again.queued == [13] and again.already_queued == [11]
    assert other.queued == [11]
    rows = _rows(engine)
    assert [(r.information_object_id, r.action) for r in rows] == [
        (10, "mint"),
        (11, "mint"),
        (12, "mint"),
        (13, "mint"),
        (11, "verify"),
    ]
    assert rows[0].target_state == "registered" and rows[3].target_state == "findable"
    assert open_items(engine, "mint") == {"pending": 4}


def test_enqueue_stores_pipeline_actions_in_heratio_vocabulary(engine: sa.Engine) -> None:
    enqueue(engine, "deactivate", [5])
    enqueue(engine, "reinstate", [6])
    rows = _rows(engine)
    assert [(r.action, r.pipeline_action) for r in rows] == [
        ("delete", "deactivate"),
        ("update", "reinstate"),
    ]
    claimed = claim_batch(engine, "w", 10, actions=["deactivate"])
    assert [c.action for c in claimed] == ["deactivate"]


def test_unknown_action_and_state_are_refused(engine: sa.Engine) -> None:
    with pytest.raises(ValueError, match="unknown action"):
        enqueue(engine, "explode", [1])
    with pytest.raises(ValueError, match="unknown target state"):
        enqueue(engine, "mint", [1], target_state="public")


def test_claim_takes_each_item_once_and_counts_the_attempt(engine: sa.Engine) -> None:
    enqueue(engine, "mint", range(1, 21))
    a = claim_batch(engine, "worker-a", 8)
    b = claim_batch(engine, "worker-b", 100)
    assert len(a) == 8 and len(b) == 12
    assert not {i.id for i in a} & {i.id for i in b}
    assert all(i.attempts == 1 for i in a + b)
    assert claim_batch(engine, "worker-c", 5) == []
    rows = _rows(engine)
    assert {r.status for r in rows} == {"processing"}
    assert {r.claimed_by for r in rows} == {"worker-a", "worker-b"}


def test_concurrent_claims_never_overlap(engine: sa.Engine) -> None:
    enqueue(engine, "mint", range(1, 201))
    taken: list[list[int]] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        while True:
            items = claim_batch(engine, name, 7)
            if not items:
                return
            with lock:
                taken.append([i.id for i in items])

    threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    flat = [i for chunk in taken for i in chunk]
    assert len(flat) == 200 and len(set(flat)) == 200


def test_a_lapsed_lease_makes_the_item_due_again(engine: sa.Engine) -> None:
    enqueue(engine, "mint", [1, 2])
    start = utcnow()
    claimed = claim_batch(engine, "crashed", 10, lease=timedelta(seconds=30), now=start)
    assert len(claimed) == 2
    assert claim_batch(engine, "other", 10, now=start + timedelta(seconds=10)) == []
    again = claim_batch(engine, "other", 10, now=start + timedelta(seconds=31))
    assert [i.attempts for i in again] == [2, 2]
    assert {r.claimed_by for r in _rows(engine)} == {"other"}


def test_release_returns_items_without_spending_attempts(engine: sa.Engine) -> None:
    enqueue(engine, "mint", [1, 2, 3])
    claimed = claim_batch(engine, "w", 3)
    assert release(engine, [c.id for c in claimed[1:]], "w") == 2
    assert release(engine, [claimed[0].id], "someone-else") == 0
    rows = _rows(engine)
    assert [(r.status, r.attempts) for r in rows] == [
        ("processing", 1),
        ("pending", 0),
        ("pending", 0),
    ]


def test_future_items_are_not_due(engine: sa.Engine) -> None:
    enqueue(engine, "mint", [1, 2])
    enqueue(engine, "verify", [3])
    later = utcnow() + timedelta(hours=1)
    with engine.begin() as conn:
        conn.execute(
            ahg_doi_queue.update()
            .where(ahg_doi_queue.c.information_object_id == 2)
            .values(scheduled_at=later)
        )
    assert count_due(engine) == 2
    summaries = {s.action: s for s in due_by_action(engine)}
    assert summaries["mint"].count == 1 and summaries["verify"].count == 1
    assert summaries["mint"].run_key != summaries["verify"].run_key


def test_heratio_in_progress_rows_are_left_alone(engine: sa.Engine) -> None:
    """Heratio's own processor marks claimed rows in_progress: they are in flight."""
    with engine.begin() as conn:
        conn.execute(
            ahg_doi_queue.insert().values(
                information_object_id=9, action="mint", status="in_progress", attempts=1
            )
        )
    assert claim_batch(engine, "w", 10) == []
    assert enqueue(engine, "mint", [9]).already_queued == [9]


def test_linear_backoff_is_five_minutes_times_attempt() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0)
    assert next_attempt_at(now, 1) == now + timedelta(minutes=5)
    assert next_attempt_at(now, 2) == now + timedelta(minutes=10)
    assert next_attempt_at(now, 3) == now + timedelta(minutes=15)


def test_higher_priority_items_are_claimed_first(engine: sa.Engine) -> None:
    """Heratio's queue: a higher priority is processed first, then the oldest due item."""
    enqueue(engine, "mint", [1, 2])
    enqueue(engine, "mint", [3], priority=200)
    enqueue(engine, "mint", [4], priority=50)
    order = []
    while items := claim_batch(engine, "w", 1):
        order.extend(i.information_object_id for i in items)
    assert order == [3, 1, 2, 4]


def test_a_lapsed_item_on_its_last_attempt_ends_failed_instead_of_being_claimed(
    engine: sa.Engine,
) -> None:
    enqueue(engine, "mint", [1], max_attempts=3)
    start = utcnow()
    lease = timedelta(seconds=30)
    for n in range(3):  # three workers die in turn while holding it
        at = start + n * timedelta(minutes=1)
        assert [i.attempts for i in claim_batch(engine, f"dead-{n}", 5, lease=lease, now=at)] == [
            n + 1
        ]
    later = start + timedelta(minutes=5)
    assert claim_batch(engine, "live", 5, now=later) == []
    assert end_abandoned(engine, later) == [_rows(engine)[0].id]
    row = _rows(engine)[0]
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.last_error == "worker stopped while processing, 3 times"
    assert row.claimed_by is None and row.lease_expires_at is None
    with engine.connect() as conn:
        logs = conn.execute(sa.select(ahg_doi_log.c.action, ahg_doi_log.c.details)).all()
    assert [(a, d["outcome"], d["error"]) for a, d in logs] == [
        ("mint", "failed", "worker stopped while processing, 3 times")
    ]
    assert end_abandoned(engine, later) == []  # once only


def test_abandoned_count_leaves_out_attempts_that_had_an_outcome(engine: sa.Engine) -> None:
    enqueue(engine, "mint", [1], max_attempts=2)
    start = utcnow()
    item = claim_batch(engine, "w", 1, now=start)[0]
    with engine.begin() as conn:  # the first attempt ended in a transient error
        retry(conn, item, "DataCite answered 503", start)
        write_log(
            conn,
            doi_id=None,
            information_object_id=1,
            action="mint",
            status_before=None,
            status_after=None,
            details={"queue_item": item.id, "attempt": 1, "outcome": "retry"},
            now=start,
        )
    later = next_attempt_at(start, 1)
    claim_batch(engine, "dies", 1, lease=timedelta(seconds=5), now=later)
    end_abandoned(engine, later + timedelta(minutes=1))
    assert _rows(engine)[0].last_error == "worker stopped while processing, 1 times"


def test_the_heartbeat_keeps_a_live_workers_items_and_a_dead_ones_lapse(
    engine: sa.Engine,
) -> None:
    enqueue(engine, "mint", [1, 2])
    lease = timedelta(seconds=1)
    live = claim_batch(engine, "live", 1, lease=lease)
    dead = claim_batch(engine, "dead", 1, lease=lease)
    with LeaseHeartbeat(engine, "live", lease) as heartbeat:
        heartbeat.track([i.id for i in live])
        time.sleep(2.5)  # more than two lease periods
        taken = claim_batch(engine, "other", 5, lease=timedelta(minutes=1))
    assert [i.id for i in taken] == [dead[0].id]
    assert heartbeat.failures == 0
    assert {r.id: r.claimed_by for r in _rows(engine)} == {live[0].id: "live", dead[0].id: "other"}


def test_renew_leases_touches_only_the_workers_own_items(engine: sa.Engine) -> None:
    enqueue(engine, "mint", [1, 2])
    now = utcnow()
    mine = claim_batch(engine, "me", 1, now=now)
    theirs = claim_batch(engine, "them", 1, now=now)
    later = now + timedelta(seconds=40)
    assert renew_leases(engine, "me", [mine[0].id, theirs[0].id], now=later) == 1
    leases = {r.id: r.lease_expires_at for r in _rows(engine)}
    assert leases[mine[0].id] == later + DEFAULT_LEASE
    assert leases[theirs[0].id] == now + DEFAULT_LEASE


def test_heratio_in_progress_rows_are_reclaimed_after_the_stale_age(engine: sa.Engine) -> None:
    now = utcnow()
    with engine.begin() as conn:
        for record_id, started in ((9, now - timedelta(hours=2)), (10, now - timedelta(minutes=5))):
            conn.execute(
                ahg_doi_queue.insert().values(
                    information_object_id=record_id,
                    action="mint",
                    status="in_progress",
                    attempts=1,
                    started_at=started,
                )
            )
    reclaimed = reclaim_heratio_in_progress(engine, now)
    assert len(reclaimed) == 1
    rows = {r.information_object_id: r for r in _rows(engine)}
    assert rows[9].status == "pending" and rows[10].status == "in_progress"
    assert [i.information_object_id for i in claim_batch(engine, "w", 5, now=now)] == [9]
    with engine.connect() as conn:
        details = conn.execute(sa.select(ahg_doi_log.c.details)).scalars().all()
    assert len(details) == 1 and details[0]["outcome"] == "reclaimed"
    assert "Heratio's processor" in details[0]["note"] and "1 hour" in details[0]["note"]
    assert reclaim_heratio_in_progress(engine, now, stale_after=timedelta(minutes=1)) == [
        rows[10].id
    ]


def test_retry_and_resend_schedule_the_linear_back_off(engine: sa.Engine) -> None:
    enqueue(engine, "mint", [1, 2])
    now = utcnow()
    first, second = claim_batch(engine, "w", 2, now=now)
    with engine.begin() as conn:
        retry(conn, first, "503", now)
        resend(conn, second, "DataCite holds it as draft", now)
    rows = _rows(engine)
    assert [(r.status, r.attempts, r.scheduled_at) for r in rows] == [
        ("pending", 1, now + timedelta(minutes=5)),
        ("pending", 0, now + timedelta(minutes=5)),
    ]
