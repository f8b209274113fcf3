"""The pipeline on a catalogue of real size: a million descriptions (``--records``, smaller
for quick runs), on SQLite or PostgreSQL (``--db``).

Phases, each in a fresh process so that its peak RSS is its own:

* ``generate``: the sample archive (records/s);
* ``preflight``: build and validate the metadata of the whole catalogue (records/s), in
  ``--preflight-workers`` processes as the asset's ``workers`` config does;
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
``python benchmarks/catalogue_scale.py --records 1000000 [--db postgresql|postgresql://...]
[--process N] [--workdir DIR [--phases sync,reports]]``: with ``--workdir`` the databases and
each phase's result stay there, so a later run can repeat some phases on the same catalogue
(the JSON line then merges the saved results of the phases not repeated).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import resource
import subprocess
import tempfile
import time
from collections.abc import Iterator
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


def phase_preflight(db: str, out: str, workers: int) -> dict[str, Any]:
    """The product's preflight (``metadata_preflight_report``, config ``workers``)."""
    from heratio_doi_pipelines.db import make_engine
    from heratio_doi_pipelines.queue.payload_cache import preflight_report

    engine = make_engine(db)
    start = time.perf_counter()
    summary, _ = preflight_report(
        engine, engine, Path(out), overrides=_overrides(), workers=workers
    )
    elapsed = time.perf_counter() - start
    return {
        "workers": workers,
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
        "open_items": result.status.open_count,
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


PHASES = (
    "generate_1k",
    "enqueue_1k",
    "sensors_1k",
    "generate",
    "preflight",
    "enqueue",
    "sensors_n",
    "process",
    "sync",
    "reports",
)
EMULATOR_PHASES = ("process", "sync")


def _database(server: str, name: str, work: Path, *, create: bool) -> str:
    """The phase databases: a SQLite file in ``work``, or a database on the server (a new
    empty one when ``create``)."""
    if not server:
        path = work / f"{name}.db"
        if create and path.exists():
            path.unlink()
        return f"sqlite:///{path}"
    url = sa.make_url(server)
    database = f"bench_{name}"
    if create:
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            conn.exec_driver_sql(
                f"CREATE DATABASE \"{database}\" ENCODING 'UTF8' TEMPLATE template0"
            )
        admin.dispose()
    return url.set(database=database).render_as_string(hide_password=False)


@contextlib.contextmanager
def _server(db: str, work: Path) -> Iterator[str]:
    """ "" for SQLite, the given PostgreSQL URL, or (``--db postgresql``) a local server whose
    data stays in ``work/pg`` so later ``--phases`` runs find the same databases."""
    if db != "postgresql":
        yield db
        return
    from heratio_doi_pipelines.devtools.postgres_server import local_postgres

    with local_postgres(work / "pg") as admin_url:
        yield admin_url


def _summary(records: int, backend: str, phases: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The JSON last line; a phase not run (yet) gives nulls, and its goals are not judged."""

    def get(phase: str, key: str) -> Any:
        return phases.get(phase, {}).get(key)

    def ratio(key: str) -> float | None:
        small, big = get("sensors_1k", key), get("sensors_n", key)
        return round(big / small, 2) if small and big is not None else None

    rss = {name: p["peak_rss_mib"] for name, p in phases.items()}
    pipeline_rss = max(rss.values(), default=None)
    ticks = [get("sensors_n", k) for k in ("pending_queue_sensor_s", "auto_mint_sensor_s")]
    ratios = [ratio("pending_queue_sensor_s"), ratio("auto_mint_sensor_s")]
    sync_rate = get("sync", "dois_per_s_excluding_listing")
    dashboard_s = get("reports", "doi_dashboard_s")
    goals: dict[str, bool | None] = {
        "rss_le_1gib": None if pipeline_rss is None else pipeline_rss <= 1024,
        "sensor_ticks_le_1s": None if None in ticks else max(ticks) <= 1.0,  # type: ignore[type-var]
        "sensor_ticks_le_2x": None if None in ratios else max(ratios) <= 2.0,  # type: ignore[type-var]
        "sync_ge_5000_per_s": None if sync_rate is None else sync_rate >= 5000,
        "dashboard_le_1s": None if dashboard_s is None else dashboard_s <= 1.0,
    }
    return {
        "records": records,
        "backend": backend,
        "generate_records_per_s": get("generate", "records_per_s"),
        "preflight_records_per_s": get("preflight", "records_per_s"),
        "preflight_workers": get("preflight", "workers"),
        "enqueue_all_without_doi_s": get("enqueue", "seconds"),
        "enqueued": get("enqueue", "queued"),
        "process_items": get("process", "items"),
        "process_items_per_s": get("process", "items_per_s"),
        "process_sending_rps": get("process", "sending_rps"),
        "sync_dois": get("sync", "remote_dois"),
        "sync_dois_per_s": get("sync", "dois_per_s"),
        "sync_dois_per_s_excluding_listing": sync_rate,
        "pending_queue_sensor_s_1k": get("sensors_1k", "pending_queue_sensor_s"),
        "pending_queue_sensor_s_n": get("sensors_n", "pending_queue_sensor_s"),
        "pending_queue_sensor_ratio_n_to_1k": ratios[0],
        "auto_mint_sensor_s_1k": get("sensors_1k", "auto_mint_sensor_s"),
        "auto_mint_sensor_s_n": get("sensors_n", "auto_mint_sensor_s"),
        "auto_mint_sensor_ratio_n_to_1k": ratios[1],
        "doi_dashboard_s": dashboard_s,
        "doi_queue_status_s": get("reports", "doi_queue_status_s"),
        "doi_queue_status_open_items": get("reports", "open_items"),
        "peak_rss_mib": rss,
        "max_pipeline_rss_mib": pipeline_rss,
        "emulator_peak_rss_mib": max(
            (p["emulator_peak_rss_mib"] for p in phases.values() if "emulator_peak_rss_mib" in p),
            default=None,
        ),
        "goals_met": goals,
        "measured_at": datetime.now().isoformat(timespec="seconds"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--process", type=int, default=20_000, help="mint items to process")
    parser.add_argument(
        "--db",
        default="",
        help="'postgresql' (a local server in the work directory, started and stopped here), "
        "a PostgreSQL server URL, or nothing for SQLite files",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        help="keep databases and results here (default: a new temporary directory); "
        "with --phases, later runs continue on the same databases",
    )
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help=f"comma-separated subset, run in this order: {','.join(PHASES)}",
    )
    parser.add_argument("--skip-preflight", action="store_true")
    parser.add_argument(
        "--preflight-workers",
        type=int,
        default=1,
        help="processes of the preflight (the asset's config `workers`)",
    )
    args = parser.parse_args()
    wanted = [name.strip() for name in args.phases.split(",") if name.strip()]
    unknown = sorted(set(wanted) - set(PHASES))
    if unknown:
        parser.error(f"unknown phases: {', '.join(unknown)}")
    if args.skip_preflight and "preflight" in wanted:
        wanted.remove("preflight")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="scale-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("HERATIO_DOI_DATA_DIR", str(work))
    results_file = work / "results.json"
    saved = json.loads(results_file.read_text()) if results_file.exists() else {}
    if saved.get("records") not in (None, args.records):
        parser.error(f"{work} holds a run of {saved['records']} records, not {args.records}")
    phases: dict[str, dict[str, Any]] = saved.get("phases", {})
    print(f"[work] {work}", flush=True)

    with contextlib.ExitStack() as stack:
        server = stack.enter_context(_server(args.db, work))
        small = _database(server, "small", work, create="generate_1k" in wanted)
        big = _database(server, "big", work, create="generate" in wanted)
        backend = sa.make_url(big).get_backend_name()
        emulator: tuple[subprocess.Popen[str], str] | None = None
        try:
            for name in (phase for phase in PHASES if phase in wanted):
                if name in EMULATOR_PHASES and emulator is None:
                    emulator = start_emulator()
                url = emulator[1] if emulator else ""
                calls: dict[str, tuple[Any, ...]] = {
                    "generate_1k": (phase_generate, small, SMALL_RECORDS),
                    "enqueue_1k": (phase_enqueue, small),
                    "sensors_1k": (phase_sensors, small),
                    "generate": (phase_generate, big, args.records),
                    "preflight": (
                        phase_preflight,
                        big,
                        str(work / "rejections.csv"),
                        args.preflight_workers,
                    ),
                    "enqueue": (phase_enqueue, big),
                    "sensors_n": (phase_sensors, big),
                    "process": (phase_process, big, url, args.process),
                    "sync": (phase_sync, big, url),
                    "reports": (phase_reports, big, str(work / "reports")),
                }
                print(f"[{name}] ...", flush=True)
                phases[name] = _in_own_process(*calls[name])
                if name in EMULATOR_PHASES and emulator is not None:
                    phases[name]["emulator_peak_rss_mib"] = _peak_rss_of(emulator[0].pid)
                print(f"[{name}] {json.dumps(phases[name])}", flush=True)
                results_file.write_text(
                    json.dumps({"records": args.records, "backend": backend, "phases": phases})
                )
        finally:
            if emulator is not None:
                emulator[0].terminate()
                emulator[0].wait(timeout=30)
    print(json.dumps(_summary(args.records, backend, phases)))


if __name__ == "__main__":
    main()
