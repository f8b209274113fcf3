"""How long the monthly and by-repository reports take on a large archive, per backend.

Builds a synthetic AtoM catalogue (repositories, fonds, series, items) with one DOI per
item and a DOI activity log, then times ``monthly_report`` and ``repository_report``
(each the median of three runs after one warm-up). As on a site some time after adoption,
most DOI rows carry the holding repository the pipeline stored with them; every fiftieth
(2 %, rows Heratio wrote itself) has none and is resolved through the catalogue. The last
line of output is one JSON object, e.g.::

    {"sqlite": {"monthly_s": 0.4, "repository_s": 0.8}, "postgresql": {...},
     "doi_rows": 1000000, "log_rows": 2000000}

Usage::

    python benchmarks/report_speed.py                      # SQLite + a throwaway PostgreSQL
    python benchmarks/report_speed.py --rows 100000        # scaled down
    python benchmarks/report_speed.py --pg-url postgresql+psycopg2://postgres@127.0.0.1:5432/postgres
    python benchmarks/report_speed.py --backend sqlite
    python benchmarks/report_speed.py --db mysql+pymysql://u:p@127.0.0.1/bench   # an empty database

``--pg-url`` names a server on which the benchmark may create (and drop) a database;
without it a PostgreSQL is started in a temporary folder, as the test suite does.
``--db`` URLs are used as they are and must not hold ahg_doi rows yet.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from heratio_doi_pipelines.catalogue.atom_tables import metadata as catalogue_metadata  # noqa: E402
from heratio_doi_pipelines.db import make_engine  # noqa: E402
from heratio_doi_pipelines.reports.by_repository import repository_report  # noqa: E402
from heratio_doi_pipelines.reports.monthly import monthly_report  # noqa: E402
from heratio_doi_pipelines.store.tables import metadata as doi_metadata  # noqa: E402

REPOSITORIES = 20
FONDS_PER_REPOSITORY = 100
SERIES_PER_FONDS = 10
# Months of history: more than the report's 24, so the window filter has work to do.
HISTORY_MONTHS = 30
LOAD_BATCH = 50_000
RUNS = 3
STAMPS = 200_003
CATALOGUE_TABLES = (
    "information_object",
    "information_object_i18n",
    "repository",
    "actor",
    "actor_i18n",
)

# A live row carries the metadata last sent (usually larger); reports must not read it.
METADATA_JSON = (
    '{{"doi": "{doi}", "titles": [{{"title": "Minute book of the town council"}}], '
    '"creators": [{{"name": "Town council", "nameType": "Organizational"}}], '
    '"publisher": "Municipal Archive", "publicationYear": 1890, '
    '"types": {{"resourceTypeGeneral": "Text"}}}}'
)

# One DOI row in this many has no stored repository (written by Heratio, not the pipeline).
UNSTORED_EVERY = 50

STATES = ["findable"] * 70 + ["registered"] * 10 + ["draft"] * 8 + ["failed"] * 5
STATES += ["tombstone"] * 7
LOG_ACTIONS = ["mint"] * 45 + ["update"] * 40 + ["verify"] * 10 + ["deactivate"] * 5


def _timestamp(value: datetime, dialect: str) -> str:
    # SQLAlchemy stores SQLite DATETIME as text with microseconds; match it exactly.
    if dialect == "sqlite":
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _bulk_insert(
    engine: sa.Engine, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Load rows as fast as the backend allows: COPY on PostgreSQL, executemany elsewhere."""
    count = 0
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        dialect = engine.dialect.name
        if dialect == "sqlite":
            cursor.execute("PRAGMA synchronous=OFF")
        for batch in _batches(rows, LOAD_BATCH):
            if dialect == "postgresql":
                buffer = io.StringIO()
                writer = csv.writer(buffer)
                for row in batch:
                    writer.writerow(["\\N" if v is None else v for v in row])
                buffer.seek(0)
                cursor.copy_expert(  # type: ignore[attr-defined]
                    f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')",
                    buffer,
                )
            else:
                marker = "?" if dialect == "sqlite" else "%s"
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) "
                    f"VALUES ({', '.join([marker] * len(columns))})",
                    batch,
                )
            count += len(batch)
        raw.commit()
    finally:
        raw.close()
    return count


