"""A sliding-window rate limiter shared by all threads of a worker.

DataCite counts requests per IP over a rolling window (3,000 per 5 minutes on production,
750 on the test system). The limiter never lets more than ``max_requests`` start within any
``window_s * (1 + safety_margin)`` seconds, and spaces starts evenly (no bursts whose arrival
order the network could shuffle), so jitter cannot push the server's count over the limit;
a 429 pauses every thread until the server's ``Retry-After`` has passed.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

# DataCite's documented per-IP limits for authenticated calls, by environment.
DEFAULT_LIMITS: dict[str, tuple[int, float]] = {
    "production": (3000, 300.0),
    "test": (750, 300.0),
}


class RateLimiter:
    def __init__(
        self,
        max_requests: int,
        window_s: float,
        *,
        safety_margin: float = 0.03,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if max_requests < 1 or window_s <= 0:
            raise ValueError("rate limit needs max_requests >= 1 and window_s > 0")
        self.max_requests = max_requests
        self.window_s = window_s * (1 + safety_margin)
        self.spacing_s = self.window_s / max_requests
        self._last_start = float("-inf")
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[float] = deque()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Block until a request may start; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                while self._starts and now - self._starts[0] >= self.window_s:
                    self._starts.popleft()
                wait = max(self._paused_until - now, self._last_start + self.spacing_s - now)
                if wait <= 0 and len(self._starts) < self.max_requests:
                    self._starts.append(now)
                    self._last_start = now
                    return waited
                if wait <= 0:
                    wait = self.window_s - (now - self._starts[0])
            wait = max(wait, 0.001)
            self._sleep(wait)
            waited += wait

    def pause(self, seconds: float) -> None:
        """Hold every thread back for ``seconds`` (after a 429)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)


class UnlimitedRateLimiter(RateLimiter):
    """For local emulator runs without a limit: never waits, still honours 429 pauses."""

    def __init__(self) -> None:
        super().__init__(1, 1.0)

    def acquire(self) -> float:
        with self._lock:
            wait = self._paused_until - self._clock()
        if wait > 0:
            self._sleep(wait)
            return wait
        return 0.0
