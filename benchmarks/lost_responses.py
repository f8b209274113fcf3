"""Minting under lost responses: DataCite stores the PUT, then the connection drops.

The emulator drops the answer to 30% of PUTs after storing them (``--rate``). The queue is
processed round after round (the back-off skipped between rounds) until it drains. Then every
record confirmed locally must be findable at the emulator and every findable DOI confirmed
locally, no item may have failed, and no DOI may have been created twice. Measured side by side
with the same records minted without faults: DataCite requests per record, and the extra GETs
the lost responses cost (GETs per lost response).

The last output line is one JSON object.
Usage: ``python benchmarks/lost_responses.py [--records N] [--rate R] [--db URL]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from heratio_doi_pipelines.catalogue.reader import CatalogueReader
from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.devtools.emulator import EmulatorConfig, Fault, running_emulator
from heratio_doi_pipelines.devtools.sample_archive import generate_sample_archive
from heratio_doi_pipelines.metadata import MetadataContext, build_payload
from heratio_doi_pipelines.queue.enqueue import enqueue
from heratio_doi_pipelines.queue.lifecycle import LOST_RESPONSE_NOTE
from heratio_doi_pipelines.queue.processor import process_queue
from heratio_doi_pipelines.store.schema import init_database
from heratio_doi_pipelines.store.tables import ahg_doi, ahg_doi_queue

REPOSITORY_ID = "BENCH.REPO"
PASSWORD = "bench-password"
PREFIX = "10.5072"
BASE_URL = "https://archive.example.org"
MAX_ROUNDS = 30


def mintable(engine: sa.Engine, count: int) -> list[int]:
    reader = CatalogueReader(engine)
    ctx = MetadataContext(prefix=PREFIX, publisher="Bench", base_url=BASE_URL, year=2026)
    ids = [
        r.id
        for r in reader.read_records(reader.records_without_doi())
        if r.publication_status != "draft" and build_payload(r, ctx).ok
    ]
    if len(ids) < count:
        raise SystemExit(f"the sample archive has only {len(ids)} mintable records")
    return ids[:count]


def drain(engine: sa.Engine, url: str, records: int) -> dict[str, Any]:
    """Mint ``records`` records until the queue is empty; what it took."""
    ids = mintable(engine, records)
    enqueue(engine, "mint", ids)
    overrides = {
        "datacite_url": url,
        "repository_id": REPOSITORY_ID,
        "password": PASSWORD,
        "prefix": PREFIX,
        "base_url": BASE_URL,
    }
    confirmed_by_get = rounds = 0
    started = time.perf_counter()
    while rounds < MAX_ROUNDS:
        rounds += 1
        report = process_queue(engine, engine, overrides=overrides, limit=10 * records)
        confirmed_by_get += sum(o.message == LOST_RESPONSE_NOTE for o in report.outcomes)
        with engine.begin() as conn:  # skip the back-off between rounds
            pending = conn.execute(
                ahg_doi_queue.update()
                .where(ahg_doi_queue.c.status == "pending")
                .values(scheduled_at=None)
            ).rowcount
        if not pending:
            break
    with engine.connect() as conn:
        queue = dict(
            conn.execute(
                sa.select(ahg_doi_queue.c.status, sa.func.count()).group_by(ahg_doi_queue.c.status)
            ).all()
        )
        confirmed = {
            doi.lower()
            for doi in conn.execute(
                sa.select(ahg_doi.c.doi).where(
                    ahg_doi.c.confirmed_at.is_not(None), ahg_doi.c.status == "findable"
                )
            ).scalars()
        }
    return {
        "ids": ids,
        "rounds": rounds,
        "seconds": time.perf_counter() - started,
        "queue": queue,
        "confirmed": confirmed,
        "confirmed_by_get": confirmed_by_get,
    }


def run(records: int, rate: float, db_url: str | None, workdir: Path, seed: int) -> dict[str, Any]:
    """One measurement: ``rate`` of PUT answers lost (0: the baseline)."""
    url = db_url or f"sqlite:///{workdir / f'lost-{rate}.db'}"
    engine = make_engine(url)
    init_database(engine)
    generate_sample_archive(engine, records=3 * records, seed=seed)
    faults = (
        [Fault("drop", probability=rate, methods=frozenset({"PUT"}), apply_before_fault=True)]
        if rate
        else []
    )
    config = EmulatorConfig(
        prefix=PREFIX,
        repository_id=REPOSITORY_ID,
        password=PASSWORD,
        faults=faults,
        fault_seed=seed,
    )
    with running_emulator(config) as emulator:
        result = drain(engine, emulator.url, records)
        stats = emulator.stats()
        remote = {doi.lower(): rec for doi, rec in emulator.state.dois.items()}
    engine.dispose()
    findable = {doi for doi, rec in remote.items() if rec.state == "findable"}
    requests = {m: sum(stats["requests"].get(m, {}).values()) for m in ("PUT", "GET")}
    return {
        "records": records,
        "rounds": result["rounds"],
        "seconds": round(result["seconds"], 2),
        "queue": result["queue"],
        "lost_responses": stats["faults_injected"].get("drop", 0),
        "confirmed_by_get": result["confirmed_by_get"],
        "puts": requests["PUT"],
        "gets": requests["GET"],
        "confirmed_equals_findable": result["confirmed"] == findable,
        "failed_items": result["queue"].get("failed", 0),
        "created_twice": sum(rec.created_count > 1 for rec in remote.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100)
    parser.add_argument("--rate", type=float, default=0.3, help="share of PUT answers lost")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--db", default="", help="database URL (default: temporary SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # the baseline always runs on a fresh SQLite file, the faulty run on --db if given
        baseline = run(args.records, 0.0, None, Path(tmp), args.seed)
        faulty = run(args.records, args.rate, args.db or None, Path(tmp), args.seed)
    for name, result in (("baseline", baseline), ("lost responses", faulty)):
        print(f"{name}: {json.dumps(result)}")
    ok = (
        faulty["confirmed_equals_findable"]
        and faulty["failed_items"] == 0
        and faulty["created_twice"] == 0
        and faulty["queue"] == {"completed": args.records}
    )
    summary = {
        "benchmark": "lost_responses",
        "records": args.records,
        "lost_response_rate": args.rate,
        "lost_responses": faulty["lost_responses"],
        "confirmed_by_get": faulty["confirmed_by_get"],
        "extra_gets": faulty["gets"] - baseline["gets"],
        "extra_gets_per_lost_response": round(
            (faulty["gets"] - baseline["gets"]) / max(1, faulty["lost_responses"]), 3
        ),
        "requests_per_record": round((faulty["puts"] + faulty["gets"]) / args.records, 3),
        "requests_per_record_baseline": round(
            (baseline["puts"] + baseline["gets"]) / args.records, 3
        ),
        "request_ratio_vs_baseline": round(
            (faulty["puts"] + faulty["gets"]) / max(1, baseline["puts"] + baseline["gets"]), 3
        ),
        "rounds": faulty["rounds"],
        "failed_items": faulty["failed_items"],
        "created_twice": faulty["created_twice"],
        "confirmed_equals_findable": faulty["confirmed_equals_findable"],
        "ok": ok,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