def _batches(rows: Iterable[Sequence[Any]], size: int) -> Iterator[list[Sequence[Any]]]:
    batch: list[Sequence[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _create_tables(engine: sa.Engine) -> list[sa.Index]:
    """The ahg_* and catalogue tables without their secondary indexes (added after loading)."""
    deferred: list[sa.Index] = []
    tables = [doi_metadata.tables[name] for name in _DOI_TABLES]
    tables += [catalogue_metadata.tables[name] for name in CATALOGUE_TABLES]
    with engine.begin() as conn:
        for table in tables:
            conn.execute(sa.schema.CreateTable(table))
            deferred.extend(table.indexes)
    return deferred


def _stamps(start: datetime, end: datetime, count: int, dialect: str) -> list[str]:
    """``count`` evenly spaced timestamps as text (formatting each row would dominate loading)."""
    step = (end - start) / count
    return [_timestamp(start + step * k, dialect) for k in range(count)]


def build_archive(
    engine: sa.Engine, doi_rows: int, log_rows: int, now: datetime
) -> Counter[int | None]:
    """A catalogue shaped like AtoM's (repository set on fonds only) with DOIs and a log.

    Returns the number of DOIs each repository holds, for checking the report.
    """
    dialect = engine.dialect.name
    inspector = sa.inspect(engine)
    if inspector.has_table("ahg_doi") or inspector.has_table("information_object"):
        raise SystemExit(
            f"{engine.url!r} already has DOI or catalogue tables: use an empty database"
        )
    deferred_indexes = _create_tables(engine)
    rng = random.Random(20261126)
    repo_ids = list(range(2, 2 + REPOSITORIES))
    _bulk_insert(engine, "actor", ["id", "source_culture"], ((r, "en") for r in repo_ids))
    _bulk_insert(
        engine,
        "repository",
        ["id", "identifier", "source_culture"],
        ((r, f"R{r:02d}", "en") for r in repo_ids),
    )
    _bulk_insert(
        engine,
        "actor_i18n",
        ["id", "culture", "authorized_form_of_name"],
        ((r, "en", f"Repository {r}") for r in repo_ids),
    )

    fonds_count = REPOSITORIES * FONDS_PER_REPOSITORY
    series_count = fonds_count * SERIES_PER_FONDS
    first_fonds = 1000
    first_series = first_fonds + fonds_count
    first_item = first_series + series_count

    def series_of(item: int) -> int:  # a series' items are described together: contiguous
        return item * series_count // doi_rows

    def repository_of(item: int) -> int:  # inherited from the fonds above the item's series
        return repo_ids[(series_of(item) // SERIES_PER_FONDS) % REPOSITORIES]

    def records() -> Iterator[tuple[Any, ...]]:
        # (id, parent_id, repository_id, lft, rgt, source_culture); lft/rgt are not read.
        yield (1, None, None, 1, 2, "en")
        for n in range(fonds_count):
            yield (first_fonds + n, 1, repo_ids[n % REPOSITORIES], 0, 0, "en")
        for n in range(series_count):
            yield (first_series + n, first_fonds + n // SERIES_PER_FONDS, None, 0, 0, "en")
        for n in range(doi_rows):
            yield (first_item + n, first_series + series_of(n), None, 0, 0, "en")

    _bulk_insert(
        engine,
        "information_object",
        ["id", "parent_id", "repository_id", "lft", "rgt", "source_culture"],
        records(),
    )

    start = now - timedelta(days=30 * HISTORY_MONTHS)
    stamps = _stamps(start, now, STAMPS, dialect)

    # Rows are appended as time passes, so ids and timestamps rise together, as in a live
    # database; a state change may come a little later than the row it belongs to.
    def dois() -> Iterator[tuple[Any, ...]]:
        for n in range(doi_rows):
            state = STATES[n % len(STATES)]
            created = stamps[n * STAMPS // doi_rows]
            minted = None if state in ("failed", "draft") and n % 2 else created
            record_id = first_item + n
            doi = f"10.5072/bench/{record_id}"
            stored = None if n % UNSTORED_EVERY == 0 else repository_of(n)
            yield (record_id, doi, state, minted, created, METADATA_JSON.format(doi=doi), stored)

    _bulk_insert(
        engine,
        "ahg_doi",
        [
            "information_object_id",
            "doi",
            "status",
            "minted_at",
            "created_at",
            "metadata_json",
            "repository_id",
        ],
        dois(),
    )

    def log() -> Iterator[tuple[Any, ...]]:
        for n in range(log_rows):
            action = LOG_ACTIONS[n % len(LOG_ACTIONS)]
            doi_id = rng.randrange(doi_rows) + 1
            if action == "update" and n % 10 == 0:
                details = f'{{"queue_item": {n}, "attempt": 1, "error": "HTTP 500"}}'
            elif action == "update" and n % 20 == 1:
                details = f'{{"queue_item": {n}, "note": "metadata unchanged: skipped"}}'
            else:
                details = f'{{"queue_item": {n}, "attempt": 1}}'
            yield (
                doi_id,
                first_item + doi_id - 1,
                action,
                "findable",
                "findable",
                details,
                stamps[n * STAMPS // log_rows],
            )

    _bulk_insert(
        engine,
        "ahg_doi_log",
        [
            "doi_id",
            "information_object_id",
            "action",
            "status_before",
            "status_after",
            "details",
            "performed_at",
        ],
        log(),
    )
    with engine.begin() as conn:
        for index in deferred_indexes:
            index.create(conn)
    _analyze(engine)
    return Counter(repository_of(n) for n in range(doi_rows))


_DOI_TABLES = ("ahg_doi", "ahg_doi_log", "ahg_doi_queue")


def _analyze(engine: sa.Engine) -> None:
    """Fresh statistics, as a live database's autovacuum/ANALYZE would have them."""
    dialect = engine.dialect.name
    if dialect == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    elif dialect == "sqlite":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        with engine.begin() as conn:
            for table in ("ahg_doi", "ahg_doi_log", "information_object"):
                conn.exec_driver_sql(f"ANALYZE TABLE {table}")


def _median_seconds(fn: Callable[[], object]) -> float:
    fn()  # warm-up: caches and query plans
    timings = []
    for _ in range(RUNS):
        began = time.perf_counter()
        fn()
        timings.append(time.perf_counter() - began)
    return round(statistics.median(timings), 3)


def measure(url: str, doi_rows: int, log_rows: int, now: datetime) -> dict[str, float]:
    engine = make_engine(url)
    try:
        began = time.perf_counter()
        holdings = build_archive(engine, doi_rows, log_rows, now)
        load_s = time.perf_counter() - began
        print(f"{engine.dialect.name}: loaded in {load_s:.1f} s", file=sys.stderr, flush=True)
        monthly = _median_seconds(lambda: monthly_report(engine, today=now))
        repository = _median_seconds(lambda: repository_report(engine, engine))
        check = repository_report(engine, engine)
        assert int(check["total"].sum()) == doi_rows, "every DOI must be counted once"
        counted = dict(zip(check["repository_id"].tolist(), check["total"].tolist(), strict=True))
        assert counted == holdings, "every DOI must be counted under its holding repository"
        print(
            f"{engine.dialect.name}: monthly {monthly} s, repository {repository} s",
            file=sys.stderr,
            flush=True,
        )
        return {"monthly_s": monthly, "repository_s": repository, "load_s": round(load_s, 1)}
    finally:
        engine.dispose()


@contextlib.contextmanager
def _postgres_database(pg_url: str | None) -> Iterator[str]:
    from heratio_doi_pipelines_tests.support.postgres import PostgresServer, postgres_server

    if pg_url:
        with PostgresServer(admin_url=pg_url).fresh_database() as url:
            yield url
        return
    with postgres_server() as server, server.fresh_database() as url:
        yield url


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="ahg_doi rows")
    parser.add_argument("--log-rows", type=int, default=None, help="ahg_doi_log rows (2 x rows)")
    parser.add_argument(
        "--backend",
        action="append",
        choices=["sqlite", "postgresql"],
        help="built-in backends to run (default: both)",
    )
    parser.add_argument("--pg-url", default=None, help="PostgreSQL server to create a DB on")
    parser.add_argument("--db", action="append", default=[], help="extra empty database URL")
    args = parser.parse_args(argv)
    log_rows = args.log_rows if args.log_rows is not None else 2 * args.rows
    now = datetime(2026, 11, 15, 12, 0, 0)
    backends = args.backend or (["sqlite", "postgresql"] if not args.db else [])
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="heratio-report-bench-") as folder:
        for backend in backends:
            if backend == "sqlite":
                results["sqlite"] = measure(
                    f"sqlite:///{Path(folder) / 'bench.db'}", args.rows, log_rows, now
                )
            else:
                with _postgres_database(args.pg_url) as url:
                    results["postgresql"] = measure(url, args.rows, log_rows, now)
        for url in args.db:
            name = sa.make_url(url).get_backend_name()
            results[name] = measure(url, args.rows, log_rows, now)
    results["doi_rows"] = args.rows
    results["log_rows"] = log_rows
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
