"""One request budget per DataCite host, shared by every worker using the database.

Workers are separate processes (``support/worker.py``) against the emulator with its rate
limit on, the emulator counting per window as DataCite's firewall does. Windows are
compressed (20 requests per 2 s) so each test takes seconds.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from heratio_doi_pipelines.catalogue.reader import CatalogueReader
from heratio_doi_pipelines.datacite.client import DataCiteClient
from heratio_doi_pipelines.datacite.errors import NotFoundError
from heratio_doi_pipelines.datacite.rate_limit import Budget, SharedRateBudget
from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.devtools.emulator import (
    EmulatorConfig,
    EmulatorHandle,
    Fault,
    running_emulator,
)
from heratio_doi_pipelines.devtools.sample_archive import generate_sample_archive
from heratio_doi_pipelines.queue.enqueue import enqueue

REPOSITORY_ID = "HERATIO.BUDGET"
PASSWORD = "budget-test-pw"
LIMIT, WINDOW_S = 20, 2.0
WORKER = [sys.executable, "-m", "heratio_doi_pipelines_tests.support.worker"]
SERVER_AND_FILE = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def emulator() -> Iterator[EmulatorHandle]:
    config = EmulatorConfig(prefix="10.5072", repository_id=REPOSITORY_ID, password=PASSWORD)
    with running_emulator(config) as handle:
        handle.set_rate_limit(LIMIT, WINDOW_S, retry_after=True)
        yield handle


def _env(engine: sa.Engine, emulator: EmulatorHandle) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HERATIO_DOI_DB_URL=engine.url.render_as_string(hide_password=False),
        DATACITE_URL=emulator.url,
        DATACITE_REPOSITORY_ID=REPOSITORY_ID,
        DATACITE_PASSWORD=PASSWORD,
        DATACITE_PREFIX="10.5072",
        HERATIO_BASE_URL="https://archive.example.org",
        DATACITE_RATE_LIMIT_REQUESTS=str(LIMIT),
        DATACITE_RATE_LIMIT_WINDOW_S=str(WINDOW_S),
    )
    return env


def _queue_mints(engine: sa.Engine, count: int) -> list[int]:
    generate_sample_archive(engine, records=int(count * 1.6) + 20, seed=21)
    reader = CatalogueReader(engine, doi_engine=engine)
    ids: list[int] = []
    for batch in reader.iter_records(reader.records_without_doi(), batch_size=200):
        ids += [r.id for r in batch if r.publication_status != "draft"]
    assert len(ids) >= count
    enqueue(engine, "mint", ids[:count])
    return ids[:count]


def _start_workers(url: str, env: dict[str, str], n: int, limit: int) -> list[subprocess.Popen]:
    procs = [
        subprocess.Popen(
            [*WORKER, url, str(limit), "4", "60"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(n)
    ]
    for proc in procs:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line == "ready", proc.stderr.read() if proc.stderr else line
    return procs


def _go(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()


def _finish(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


@SERVER_AND_FILE
def test_four_workers_share_one_budget_without_a_429(
    engine: sa.Engine, db_url: str, emulator: EmulatorHandle
) -> None:
    mints = 120
    _queue_mints(engine, mints)
    procs = _start_workers(db_url, _env(engine, emulator), 4, mints)
    emulator.reset(dois=False, events=False, reports=False)
    with _arrivals(emulator) as seen:
        _go(procs)
        results = [_finish(p) for p in procs]
    stats = emulator.stats()
    assert sum(r["counts"]["completed"] for r in results) == mints
    assert sum(r["http_429"] for r in results) == 0
    assert stats["rate_limited"] == 0 and "429" not in stats["requests_by_status"]
    assert stats["max_requests_in_window"] <= LIMIT
    assert all("shared by every worker" in r["budget"] for r in results)
    # most of the budget was used while the workers were sending
    assert seen.rate() >= 0.75 * (LIMIT - 1) / WINDOW_S, (seen.rate(), stats)


def _rate_over(emulator: EmulatorHandle, seconds: float) -> float:
    """Requests per second the emulator received over the next ``seconds``."""
    before, t0 = emulator.stats()["total_requests"], time.monotonic()
    time.sleep(seconds)
    after, t1 = emulator.stats()["total_requests"], time.monotonic()
    return (after - before) / (t1 - t0)


class _Arrivals:
    """When the emulator's request count first and last moved (polled every 10 ms)."""

    def __init__(self) -> None:
        self.first: float | None = None
        self.last = 0.0
        self.count = 0

    def rate(self) -> float:
        assert self.first is not None and self.last > self.first
        return (self.count - 1) / (self.last - self.first)


