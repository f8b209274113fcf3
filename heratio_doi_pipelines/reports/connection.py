"""A connection tuned for one large read-only report statement.

PostgreSQL's defaults suit many small transactions: its JIT compiler spends seconds
compiling a report's dozens of cheap index scans, and 4 MB of ``work_mem`` sends the
record join's hash table to disk. Its default ``random_page_cost`` prices an index lookup
as on a spinning disk, so a few thousand record lookups lose to hashing the whole
catalogue; 1.1 is PostgreSQL's own advice for cached or SSD storage. All are set for the
report's transaction only (``SET LOCAL``), so nothing leaks into the pool. Other backends
need nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

POSTGRESQL_REPORT_SETTINGS = {"jit": "off", "work_mem": "'64MB'", "random_page_cost": "1.1"}


@contextmanager
def report_connection(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection inside a transaction, with the backend's report settings applied."""
    with engine.connect() as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            for name, value in POSTGRESQL_REPORT_SETTINGS.items():
                conn.exec_driver_sql(f"SET LOCAL {name} = {value}")
        yield conn
