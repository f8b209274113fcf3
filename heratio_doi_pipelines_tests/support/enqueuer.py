"""An enqueuing process for concurrency tests.

It imports everything and connects first, prints ``ready``, then for each line on stdin
(``FIRST COUNT``) enqueues mint for records FIRST..FIRST+COUNT-1 and prints what it queued as
JSON, so a test can start two of them on the same records at the same moment, trial after trial.
"""

from __future__ import annotations

import json
import sys

from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.queue.actions import MINT
from heratio_doi_pipelines.queue.enqueue import enqueue


def main() -> None:
    engine = make_engine(sys.argv[1])
    with engine.connect():
        pass  # connect before the first trial, so both processes start it at once
    print("ready", flush=True)
    for line in sys.stdin:
        first, count = (int(part) for part in line.split())
        result = enqueue(engine, MINT, range(first, first + count))
        print(json.dumps({"queued": result.queued, "already": result.already_queued}), flush=True)


if __name__ == "__main__":
    main()