@contextlib.contextmanager
def _arrivals(emulator: EmulatorHandle) -> Iterator[_Arrivals]:
    seen = _Arrivals()
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            count = int(emulator.stats()["total_requests"])
            now = time.monotonic()
            if count and seen.first is None:
                seen.first = now
            if count != seen.count:
                seen.count, seen.last = count, now
            time.sleep(0.01)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        stop.set()
        thread.join(timeout=5)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_killed_worker_gives_its_share_back_within_one_lease(
    engine: sa.Engine, db_url: str, emulator: EmulatorHandle
) -> None:
    mints = 110
    _queue_mints(engine, mints)
    procs = _start_workers(db_url, _env(engine, emulator), 4, mints)
    lease_s = SharedRateBudget(engine, "probe", Budget(LIMIT, WINDOW_S)).lease_s
    _go(procs)
    time.sleep(1.5)  # start-up: every worker sending
    four = _rate_over(emulator, 2.0)
    victim = procs[0]
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    time.sleep(lease_s)  # one lease period: the dead worker's starts are spent or given back
    three = _rate_over(emulator, 3.0)
    for proc in procs[1:]:
        _finish(proc)
    # the three live workers send as fast as the four did: the whole budget, not 3/4 of it
    assert three >= 0.85 * four, (three, four)
    assert three >= 0.6 * (LIMIT - 1) / WINDOW_S, (three, four)


@SERVER_AND_FILE
def test_a_429_with_retry_after_pauses_every_worker(
    engine: sa.Engine, db_url: str, emulator: EmulatorHandle
) -> None:
    budget = Budget(LIMIT, WINDOW_S)
    host = emulator.url.split("//", 1)[1]
    workers = []
    for _ in range(2):  # two workers: their own engines, limiters and clients, one database
        worker_engine = make_engine(db_url)
        limiter = SharedRateBudget(worker_engine, host, budget)
        workers.append(DataCiteClient(emulator.url, REPOSITORY_ID, PASSWORD, rate_limiter=limiter))
    first, second = workers
    emulator.set_faults(script=[Fault("429", retry_after=1.5)])
    errors: list[BaseException] = []

    def hit_the_limit() -> None:
        try:
            first.get_doi("10.5072/budget-1")
        except NotFoundError:
            pass  # answered after the pause
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=hit_the_limit)
    thread.start()
    deadline = time.monotonic() + 10
    while emulator.stats()["requests_by_status"].get("429", 0) == 0:
        assert time.monotonic() < deadline, "the scripted 429 never came"
        time.sleep(0.01)
    noticed = time.monotonic()
    with pytest.raises(NotFoundError):
        second.get_doi("10.5072/budget-2")
    waited = time.monotonic() - noticed
    thread.join(timeout=10)
    assert not errors
    assert first.rate_limited == 1 and second.rate_limited == 0
    assert waited >= 1.3  # the other worker waited out Retry-After too
    assert emulator.stats()["requests_by_status"].get("429", 0) == 1


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_a_budget_far_above_what_a_start_costs_still_sends(engine: sa.Engine) -> None:
    """With a spacing shorter than taking a start from the row (a very high limit), every
    start is "late": it is retaken once, then sent, never retaken for ever."""
    budget = SharedRateBudget(engine, "api.example.org", Budget(1_000_000, 1.0))
    sent: list[int] = []

    def worker() -> None:
        for _ in range(25):
            budget.acquire()
            sent.append(1)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert len(sent) == 100
