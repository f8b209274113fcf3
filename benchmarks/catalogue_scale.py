"""The pipeline on a catalogue of real size: a million descriptions (``--records``, smaller
for quick runs), on SQLite or PostgreSQL (``--db``).

Phases, each in a fresh process so that its peak RSS is its own:

* ``generate``: the sample archive (records/s);
* ``preflight``: build and validate the metadata of the whole catalogue (records/s);
* ``sensors_1k`` / ``sensors_n``: one ``pending_queue_sensor`` and one ``auto_mint_sensor`` tick
  (auto-mint on, ten descriptions edited since the cursor) on a 1,000-record catalogue with
  every record queued, and on the full catalogue with every record queued (s per tick);
* ``enqueue``: ``heratio-doi enqueue mint --all-without-doi`` (s);
* ``process``: ``--process`` mint items against the emulator with no rate limit (not even the
  bulk budget a long queue would choose) and no latency (items/s, and DataCite requests/s
  while sending);
* ``sync``: every record given a confirmed DOI (the unminted ones written directly, and the
  emulator loaded with the same DOIs), then ``sync`` against the emulator's cursor listing in
  pages of 1,000 (DOIs compared/s, over the whole sync and excluding the time spent waiting
  for listing pages, i.e. the emulator's own work);
* ``reports``: ``doi_dashboard`` and ``doi_queue_status`` service calls at N (s).

The emulator runs in its own process; its peak RSS is reported apart. The last output line
is one JSON object. Usage:
``python benchmarks/catalogue_scale.py --records 1000000 [--db postgresql://...] [--process N]``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import subprocess
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

REPOSITORY_ID = "BENCH.REPO"
PASSWORD = "bench-password"
PREFIX = "10.5072"
BASE_URL = "https://archive.example.org"
SMALL_RECORDS = 1000
SENSOR_TICKS = 3
EDITED = 10
SYNC_PAGE = 1000


def _rss_mib() -> float:
    """Peak resident set of this process, MiB (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _overrides(url: str = "") -> dict[str, Any]:
    values: dict[str, Any] = {
        "repository_id": REPOSITORY_ID,
        "password": PASSWORD,
        "prefix": PREFIX,
        "base_url": BASE_URL,  # no rate limit: the emulator is not a DataCite host
    }
    if url:
        values["datacite_url"] = url
    return values


# --- phases (each runs in its own process) -------------------------------------------------


def phase_generate(db: str, records: int) -> dict[str, Any]:
    from heratio_doi_pipelines.db import make_engine
    from heratio_doi_pipelines.devtools.sample_archive import generate_sample_archive
    from heratio_doi_pipelines.store.schema import init_database

    engine = make_engine(db)
    init_database(engine)
    start = time.perf_counter()
    generate_sample_archive(engine, records=records, seed=7)
    elapsed = time.perf_counter() - start
    return {"seconds": round(elapsed, 1), "records_per_s": round(records / elapsed, 1)}


def phase_preflight(db: str, out: str) -> dict[str, Any]:
    from heratio_doi_pipelines.db import make_engine
    from heratio_doi_pipelines.queue.payload_cache import preflight_report

    engine = make_engine(db)
    start = time.perf_counter()
    summary, _ = preflight_report(engine, engine, Path(out), overrides=_overrides())
    elapsed = time.perf_counter() - start
    return {
        "records": summary.total,
        "rejected": summary.rejected_count,
        "seconds": round(elapsed, 1),
        "records_per_s": round(summary.total / elapsed, 1),
    }


def phase_enqueue(db: str) -> dict[str, Any]:
    from heratio_doi_pipelines.db import make_engine
    from heratio_doi_pipelines.queue.batch_mint import enqueue_mint_batch

    engine = make_engine(db)
    start = time.perf_counter()
    result = enqueue_mint_batch(engine, engine, all_without_doi=True, cap=10**9)  # as the CLI
    return {"queued": result.count, "seconds": round(time.perf_counter() - start, 2)}


def phase_sensors(db: str) -> dict[str, Any]:
    """Ticks of both sensors with every record queued and ten descriptions just edited."""
    import dagster as dg

    from heratio_doi_pipelines.catalogue import atom_tables
    from heratio_doi_pipelines.db import make_engine
    from heratio_doi_pipelines.defs.datacite.sensors import auto_mint_sensor, pending_queue_sensor
    from heratio_doi_pipelines.defs.shared.resources import DataCite, HeratioDatabase
    from heratio_doi_pipelines.queue.auto_mint import latest_change
    from heratio_doi_pipelines.store.tables import ahg_settings

    engine = make_engine(db)
    with engine.begin() as conn:
        conn.execute(
            ahg_settings.update()
            .where(ahg_settings.c.setting_key == "auto_mint")
            .values(setting_value="1")
        )
    resources = {
        "heratio_db": HeratioDatabase(doi_db_url=db),
        "datacite": DataCite(prefix=PREFIX, base_url=BASE_URL),
    }
    newest = latest_change(engine)
    assert newest is not None
    obj = atom_tables.object_
    pending: list[float] = []
    auto: list[float] = []
    launched = 0
    for tick in range(SENSOR_TICKS):
        with dg.build_sensor_context(resources=resources) as context:
            start = time.perf_counter()
            result = pending_queue_sensor(context)
            pending.append(time.perf_counter() - start)
        launched = len(getattr(result, "run_requests", None) or [])
        cursor = newest.isoformat()
        newest = newest + timedelta(seconds=1)
        io = atom_tables.information_object
        with engine.begin() as conn:  # an archivist edits a few descriptions
            ids = conn.execute(
                sa.select(io.c.id).order_by(io.c.id.desc()).limit(EDITED).offset(tick * EDITED)
            ).scalars()
            conn.execute(obj.update().where(obj.c.id.in_(list(ids))).values(updated_at=newest))
        with dg.build_sensor_context(resources=resources, cursor=cursor) as context:
            start = time.perf_counter()
            auto_mint_sensor(context)
            auto.append(time.perf_counter() - start)
    return {
        "pending_queue_sensor_s": round(min(pending), 4),
        "auto_mint_sensor_s": round(min(auto), 4),
        "runs_requested": launched,
    }


def phase_process(db: str, url: str, items: int) -> dict[str, Any]:
    from heratio_doi_pipelines.db import make_engine
    from heratio_doi_pipelines.queue.processor import process_queue

    engine = make_engine(db)
    start = time.perf_counter()
    report = process_queue(
        engine, engine, overrides=_overrides(url), limit=items, concurrency=16, bulk=False
    )
    elapsed = time.perf_counter() - start
    return {
        "items": report.claimed,
        "counts": report.counts,
        "seconds": round(elapsed, 1),
        "items_per_s": round(report.claimed / elapsed, 1),
        "sending_rps": round(report.request_rate, 1),
    }


def _give_every_record_a_doi(engine: sa.Engine) -> int:
    """Confirmed findable DOIs ``10.5072/bench/{k}`` for every record still without one,
    written directly (as a long-running site would have them); returns how many."""
    from heratio_doi_pipelines.catalogue import atom_tables
    from heratio_doi_pipelines.catalogue.constants import ROOT_INFORMATION_OBJECT_ID
    from heratio_doi_pipelines.store.tables import ahg_doi

    io = atom_tables.information_object
    now = datetime(2026, 1, 1)
    with engine.begin() as conn:
        ids = list(
            conn.execute(
                sa.select(io.c.id)
                .where(
                    io.c.id != ROOT_INFORMATION_OBJECT_ID,
                    ~sa.exists().where(ahg_doi.c.information_object_id == io.c.id),
                )
                .order_by(io.c.id)
            ).scalars()
        )
        for start in range(0, len(ids), 5000):
            conn.execute(
                ahg_doi.insert(),
                [
                    {
                        "information_object_id": record_id,
                        "doi": f"{PREFIX}/bench/{k}",
                        "status": "findable",
                        "datacite_state": "findable",
                        "url": f"{BASE_URL}/bench-{k}",
                        "minted_at": now,
                        "confirmed_at": now,
                        "created_at": now,
                        "metadata_json": {
                            "titles": [{"title": f"Record {k}"}],
                            "publisher": "Bench",
                            "publicationYear": "2026",
                        },
                    }
                    for k, record_id in enumerate(ids[start : start + 5000], start=start + 1)
                ],
            )
    return len(ids)


def phase_sync(db: str, url: str) -> dict[str, Any]:
    from heratio_doi_pipelines.datacite.client import DataCiteClient
    from heratio_doi_pipelines.db import make_engine
    from heratio_doi_pipelines.devtools.emulator import RemoteEmulator
    from heratio_doi_pipelines.queue.sync import sync_with_datacite
    from heratio_doi_pipelines.settings import SettingsResolver

    engine = make_engine(db)
    written = _give_every_record_a_doi(engine)
    remote = RemoteEmulator(url, timeout=3600)
    template = {
        "doi": f"{PREFIX}/bench/{{n}}",
        "url": f"{BASE_URL}/bench-{{n}}",
        "attributes": {
            "titles": [{"title": "Record {n}"}],
            "publisher": "Bench",
            "publicationYear": 2026,
        },
    }
    for start in range(1, written + 1, 100_000):
        remote.generate_dois(template, min(100_000, written + 1 - start), start=start)
    remote.close()

    settings = SettingsResolver(engine, _overrides(url)).global_settings()
    client = DataCiteClient(url, REPOSITORY_ID, PASSWORD)
    waiting = [0.0]
    pages_of = client.iter_doi_pages

    def timed_pages(**kwargs: Any) -> Any:
        pages = pages_of(page_size=SYNC_PAGE, **kwargs)
        while True:
            start = time.perf_counter()
            page = next(pages, None)
            waiting[0] += time.perf_counter() - start
            if page is None:
                return
            yield page

    client.iter_doi_pages = timed_pages  # type: ignore[method-assign]
    start = time.perf_counter()
    report = sync_with_datacite(engine, client, settings)
    elapsed = time.perf_counter() - start
    client.close()
    compared = report.remote_dois
    return {
        "local_dois": report.local_dois,
        "remote_dois": compared,
        "in_agreement": report.in_agreement,
        "drift": report.counts(),
        "pages": report.pages,
        "seconds": round(elapsed, 1),
        "listing_wait_s": round(waiting[0], 1),
        "dois_per_s": round(compared / elapsed, 1),
        "dois_per_s_excluding_listing": round(compared / max(elapsed - waiting[0], 1e-9), 1),
    }


def phase_reports(db: str, out: str) -> dict[str, Any]:
    from heratio_doi_pipelines.db import make_engine
    from heratio_doi_pipelines.reports.dashboard import dashboard
    from heratio_doi_pipelines.reports.export import export_queue_status

    engine = make_engine(db)
    start = time.perf_counter()
    view = dashboard(engine, engine)
    dashboard_s = time.perf_counter() - start
    start = time.perf_counter()
    result = export_queue_status(engine, Path(out))
    queue_s = time.perf_counter() - start
    return {
        "doi_dashboard_s": round(dashboard_s, 3),
        "doi_queue_status_s": round(queue_s, 3),
        "dois": view.counts.get("total", 0),
        "open_items": len(result.status.open_items),
    }


def _in_own_process(phase: Any, *args: Any) -> dict[str, Any]:
    """Run one phase in a fresh interpreter; its result with the process's peak RSS."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_measured, phase, *args).result()


def _measured(phase: Any, *args: Any) -> dict[str, Any]:
    result = phase(*args)
    result["peak_rss_mib"] = _rss_mib()
    return result


def start_emulator() -> tuple[subprocess.Popen[str], str]:
    from heratio_doi_pipelines.devtools.emulator import start_emulator_process

    return start_emulator_process(
        repository_id=REPOSITORY_ID, password=PASSWORD, prefix=PREFIX, latency_ms=0
    )


def _peak_rss_of(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _fresh_database(db: str, name: str, tmp: Path) -> str:
    """A new empty database: a SQLite file, or a new database on the given server."""
    if not db:
        return f"sqlite:///{tmp / f'{name}.db'}"
    url = sa.make_url(db)
    database = f"bench_{name}_{os.getpid()}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}"')
        conn.exec_driver_sql(f"CREATE DATABASE \"{database}\" ENCODING 'UTF8' TEMPLATE template0")
    admin.dispose()
    return url.set(database=database).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--process", type=int, default=20_000, help="mint items to process")
    parser.add_argument(
        "--db", default="", help="PostgreSQL server URL (default: temporary SQLite files)"
    )
    parser.add_argument("--skip-preflight", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="scale-bench-"))
    os.environ.setdefault("HERATIO_DOI_DATA_DIR", str(tmp))
    small = _fresh_database(args.db, "small", tmp)
    big = _fresh_database(args.db, "big", tmp)
    phases: dict[str, dict[str, Any]] = {}

    def run(name: str, phase: Any, *phase_args: Any) -> None:
        print(f"[{name}] ...", flush=True)
        phases[name] = _in_own_process(phase, *phase_args)
        print(f"[{name}] {json.dumps(phases[name])}", flush=True)

    run("generate_1k", phase_generate, small, SMALL_RECORDS)
    run("enqueue_1k", phase_enqueue, small)
    run("sensors_1k", phase_sensors, small)
    run("generate", phase_generate, big, args.records)
    if not args.skip_preflight:
        run("preflight", phase_preflight, big, str(tmp / "rejections.csv"))
    run("enqueue", phase_enqueue, big)
    run("sensors_n", phase_sensors, big)
    proc, url = start_emulator()
    try:
        run("process", phase_process, big, url, args.process)
        run("sync", phase_sync, big, url)
        emulator_rss = _peak_rss_of(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    run("reports", phase_reports, big, str(tmp / "reports"))

    s1, sn = phases["sensors_1k"], phases["sensors_n"]
    pipeline_rss = max(p["peak_rss_mib"] for p in phases.values())
    result = {
        "records": args.records,
        "backend": sa.make_url(big).get_backend_name(),
        "generate_records_per_s": phases["generate"]["records_per_s"],
        "preflight_records_per_s": phases.get("preflight", {}).get("records_per_s"),
        "enqueue_all_without_doi_s": phases["enqueue"]["seconds"],
        "enqueued": phases["enqueue"]["queued"],
        "process_items": phases["process"]["items"],
        "process_items_per_s": phases["process"]["items_per_s"],
        "process_sending_rps": phases["process"]["sending_rps"],
        "sync_dois": phases["sync"]["remote_dois"],
        "sync_dois_per_s": phases["sync"]["dois_per_s"],
        "sync_dois_per_s_excluding_listing": phases["sync"]["dois_per_s_excluding_listing"],
        "pending_queue_sensor_s_1k": s1["pending_queue_sensor_s"],
        "pending_queue_sensor_s_n": sn["pending_queue_sensor_s"],
        "pending_queue_sensor_ratio_n_to_1k": round(
            sn["pending_queue_sensor_s"] / s1["pending_queue_sensor_s"], 2
        ),
        "auto_mint_sensor_s_1k": s1["auto_mint_sensor_s"],
        "auto_mint_sensor_s_n": sn["auto_mint_sensor_s"],
        "auto_mint_sensor_ratio_n_to_1k": round(
            sn["auto_mint_sensor_s"] / s1["auto_mint_sensor_s"], 2
        ),
        "doi_dashboard_s": phases["reports"]["doi_dashboard_s"],
        "doi_queue_status_s": phases["reports"]["doi_queue_status_s"],
        "peak_rss_mib": {name: p["peak_rss_mib"] for name, p in phases.items()},
        "max_pipeline_rss_mib": pipeline_rss,
        "emulator_peak_rss_mib": emulator_rss,
        "goals_met": {
            "rss_le_1gib": pipeline_rss <= 1024,
            "sensor_ticks_le_1s": max(sn["pending_queue_sensor_s"], sn["auto_mint_sensor_s"])
            <= 1.0,
            "sensor_ticks_le_2x": max(
                sn["pending_queue_sensor_s"] / s1["pending_queue_sensor_s"],
                sn["auto_mint_sensor_s"] / s1["auto_mint_sensor_s"],
            )
            <= 2.0,
            "sync_ge_5000_per_s": phases["sync"]["dois_per_s_excluding_listing"] >= 5000,
            "dashboard_le_1s": phases["reports"]["doi_dashboard_s"] <= 1.0,
        },
        "measured_at": datetime.now().isoformat(timespec="seconds"),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
