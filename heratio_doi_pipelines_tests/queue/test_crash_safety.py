"""Exactly-once minting with real worker processes on a database server.

Workers are separate processes (``support/worker.py``, the same service call as
``heratio-doi process``) minting against the emulator over HTTP. One test SIGKILLs a worker at
random moments of its batch, 25 times on each database server (fifty kills in the suite), and
recovers each time after the lease; another runs four workers over one queue. Both check the
emulator and ``ahg_doi`` for exactly one DOI per record, none lost, none left in processing.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from heratio_doi_pipelines.catalogue.reader import CatalogueReader
from heratio_doi_pipelines.clock import utcnow
from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.devtools.emulator import EmulatorConfig, EmulatorHandle, running_emulator
from heratio_doi_pipelines.devtools.sample_archive import generate_sample_archive
from heratio_doi_pipelines.metadata import MetadataContext, build_payload
from heratio_doi_pipelines.queue.enqueue import enqueue
from heratio_doi_pipelines.queue.processor import process_queue
from heratio_doi_pipelines.queue.transitions import claim_batch
from heratio_doi_pipelines.store.schema import init_database
from heratio_doi_pipelines.store.tables import ahg_doi, ahg_doi_log, ahg_doi_queue

REPOSITORY_ID = "HERATIO.CRASH"
PASSWORD = "crash-test-password"
WORKER = [sys.executable, "-m", "heratio_doi_pipelines_tests.support.worker"]
KILLS = 25  # per server backend: PostgreSQL and MariaDB make fifty SIGKILLs in the suite
MAX_TRIALS = 60  # a trial whose batch finished before the kill does not count as one
PER_TRIAL = 4
# The emulator is local: DataCite's test-system pacing (one request per 0.4 s) would only
# make each trial slower, not the crash points more varied.
RATE_LIMIT = {"rate_limit_requests": 30_000, "rate_limit_window_s": 300.0}


@pytest.fixture
def emulator() -> Iterator[EmulatorHandle]:
    config = EmulatorConfig(repository_id=REPOSITORY_ID, password=PASSWORD, latency_ms=60)
    with running_emulator(config) as handle:
        yield handle


def _worker_env(emulator: EmulatorHandle) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATACITE_URL=emulator.url,
        DATACITE_REPOSITORY_ID=REPOSITORY_ID,
        DATACITE_PASSWORD=PASSWORD,
        DATACITE_PREFIX="10.5072",
        HERATIO_BASE_URL="https://archive.example.org",
        DATACITE_RATE_LIMIT_REQUESTS=str(RATE_LIMIT["rate_limit_requests"]),
        DATACITE_RATE_LIMIT_WINDOW_S=str(RATE_LIMIT["rate_limit_window_s"]),
    )
    return env


def _overrides(emulator: EmulatorHandle) -> dict[str, object]:
    return {
        "datacite_url": emulator.url,
        "repository_id": REPOSITORY_ID,
        "password": PASSWORD,
        "base_url": "https://archive.example.org",
        **RATE_LIMIT,
    }


def _mintable_records(engine: sa.Engine, count: int) -> list[int]:
    """Records whose metadata is valid, so each must end with exactly one findable DOI."""
    reader = CatalogueReader(engine)
    ctx = MetadataContext(
        prefix="10.5072", publisher="Test", base_url="https://archive.example.org", year=2026
    )
    ids = []
    for record in reader.read_records(reader.records_without_doi()):
        if record.publication_status != "draft" and build_payload(record, ctx).ok:
            ids.append(record.id)
    assert len(ids) >= count, f"sample archive has only {len(ids)} mintable records"
    return ids[:count]


def _spawn_worker(url: str, env: dict[str, str], limit: int, lease_s: float) -> subprocess.Popen:
    """A worker process that imports everything, then waits for "go" (see ``_await_ready``)."""
    return subprocess.Popen(
        [*WORKER, url, str(limit), "2", str(lease_s)],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,  # a worker's traceback explains a failure
        text=True,
    )


def _await_ready(proc: subprocess.Popen) -> subprocess.Popen:
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def _start_worker(url: str, env: dict[str, str], limit: int, lease_s: float) -> subprocess.Popen:
    return _await_ready(_spawn_worker(url, env, limit, lease_s))


def _assert_exactly_once(engine: sa.Engine, emulator: EmulatorHandle, ids: list[int]) -> None:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(ahg_doi.c.information_object_id, ahg_doi.c.doi, ahg_doi.c.status).where(
                ahg_doi.c.information_object_id.in_(ids)
            )
        ).all()
        queue = conn.execute(
            sa.select(ahg_doi_queue.c.status, sa.func.count()).group_by(ahg_doi_queue.c.status)
        ).all()
    assert sorted(r.information_object_id for r in rows) == sorted(ids)
    assert {r.status for r in rows} == {"findable"}
    for row in rows:
        remote = emulator.state.doi(row.doi)
        assert remote is not None and remote.state == "findable"
        assert remote.created_count == 1
    assert dict(queue) == {"completed": dict(queue).get("completed", 0)}


def test_sigkill_at_random_points_never_loses_or_duplicates_a_doi(
    server_db_url: str, emulator: EmulatorHandle
) -> None:
    engine = make_engine(server_db_url)
    init_database(engine)
    generate_sample_archive(engine, records=MAX_TRIALS * PER_TRIAL * 2, seed=5)
    ids = _mintable_records(engine, MAX_TRIALS * PER_TRIAL)
    env = _worker_env(emulator)
    overrides = _overrides(emulator)
    rng = random.Random(20261126)
    killed_mid_batch = 0
    trials = 0
    worker = _start_worker(server_db_url, env, PER_TRIAL, 0.5)
    while killed_mid_batch < KILLS:
        assert trials < MAX_TRIALS, f"only {killed_mid_batch} of {trials} batches were killed"
        batch = ids[trials * PER_TRIAL : (trials + 1) * PER_TRIAL]
        trials += 1
        enqueue(engine, "mint", batch)
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
        time.sleep(rng.uniform(0.0, 0.3))
        if worker.poll() is None:
            worker.send_signal(signal.SIGKILL)
            killed_mid_batch += 1
        worker.wait()
        # the next worker imports while this trial recovers
        next_worker = (
            _spawn_worker(server_db_url, env, PER_TRIAL, 0.5) if killed_mid_batch < KILLS else None
        )
        # restart after the lease has lapsed: every item of the dead worker is due again
        process_queue(
            engine,
            engine,
            overrides=overrides,
            limit=100,
            now=lambda: utcnow() + timedelta(seconds=2),
        )
        _assert_exactly_once(engine, emulator, ids[: trials * PER_TRIAL])
        if next_worker is not None:
            worker = _await_ready(next_worker)
    assert killed_mid_batch == KILLS and trials <= 2 * KILLS
    assert emulator.stats()["dois_created"] == trials * PER_TRIAL
    engine.dispose()


def test_four_workers_process_each_item_exactly_once(
    server_db_url: str, emulator: EmulatorHandle
) -> None:
    engine = make_engine(server_db_url)
    init_database(engine)
    generate_sample_archive(engine, records=240, seed=9)
    ids = _mintable_records(engine, 160)
    enqueue(engine, "mint", ids)
    env = _worker_env(emulator)
    workers = [_start_worker(server_db_url, env, 1000, 600) for _ in range(4)]
    for proc in workers:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = [proc.communicate(timeout=120) for proc in workers]
    assert all(proc.returncode == 0 for proc in workers), [
        (proc.returncode, err) for proc, (_, err) in zip(workers, results, strict=True)
    ]
    outputs = [out for out, _ in results]
    # the work is shared: a claim that locked every due row would leave the others idle
    completed = [json.loads(out)["counts"]["completed"] for out in outputs]
    assert max(completed) <= len(ids) // 2, completed
    _assert_exactly_once(engine, emulator, ids)
    with engine.connect() as conn:
        mints = conn.execute(
            sa.select(ahg_doi_log.c.information_object_id, sa.func.count())
            .where(ahg_doi_log.c.action == "mint")
            .group_by(ahg_doi_log.c.information_object_id)
        ).all()
        claimed_by = conn.execute(
            sa.select(sa.func.count(sa.distinct(ahg_doi_queue.c.id))).where(
                ahg_doi_queue.c.status == "completed"
            )
        ).scalar_one()
    assert sorted(r[0] for r in mints) == sorted(ids) and {r[1] for r in mints} == {1}
    assert claimed_by == len(ids)
    puts = emulator.stats()["requests"]["PUT"]
    assert sum(puts.values()) == len(ids)
    engine.dispose()


def _item(engine: sa.Engine, record_id: int) -> sa.Row:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(ahg_doi_queue).where(ahg_doi_queue.c.information_object_id == record_id)
        ).one()


def _wait_for(condition: Callable[[], bool], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the worker"
        time.sleep(0.05)


def _go(proc: subprocess.Popen) -> None:
    assert proc.stdin is not None
    proc.stdin.write("go\n")
    proc.stdin.flush()


def _kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_an_item_that_kills_its_worker_every_time_ends_failed_at_max_attempts(
    db_url: str, emulator: EmulatorHandle
) -> None:
    engine = make_engine(db_url)
    init_database(engine)
    generate_sample_archive(engine, records=20, seed=5)
    [record_id] = _mintable_records(engine, 1)
    enqueue(engine, "mint", [record_id], max_attempts=3)
    emulator.set_latency(5000)  # the item is always in flight when its worker dies
    env = _worker_env(emulator)
    for attempt in range(1, 4):
        worker = _start_worker(db_url, env, 1, 1.0)
        _go(worker)
        _wait_for(lambda n=attempt: _item(engine, record_id).attempts == n)
        _kill(worker)
        _wait_for(lambda: _item(engine, record_id).lease_expires_at < utcnow())
    emulator.set_latency(0)
    report = process_queue(engine, engine, overrides=_overrides(emulator), limit=10)
    assert report.outcomes == []  # not claimed a fourth time
    row = _item(engine, record_id)
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.last_error == "worker stopped while processing, 3 times"
    assert all(rec.created_count == 1 for rec in emulator.state.dois.values())
    engine.dispose()


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_a_killed_workers_items_are_taken_over_after_its_lease_and_not_before(
    db_url: str, emulator: EmulatorHandle
) -> None:
    """A live worker keeps its items past the lease (heartbeat); once it is SIGKILLed, its
    items are due within one lease and another worker finishes them."""
    lease_s = 2.0
    engine = make_engine(db_url)
    init_database(engine)
    generate_sample_archive(engine, records=20, seed=5)
    ids = _mintable_records(engine, 4)
    enqueue(engine, "mint", ids)
    emulator.set_latency(3000)  # longer than the lease: only the heartbeat keeps the items
    worker = _start_worker(db_url, _worker_env(emulator), 4, lease_s)
    _go(worker)

    def claimed_by_worker() -> list[sa.Row]:
        return [row for row in (_item(engine, i) for i in ids) if row.status == "processing"]

    _wait_for(lambda: len(claimed_by_worker()) == 4)
    time.sleep(lease_s * 1.25)  # past the first lease: still held by the live worker
    assert claim_batch(engine, "intruder", 10) == []
    _kill(worker)
    killed_at = utcnow()
    held = claimed_by_worker()
    assert held, "the worker finished before it was killed"
    assert all(r.lease_expires_at <= killed_at + timedelta(seconds=lease_s + 1) for r in held)
    emulator.set_latency(0)
    time.sleep(2 * lease_s)  # two lease periods after the kill
    report = process_queue(engine, engine, overrides=_overrides(emulator), limit=10)
    assert sorted(o.record_id for o in report.outcomes) == sorted(
        r.information_object_id for r in held
    )
    assert {o.status for o in report.outcomes} == {"completed"}
    _assert_exactly_once(engine, emulator, ids)
    engine.dispose()
