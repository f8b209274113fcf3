"""Metadata throughput: read sample records from the catalogue in batches, build and
XSD-validate their DataCite payloads, on one core.

Reports records/s (single thread: CPU time of this process, which includes SQLite's work,
and wall time) and the SQL queries the reader issued per batch, which must not grow with the
batch size. The last output line is one JSON object, e.g.
``{"records_per_s": ..., "queries_per_batch": ..., "records": ...}``.
Usage: ``python benchmarks/metadata_throughput.py [--records N] [--batch-size B] [--db URL]``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from heratio_doi_pipelines.catalogue.reader import CatalogueReader
from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.devtools.sample_archive import generate_sample_archive
from heratio_doi_pipelines.metadata import MetadataContext, build_payload
from heratio_doi_pipelines.store.schema import init_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--db", default="", help="database URL (default: a temporary SQLite)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="metadata-bench-"))
    os.environ.setdefault("HERATIO_DOI_DATA_DIR", str(tmp))
    engine = make_engine(args.db or f"sqlite:///{tmp / 'bench.db'}")
    init_database(engine)
    generate_sample_archive(engine, records=args.records, seed=2026)
    reader = CatalogueReader(engine)
    ids = reader.all_record_ids()[: args.records]
    ctx = MetadataContext(
        prefix="10.5072",
        publisher="Benchmark Archive",
        base_url="https://archive.example.org",
        year=2026,
    )
    reader.read_records(ids[:10])  # the one-off probe of tables and settings

    queries: list[int] = []
    valid = rejected = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(ids), args.batch_size):
        records = reader.read_records(ids[start : start + args.batch_size])
        queries.append(reader.last_batch_queries)
        for record in records:
            if build_payload(record, ctx).ok:
                valid += 1
            else:
                rejected += 1
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu

    small = reader.read_records(ids[:10]) and reader.last_batch_queries
    result = {
        "records_per_s": round(len(ids) / cpu, 1),
        "wall_records_per_s": round(len(ids) / wall, 1),
        "queries_per_batch": max(queries),
        "queries_per_batch_of_10": small,
        "batches": len(queries),
        "batch_size": args.batch_size,
        "valid": valid,
        "rejected": rejected,
        "records": len(ids),
        "backend": engine.dialect.name,
    }
    engine.dispose()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
