"""Minting throughput against the DataCite emulator (100 ms latency), measured side by side.

(a) With DataCite's production limit scaled to 10 requests/s at the emulator, the pipeline
    mints N records: its request rate while sending (first to last request) as a share of the
    limit, and the number of 429s.
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
from heratio_doi_pipelines.devtools.emulator import RemoteEmulator
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
LIMIT_RPS = 10
CONCURRENCY = 16


def start_emulator() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "heratio_doi_pipelines.cli",
            "emulator",
            "--port",
            "0",
            "--latency-ms",
            str(LATENCY_MS),
            "--repository-id",
            REPOSITORY_ID,
            "--password",
            PASSWORD,
            "--prefix",
            PREFIX,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    url = next(word for word in line.split() if word.startswith("http://"))
    return proc, url


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
        "rate_limit_requests": limit[0] if limit else 1_000_000,
        "rate_limit_window_s": limit[1] if limit else 1.0,
    }
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
    args = parser.parse_args()
    n = args.records
    c1_n = args.c1_records or min(n, 200)

    tmp = Path(tempfile.mkdtemp(prefix="mint-bench-"))
    os.environ.setdefault("HERATIO_DOI_DATA_DIR", str(tmp))
    engine = make_engine(args.db or f"sqlite:///{tmp / 'bench.db'}")
    init_database(engine)
    total = 3 * n + 2 * c1_n
    generate_sample_archive(engine, records=int((total + 1000) * 1.4), seed=99)
    payloads = mintable_payloads(engine, total)
    limited_ids = [p.record_id for p in payloads[:n]]
    free_ids = [p.record_id for p in payloads[n : 2 * n]]
    raw_payloads = payloads[2 * n : 3 * n]
    c1_ids = [p.record_id for p in payloads[3 * n : 3 * n + c1_n]]
    naive_payloads = payloads[3 * n + c1_n :]

    proc, url = start_emulator()
    remote = RemoteEmulator(url)
    try:
        remote.configure(rate_limit=[LIMIT_RPS, 1.0], rate_limit_retry_after=True)
        print(f"[a] {n} mints with a {LIMIT_RPS} req/s limit at {url} ...", flush=True)
        # the rate while sending (first to last request), as DataCite's firewall sees it
        limited = pipeline_run(engine, url, limited_ids, (LIMIT_RPS, 1.0))
        http_429 = int(remote.stats()["requests_by_status"].get("429", 0))
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
