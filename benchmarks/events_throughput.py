"""Access-log throughput: generate a log, parse and aggregate it, submit the daily events.

    python benchmarks/events_throughput.py [--lines 1000000] [--db URL] [--records 100]

A sample archive (``--records`` descriptions, each given a findable DOI) is written to the
database (a temporary SQLite file unless ``--db``), a realistic combined-format access log of
``--lines`` lines is generated over its show pages and files, and then timed:

- parse + aggregate: the backfill's parser and COUNTER aggregation (``lines_per_s``);
- the backfill's database writes (per-log daily counts and the daily usage events);
- the flush of those events to a DataCite emulator started by this script in its own process.

The last line printed is one JSON object: ``{"lines_per_s", "events_submitted", "lines"}``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from heratio_doi_pipelines.catalogue import atom_tables as atom
from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.devtools.emulator import DEFAULT_BEARER_TOKEN
from heratio_doi_pipelines.devtools.sample_archive import generate_sample_archive
from heratio_doi_pipelines.devtools.sample_logs import (
    HUMAN_AGENTS,
    ROBOT_AGENTS,
    generate_access_log,
)
from heratio_doi_pipelines.events.access_logs import ROBOTS_LIST_VERSION, parse_access_log
from heratio_doi_pipelines.events.config import EventsConfig
from heratio_doi_pipelines.events.flush import flush_events
from heratio_doi_pipelines.events.targets import load_usage_map
from heratio_doi_pipelines.events.usage import refresh_usage_events, replace_contributions
from heratio_doi_pipelines.store.schema import init_database
from heratio_doi_pipelines.store.tables import ahg_doi

EMULATOR = """
from heratio_doi_pipelines.devtools.emulator import EmulatorConfig, serve
serve(EmulatorConfig(), port=0, log_level="warning", on_ready=lambda url: print(url, flush=True))
"""


def _prepare(engine: sa.Engine, records: int, seed: int) -> int:
    """A sample archive whose descriptions all have a findable DOI; returns the DOI count."""
    init_database(engine)
    generate_sample_archive(engine, records=records, seed=seed)
    io, slug = atom.information_object, atom.slug
    now = datetime(2026, 1, 1)
    with engine.begin() as conn:
        have = set(conn.execute(sa.select(ahg_doi.c.information_object_id)).scalars())
        ids = [
            i
            for i in conn.execute(
                sa.select(io.c.id).join(slug, slug.c.object_id == io.c.id).where(io.c.id != 1)
            ).scalars()
            if i not in have
        ]
        if ids:
            conn.execute(
                ahg_doi.insert(),
                [
                    {
                        "information_object_id": i,
                        "doi": f"10.5072/bench/{i}",
                        "status": "findable",
                        "confirmed_at": now,
                        "minted_at": now,
                    }
                    for i in ids
                ],
            )
    return len(ids) + len(have)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--db", default="", help="Database URL (default: a temporary SQLite file)")
    parser.add_argument("--records", type=int, default=100, help="Sample descriptions with DOIs")
    parser.add_argument("--days", type=float, default=7.0, help="Days the log covers")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="events-bench-") as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        dois = _prepare(engine, args.records, args.seed)
        usage = load_usage_map(engine, engine)
        log = Path(tmp) / "access.log"
        started = time.perf_counter()
        summary = generate_access_log(
            log,
            usage.view_paths(),
            usage.download_paths(),
            lines=args.lines,
            seed=args.seed,
            days=args.days,
        )
        print(
            f"generated {summary.lines:,} lines ({log.stat().st_size / 1e6:.0f} MB) "
            f"for {dois} DOIs in {time.perf_counter() - started:.1f} s",
            flush=True,
        )

        started = time.perf_counter()
        parsed = parse_access_log(log, usage)
        parse_s = time.perf_counter() - started
        s = parsed.stats
        lines_per_s = s.lines / parse_s
        print(
            f"parsed and aggregated in {parse_s:.2f} s: {lines_per_s:,.0f} lines/s; "
            f"{s.views:,} views, {s.downloads:,} downloads, {s.counted:,} counted, "
            f"{s.double_clicks:,} double-clicks, {s.bots:,} robot hits, "
            f"{s.malformed:,} malformed",
            flush=True,
        )

        started = time.perf_counter()
        with engine.begin() as conn:
            change = replace_contributions(conn, parsed.source_key, parsed.daily)
            written = refresh_usage_events(conn, change.affected)
        print(
            f"wrote {len(parsed.daily):,} daily counts and {written.created:,} usage events "
            f"in {time.perf_counter() - started:.2f} s",
            flush=True,
        )

        emulator = subprocess.Popen(
            [sys.executable, "-c", EMULATOR], stdout=subprocess.PIPE, text=True
        )
        try:
            assert emulator.stdout is not None
            emulator_url = emulator.stdout.readline().strip()
            config = EventsConfig(
                url=emulator_url, api_token=DEFAULT_BEARER_TOKEN, per_minute=1_000_000
            )
            started = time.perf_counter()
            report = flush_events(engine, config)
            flush_s = time.perf_counter() - started
        finally:
            emulator.terminate()
            emulator.wait(timeout=10)
        print(
            f"submitted {report.sent:,} events to the emulator in {flush_s:.1f} s "
            f"({report.sent / flush_s if flush_s else 0:,.0f}/s); {report.summary()}",
            flush=True,
        )
        engine.dispose()
    print(
        json.dumps(
            {
                "lines_per_s": round(lines_per_s),
                "events_submitted": report.sent,
                "lines": s.lines,
                "robot_hits": s.bots,
                "user_agents": len(HUMAN_AGENTS) + len(ROBOT_AGENTS),
                "counter_robots_version": ROBOTS_LIST_VERSION,
            }
        )
    )


if __name__ == "__main__":
    main()
