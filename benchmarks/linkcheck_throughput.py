"""Landing-page check throughput against the sample landing site at 50 ms page latency.

The same DOIs are checked twice in one run: with the default per-host caps (2 requests in
flight and 2 starts per second per host, polite to a real catalogue) and with the caps
raised (16 in flight, no rate cap). Each DOI costs one handle lookup (the DataCite
emulator's handle API) and one page fetch (the sample site); both servers run in this
process on loopback. The last output line is one JSON object.

Usage: ``python benchmarks/linkcheck_throughput.py [--dois N] [--raised-dois M]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import replace
from pathlib import Path

import sqlalchemy as sa

from heratio_doi_pipelines.catalogue import atom_tables as atom
from heratio_doi_pipelines.clock import utcnow
from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.devtools.emulator import EmulatorConfig, running_emulator
from heratio_doi_pipelines.devtools.landing_site import running_landing_site
from heratio_doi_pipelines.devtools.sample_archive import generate_sample_archive
from heratio_doi_pipelines.linkcheck.run import check_landing_pages
from heratio_doi_pipelines.settings import DoiSettings
from heratio_doi_pipelines.store.schema import init_database
from heratio_doi_pipelines.store.tables import ahg_doi

PAGE_LATENCY_MS = 50
RAISED = {"linkcheck_host_concurrency": 16, "linkcheck_host_rate": 0.0}


def registered_dois(engine: sa.Engine, emulator: object, site_url: str, count: int) -> int:
    """``count`` findable DOIs registered at the site's record URLs, here and at the emulator."""
    now = utcnow()
    with engine.begin() as conn:
        slugs = conn.execute(
            sa.select(atom.slug.c.object_id, atom.slug.c.slug)
            .join(atom.information_object, atom.information_object.c.id == atom.slug.c.object_id)
            .order_by(atom.slug.c.object_id)
            .limit(count)
        ).all()
        rows = [
            {
                "information_object_id": object_id,
                "doi": f"10.5072/bench/{object_id}",
                "status": "findable",
                "datacite_state": "findable",
                "url": f"{site_url}/{slug}",
                "confirmed_at": now,
                "reserved_at": now,
                "created_at": now,
            }
            for object_id, slug in slugs
        ]
        conn.execute(ahg_doi.insert(), rows)
    state = emulator.state  # type: ignore[attr-defined]
    for row in rows:
        record = state.new_doi(row["doi"].upper(), "2026-12-01T00:00:00.000Z")
        record.state, record.url = "findable", row["url"]
    return len(rows)


def measure(engine: sa.Engine, settings: DoiSettings, limit: int) -> dict[str, float | int]:
    report = check_landing_pages(engine, engine, settings, limit=limit)
    healthy = report.run_counts.get("ok", 0)
    return {
        "concurrency": settings.linkcheck_host_concurrency,
        "rate_per_s": settings.linkcheck_host_rate,
        "dois": report.checked,
        "healthy": healthy,
        "seconds": round(report.elapsed_s, 3),
        "dois_per_s": round(report.rate_per_s, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dois", type=int, default=30, help="DOIs checked with default caps")
    parser.add_argument("--raised-dois", type=int, default=150, help="... with raised caps")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        init_database(engine)
        generate_sample_archive(engine, records=max(args.dois, args.raised_dois) + 20, seed=5)
        with (
            running_emulator(EmulatorConfig()) as emulator,
            running_landing_site(engine, latency_ms=PAGE_LATENCY_MS) as site,
        ):
            total = registered_dois(engine, emulator, site.url, max(args.dois, args.raised_dois))
            base = replace(DoiSettings(), base_url=site.url, resolver_url=emulator.url)
            default = measure(engine, base, min(args.dois, total))
            print(f"default caps: {default}")
            site.site.reset_stats()
            raised = measure(engine, replace(base, **RAISED), min(args.raised_dois, total))
            raised["peak_in_flight_at_site"] = site.stats.peak_in_flight
            print(f"raised caps:  {raised}")
    ratio = raised["dois_per_s"] / default["dois_per_s"] if default["dois_per_s"] else 0.0
    print(
        json.dumps(
            {
                "benchmark": "linkcheck_throughput",
                "page_latency_ms": PAGE_LATENCY_MS,
                "default_caps": default,
                "raised_caps": raised,
                "raised_over_default": round(ratio, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
