"""Rolling-window counting: DataCite's per-IP rate limit, and the peak rate clients reach."""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque


class RollingWindowLimiter:
    """At most ``limit`` accepted requests per client in any ``window`` seconds, as DataCite's
    firewall enforces (3,000 per 5 minutes per IP). Rejected requests do not use up the quota."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._lock = threading.Lock()
        self._accepted: dict[str, deque[float]] = defaultdict(deque)

    def check(self, client: str, now: float | None = None) -> float | None:
        """Admit the request (None) or return the seconds until the client may try again."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._accepted[client]
            horizon = now - self.window
            while times and times[0] <= horizon:
                times.popleft()
            if len(times) < self.limit:
                times.append(now)
                return None
            return max(times[0] + self.window - now, 0.0)

    @staticmethod
    def retry_after_header(wait_seconds: float) -> str:
        """Retry-After takes whole seconds; round up so a polite client is never early."""
        return str(max(1, math.ceil(wait_seconds)))


class WindowPeak:
    """The largest number of requests seen in any rolling window, overall and per route."""

    def __init__(self, window: float) -> None:
        self.window = window
        self._lock = threading.Lock()
        self._times: dict[str, deque[float]] = defaultdict(deque)
        self.peak: dict[str, int] = defaultdict(int)

    def record(self, route: str, now: float | None = None) -> None:
        """Count one request arriving now, for ``route`` and for the total."""
        now = time.monotonic() if now is None else now
        horizon = now - self.window
        with self._lock:
            for key in ("*", route):
                times = self._times[key]
                times.append(now)
                while times and times[0] <= horizon:
                    times.popleft()
                if len(times) > self.peak[key]:
                    self.peak[key] = len(times)

    def snapshot(self) -> tuple[int, dict[str, int]]:
        """(overall peak, peak by route)."""
        with self._lock:
            by_route = {k: v for k, v in self.peak.items() if k != "*"}
            return self.peak.get("*", 0), by_route
