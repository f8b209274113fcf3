"""A queue worker process for crash and concurrency tests.

It imports everything first, prints ``ready``, waits for a line on stdin, then processes the
queue exactly as ``heratio-doi process`` does, so a test can SIGKILL it at a chosen moment of
the batch instead of during interpreter start-up.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta

from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.queue.processor import process_queue


def main() -> None:
    url, limit, concurrency, lease_s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    engine = make_engine(url)
    print("ready", flush=True)
    sys.stdin.readline()
    report = process_queue(
        engine,
        engine,
        limit=limit,
        concurrency=concurrency,
        chunk_size=max(1, concurrency),
        lease=timedelta(seconds=float(lease_s)),
    )
    summary = {
        "counts": report.counts,
        "worker": report.worker_id,
        "requests": report.requests_sent,
        "http_429": report.rate_limited,
        "budget": report.budget,
    }
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
