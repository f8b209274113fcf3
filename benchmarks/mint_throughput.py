"""Minting throughput against the DataCite emulator (100 ms latency), measured side by side.

(a) With DataCite's limit compressed to 20 requests per 2 s at the emulator (10 requests/s),
    one worker mints N records in ten runs: its request rate while sending (first to last
    request) as a share of the limit, and the 429s of each run (``http_429_runs``, goal 0 in
    all ten). The budget's spacing gives up one request per window (see
    ``datacite/rate_limit.py``), so the share's ceiling is 19/20.
(d) Four worker processes (``--worker`` mode of this script: ``process_queue`` as
    ``heratio-doi process`` runs it) share one budget through the database, the emulator
    limited to 40 requests per 2 s: their accepted requests per second together over the whole
    run (go signal to the last exit), as a share of the limit, and their 429s.
(b) With no limit, at equal concurrency: the pipeline with one request in flight versus a
    naive sequential loop using the ``datacite`` PyPI package's REST client, minting the same
    kind of records (``same_concurrency_ratio``; the pipeline's extra work per mint, catalogue
    read, build, XSD validation and database writes, is what it has to win back).
(c) With no limit, the pipeline at concurrency 16 versus the emulator's raw capacity, measured
    by a bare concurrent load generator with the same concurrency sending the same payloads
    (``overhead_ratio``).

Every pipeline rate is given twice: over the whole run (claim to last outcome) and over the
sending period (first DataCite request to the last). ``cpu_ms_per_mint`` is the process CPU
time (all threads) of the pipeline per completed mint at concurrency 16.

The emulator runs in its own process (``heratio-doi emulator``). The last output line is one
JSON object. Usage: ``python benchmarks/mint_throughput.py [--records N] [--db URL]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

from heratio_doi_pipelines.catalogue.reader import CatalogueReader
from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.devtools.emulator import RemoteEmulator, start_emulator_process
from heratio_doi_pipelines.devtools.sample_archive import generate_sample_archive
from heratio_doi_pipelines.metadata import MetadataContext, Payload, build_payload
from heratio_doi_pipelines.queue.enqueue import enqueue
from heratio_doi_pipelines.queue.processor import process_queue
from heratio_doi_pipelines.store.schema import init_database

REPOSITORY_ID = "BENCH.REPO"
PASSWORD = "bench-password"
PREFIX = "10.5072"
BASE_URL = "https://archive.example.org"
LATENCY_MS = 100
LIMIT = (20, 2.0)  # (a): 10 requests/s, a compressed window
LIMIT_RPS = LIMIT[0] / LIMIT[1]
SINGLE_RUNS = 10
WORKERS = 4
WORKERS_LIMIT = (40, 2.0)  # (d): 20 requests/s for all workers together
CONCURRENCY = 16


def start_emulator() -> tuple[subprocess.Popen[str], str]:
    return start_emulator_process(
        repository_id=REPOSITORY_ID, password=PASSWORD, prefix=PREFIX, latency_ms=LATENCY_MS
    )


def mintable_payloads(engine: sa.Engine, count: int) -> list[Payload]:
    reader = CatalogueReader(engine)
    ctx = MetadataContext(prefix=PREFIX, publisher="Bench", base_url=BASE_URL, year=2026)
    payloads = []
    for records in reader.iter_records(reader.records_without_doi(), batch_size=500):
        for record in records:
            if record.publication_status == "draft":
                continue
            payload = build_payload(record, ctx)
            if payload.ok:
                payloads.append(payload)
        if len(payloads) >= count:
            break
    if len(payloads) < count:
        raise SystemExit(f"only {len(payloads)} mintable records; generate a larger archive")
    return payloads[:count]


def pipeline_run(
    engine: sa.Engine,
    url: str,
    record_ids: list[int],
    limit: tuple[int, float] | None,
    concurrency: int = CONCURRENCY,
) -> dict[str, float]:
    """Mint ``record_ids``: requests/s over the whole run and while sending, CPU ms per mint."""
    enqueue(engine, "mint", record_ids)
    overrides: dict[str, Any] = {
        "datacite_url": url,
        "repository_id": REPOSITORY_ID,
        "password": PASSWORD,
        "prefix": PREFIX,
        "base_url": BASE_URL,
    }
    if limit:  # without one, the emulator's host has no budget at all
        overrides.update(rate_limit_requests=limit[0], rate_limit_window_s=limit[1])
    cpu = time.process_time()
    start = time.perf_counter()
    report = process_queue(
        engine, engine, overrides=overrides, limit=len(record_ids), concurrency=concurrency
    )
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    completed = report.counts["completed"]
    if completed != len(record_ids):
        raise SystemExit(f"pipeline minted {completed} of {len(record_ids)}: {report.summary()}")
    return {
        "whole_run_rps": report.requests_sent / elapsed,
        "sending_rps": report.request_rate,
        "cpu_ms_per_mint": 1000 * cpu / completed,
    }


def worker_env(url: str, db_url: str, limit: tuple[int, float]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HERATIO_DOI_DB_URL=db_url,
        DATACITE_URL=url,
        DATACITE_REPOSITORY_ID=REPOSITORY_ID,
        DATACITE_PASSWORD=PASSWORD,
        DATACITE_PREFIX=PREFIX,
        HERATIO_BASE_URL=BASE_URL,
        DATACITE_RATE_LIMIT_REQUESTS=str(limit[0]),
        DATACITE_RATE_LIMIT_WINDOW_S=str(limit[1]),
    )
    return env


def worker_main(db_url: str, limit: int) -> None:
    """One worker process: imports, says ready, waits for a line, processes, prints its report."""
    engine = make_engine(db_url)
    print("ready", flush=True)
    sys.stdin.readline()
    report = process_queue(engine, engine, limit=limit, concurrency=CONCURRENCY)
    print(json.dumps({"completed": report.counts["completed"], "http_429": report.rate_limited}))


def workers_run(
    engine: sa.Engine, url: str, db_url: str, record_ids: list[int]
) -> dict[str, float]:
    """Mint ``record_ids`` with WORKERS processes sharing one budget."""
    enqueue(engine, "mint", record_ids)
    env = worker_env(url, db_url, WORKERS_LIMIT)
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", db_url, str(len(record_ids))],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(WORKERS)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    start = time.perf_counter()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    reports = [
        json.loads(proc.communicate(timeout=3600)[0].strip().splitlines()[-1]) for proc in procs
    ]
    elapsed = time.perf_counter() - start
    completed = sum(r["completed"] for r in reports)
    if completed != len(record_ids):
        raise SystemExit(f"workers minted {completed} of {len(record_ids)}")
    return {"accepted_rps": completed / elapsed, "http_429": sum(r["http_429"] for r in reports)}


def naive_run(url: str, payloads: list[Payload]) -> float:
    from datacite import DataCiteRESTClient

    client = DataCiteRESTClient(REPOSITORY_ID, PASSWORD, PREFIX, url=url, timeout=30)
    start = time.perf_counter()
    for payload in payloads:
        attributes = {k: v for k, v in payload.attributes.items() if k not in ("doi", "url")}
        client.public_doi(attributes, payload.attributes["url"], doi=payload.doi)
    return len(payloads) / (time.perf_counter() - start)


def raw_run(url: str, payloads: list[Payload]) -> float:
    bodies = [
        (p.doi, {"data": {"type": "dois", "attributes": {**p.attributes, "event": "publish"}}})
        for p in payloads
    ]
    lock = threading.Lock()
    position = [0]

    def worker() -> None:
        session = requests.Session()
        session.auth = (REPOSITORY_ID, PASSWORD)
        while True:
            with lock:
                if position[0] >= len(bodies):
                    return
                doi, body = bodies[position[0]]
                position[0] += 1
            resp = session.put(f"{url}/dois/{doi}", json=body, timeout=30)
            resp.raise_for_status()

    threads = [threading.Thread(target=worker) for _ in range(CONCURRENCY)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(bodies) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument(
        "--c1-records", type=int, default=0, help="records per concurrency-1 run (min(N, 200))"
    )
    parser.add_argument("--db", default="", help="database URL (default: a temporary SQLite)")
    parser.add_argument("--worker", nargs=2, metavar=("DB_URL", "LIMIT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(args.worker[0], int(args.worker[1]))
        return
    n = args.records
    c1_n = args.c1_records or min(n, 200)

    tmp = Path(tempfile.mkdtemp(prefix="mint-bench-"))
    os.environ.setdefault("HERATIO_DOI_DATA_DIR", str(tmp))
    db_url = args.db or f"sqlite:///{tmp / 'bench.db'}"
    engine = make_engine(db_url)
    init_database(engine)
    total = 4 * n + 2 * c1_n
    generate_sample_archive(engine, records=int((total + 1000) * 1.4), seed=99)
    payloads = mintable_payloads(engine, total)
    limited_ids = [p.record_id for p in payloads[:n]]
    free_ids = [p.record_id for p in payloads[n : 2 * n]]
    raw_payloads = payloads[2 * n : 3 * n]
    c1_ids = [p.record_id for p in payloads[3 * n : 3 * n + c1_n]]
    naive_payloads = payloads[3 * n + c1_n : 3 * n + 2 * c1_n]
    workers_ids = [p.record_id for p in payloads[3 * n + 2 * c1_n :]]

    proc, url = start_emulator()
    remote = RemoteEmulator(url)
    try:
        remote.configure(rate_limit=list(LIMIT), rate_limit_retry_after=True)
        print(f"[a] {n} mints in {SINGLE_RUNS} runs, {LIMIT[0]} per {LIMIT[1]:g} s ...", flush=True)
        # the rate while sending (first to last request), as DataCite's firewall sees it
        runs, http_429_runs = [], []
        size = max(1, n // SINGLE_RUNS)
        for i in range(SINGLE_RUNS):
            seen = int(remote.stats()["requests_by_status"].get("429", 0))
            ids = limited_ids[i * size : (i + 1) * size if i < SINGLE_RUNS - 1 else n]
            runs.append(pipeline_run(engine, url, ids, LIMIT))
            http_429_runs.append(int(remote.stats()["requests_by_status"].get("429", 0)) - seen)
        limited = {
            "sending_rps": sum(r["sending_rps"] for r in runs) / len(runs),
            "whole_run_rps": sum(r["whole_run_rps"] for r in runs) / len(runs),
        }
        http_429 = sum(http_429_runs)
        remote.configure(rate_limit=list(WORKERS_LIMIT), rate_limit_retry_after=True)
        print(f"[d] {n} mints, {WORKERS} worker processes, one budget ...", flush=True)
        seen = int(remote.stats()["requests_by_status"].get("429", 0))
        workers = workers_run(engine, url, db_url, workers_ids)
        workers_429 = int(remote.stats()["requests_by_status"].get("429", 0)) - seen
        remote.configure(rate_limit=None)

        print(f"[b] {c1_n} mints, no limit, concurrency 1: pipeline ...", flush=True)
        c1 = pipeline_run(engine, url, c1_ids, None, concurrency=1)
        print(f"[b] {c1_n} mints, no limit: naive sequential datacite client ...", flush=True)
        naive_rps = naive_run(url, naive_payloads)
        print(f"[c] {n} mints, no limit, concurrency {CONCURRENCY}: pipeline ...", flush=True)
        c16 = pipeline_run(engine, url, free_ids, None)
        print(f"[c] {n} PUTs, bare load generator, {CONCURRENCY} threads ...", flush=True)
        raw_rps = raw_run(url, raw_payloads)
    finally:
        remote.close()
        proc.terminate()
        proc.wait(timeout=10)
        engine.dispose()

    result = {
        "units": {
            "*_rps": "DataCite requests per second (one request per minted record)",
            "workers_rps_limited": "accepted requests/s of all workers, go signal to last exit",
            "whole_run": "from the first claim to the last outcome",
            "sending": "from the first DataCite request to the last",
            "cpu_ms_per_mint": "process CPU milliseconds (all threads) per completed mint",
            "latency_ms": "the emulator's added latency per request",
        },
        "limit_rps": LIMIT_RPS,
        "pipeline_rps_limited": round(limited["sending_rps"], 2),
        "pipeline_whole_run_rps_limited": round(limited["whole_run_rps"], 2),
        "share_of_limit": round(limited["sending_rps"] / LIMIT_RPS, 3),
        "http_429": http_429,
        "http_429_runs": http_429_runs,
        "workers": WORKERS,
        "workers_limit_rps": WORKERS_LIMIT[0] / WORKERS_LIMIT[1],
        "workers_rps_limited": round(workers["accepted_rps"], 2),
        "workers_share_of_limit": round(
            workers["accepted_rps"] / (WORKERS_LIMIT[0] / WORKERS_LIMIT[1]), 3
        ),
        "workers_http_429": max(workers_429, int(workers["http_429"])),
        "pipeline_c1_rps": round(c1["whole_run_rps"], 2),
        "pipeline_c1_sending_rps": round(c1["sending_rps"], 2),
        "naive_rps": round(naive_rps, 2),
        "same_concurrency_ratio": round(c1["whole_run_rps"] / naive_rps, 3),
        "pipeline_rps": round(c16["whole_run_rps"], 2),
        "pipeline_sending_rps": round(c16["sending_rps"], 2),
        "raw_rps": round(raw_rps, 2),
        "overhead_ratio": round(c16["whole_run_rps"] / raw_rps, 3),
        "speedup_vs_naive_c16_vs_c1": round(c16["whole_run_rps"] / naive_rps, 2),
        "cpu_ms_per_mint": round(c16["cpu_ms_per_mint"], 2),
        "cpu_ms_per_mint_c1": round(c1["cpu_ms_per_mint"], 2),
        "records": n,
        "c1_records": c1_n,
        "latency_ms": LATENCY_MS,
        "concurrency": CONCURRENCY,
        "measured_at": datetime.now().isoformat(timespec="seconds"),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
