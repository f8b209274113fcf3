"""Request counters that tests and benchmarks read (``GET /_emulator/stats``)."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from typing import Any


class EmulatorStats:
    """Counts DataCite-facing requests by method and status, plus per-area counters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.in_flight = 0
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.requests: dict[str, Counter[str]] = defaultdict(Counter)
            self.by_status: Counter[str] = Counter()
            self.events: Counter[str] = Counter()
            self.reports: Counter[str] = Counter()
            self.dois_created = 0
            self.rate_limited = 0
            self.total = 0
            self.max_in_flight = self.in_flight

    def enter(self) -> None:
        """A request started; tracks the peak concurrency the server actually saw."""
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def record(self, method: str, status: str) -> None:
        """One finished request; ``status`` is the code as text, or ``dropped``."""
        with self._lock:
            self.requests[method][status] += 1
            self.by_status[status] += 1
            self.total += 1

    def count_event(self, outcome: str) -> None:
        with self._lock:
            self.events[outcome] += 1

    def count_report(self, outcome: str) -> None:
        with self._lock:
            self.reports[outcome] += 1

    def count_doi_created(self) -> None:
        with self._lock:
            self.dois_created += 1

    def count_rate_limited(self) -> None:
        with self._lock:
            self.rate_limited += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total_requests": self.total,
                "requests": {m: dict(c) for m, c in self.requests.items()},
                "requests_by_status": dict(self.by_status),
                "dois_created": self.dois_created,
                "rate_limited": self.rate_limited,
                "in_flight": self.in_flight,
                "max_in_flight": self.max_in_flight,
                "events": dict(self.events),
                "reports": dict(self.reports),
            }
