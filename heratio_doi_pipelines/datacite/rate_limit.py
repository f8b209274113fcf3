"""DataCite's request budget: evenly spaced request starts, per worker or shared by all workers.

DataCite counts requests per IP address over a rolling window (3,000 per 5 minutes on
production, 750 on the test system) and answers 429 past the limit. Both limiters here space
request starts evenly, ``spacing_for(limit, window)`` apart, so no burst can reach the limit.

Why ``window / (limit - 1)`` and not a tuned margin: starts spaced ``s`` apart put at most
``floor(W / s) + 1`` of them in any closed window of length ``W`` (the fence-post: a window
that opens on a request also holds the one that closes it). Requiring that to be at most the
limit ``L`` gives ``s >= W / (L - 1)``. With exactly that spacing a window holds ``L - 1`` gaps;
network jitter ``j`` between two arrivals widens the window's catch to ``(W + j) / s + 1``,
which stays at most ``L`` while ``j < s``: the spacing itself is the jitter the budget
tolerates (0.1 s on production, 0.4 s on the test system). The cost is one request per window,
``1 / L`` of the budget.

:class:`RateLimiter` spaces the threads of one process. :class:`SharedRateBudget` spaces every
worker that uses one database (``heratio_doi_rate_budget``, one row per API host): the row holds
the next free start and a pause until which nobody sends (after a 429's ``Retry-After``).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from heratio_doi_pipelines.store.tables import heratio_doi_rate_budget

# DataCite's documented per-IP limits for authenticated calls, by environment.
DEFAULT_LIMITS: dict[str, tuple[int, float]] = {
    "production": (3000, 300.0),
    "test": (750, 300.0),
}
# DataCite's advice for sustained bulk work (about 100,000 writes a day): 300-500 per 5 minutes.
DEFAULT_BULK_LIMIT: tuple[int, float] = (500, 300.0)


def spacing_for(max_requests: int, window_s: float) -> float:
    """Seconds between request starts so no window of ``window_s`` holds more than the limit."""
    if max_requests < 1 or window_s <= 0:
        raise ValueError("rate limit needs max_requests >= 1 and window_s > 0")
    return window_s / max(1, max_requests - 1)


@dataclass(frozen=True)
class Budget:
    """A request budget: ``max_requests`` per ``window_s``, and what it is called in reports."""

    max_requests: int
    window_s: float
    name: str = "standard"

    @property
    def spacing_s(self) -> float:
        return spacing_for(self.max_requests, self.window_s)

    def label(self) -> str:
        return f"{self.name}: {self.max_requests} per {self.window_s:g} s"


class RateLimiter:
    """Evenly spaced starts for the threads of one process; a 429 pauses all of them."""

    def __init__(
        self,
        max_requests: int,
        window_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.max_requests = max_requests
        self.window_s = window_s
        self.spacing_s = spacing_for(max_requests, window_s)
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


class SharedRateBudget(RateLimiter):
    """One budget per API host for every worker using this database (any process, any machine).

    ``acquire`` takes the host's next free start from its ``heratio_doi_rate_budget`` row under
    a row lock (an UPDATE first, which locks on SQLite, PostgreSQL and MariaDB alike), moves the
    row on by one spacing and sleeps until that start. Nothing is leased out for longer than
    ``lease_s``: a start further ahead than that is not taken (the worker waits and asks
    again), so a worker that dies holds at most ``lease_s`` seconds of starts, which are simply
    not used: its share is back within one lease period, and the live workers need no roll-call.
    A 429 sets the row's pause, so every worker waits out ``Retry-After`` (a start granted before
    the pause is checked against it again just before sending). A worker that wakes more than
    half a spacing after its start (a loaded machine) does not send late, which would crowd
    the next start and eat the jitter the spacing allows: it takes a new start, once. Times are
    epoch seconds of each worker's clock (machines sharing a database are expected to run NTP; a
    skew well under one spacing is harmless).
    """

    def __init__(
        self,
        engine: sa.Engine,
        api_host: str,
        budget: Budget,
        *,
        lease_s: float | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        super().__init__(budget.max_requests, budget.window_s, clock=clock, sleep=sleep)
        self.engine = engine
        self.api_host = api_host
        self.budget = budget
        # A few starts ahead per worker keeps every worker's threads fed; never under 1 s.
        self.lease_s = lease_s if lease_s is not None else max(1.0, 4 * self.spacing_s)
        self._reserve_lock = threading.Lock()  # one thread of a process talks to the row
        self._ensure_row()

    def _ensure_row(self) -> None:
        t = heratio_doi_rate_budget
        with self.engine.begin() as conn:
            found = conn.execute(sa.select(t.c.api_host).where(t.c.api_host == self.api_host))
            if found.first() is not None:
                return
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    t.insert().values(api_host=self.api_host, next_slot_at=0.0, paused_until=0.0)
                )
        except sa.exc.IntegrityError:
            pass  # another worker made it first

    def _reserve(self) -> tuple[float | None, float]:
        """Take the next start if it is within the lease; else None and when to ask again."""
        t = heratio_doi_rate_budget
        row = t.c.api_host == self.api_host
        with self.engine.begin() as conn:
            conn.execute(t.update().where(row).values(next_slot_at=t.c.next_slot_at))  # lock
            next_slot, paused_until = conn.execute(
                sa.select(t.c.next_slot_at, t.c.paused_until).where(row)
            ).one()
            now = self._clock()
            start = max(next_slot, paused_until, now)
            if start - now > self.lease_s:
                return None, start - self.lease_s
            conn.execute(t.update().where(row).values(next_slot_at=start + self.spacing_s))
        return start, start

    def _paused_until_value(self) -> float:
        t = heratio_doi_rate_budget
        with self.engine.connect() as conn:
            value = conn.execute(
                sa.select(t.c.paused_until).where(t.c.api_host == self.api_host)
            ).scalar_one()
        return float(value)

    def acquire(self) -> float:
        waited = 0.0
        retaken = False
        while True:
            with self._reserve_lock:
                while True:
                    start, retry_at = self._reserve()
                    if start is not None:
                        break
                    wait = max(retry_at - self._clock(), 0.001)
                    self._sleep(wait)
                    waited += wait
            wait = start - self._clock()
            if wait > 0:
                self._sleep(wait)
                waited += wait
            if self._paused_until_value() > self._clock():
                continue  # a 429 came in meanwhile: take a start after its pause
            # Checked last, just before the send: a start missed by more than half a spacing
            # would crowd the next one (half the spacing is left for the network's jitter), so
            # it is given up once for a new one. A second miss is sent: when the spacing is
            # shorter than taking a start costs (a very high limit), or the machine is that
            # loaded, retaking again would never end.
            if retaken or self._clock() - start <= self.spacing_s / 2:
                return waited
            retaken = True

    def pause(self, seconds: float) -> None:
        t = heratio_doi_rate_budget
        row = t.c.api_host == self.api_host
        until = self._clock() + seconds
        with self.engine.begin() as conn:
            conn.execute(t.update().where(row).values(next_slot_at=t.c.next_slot_at))  # lock
            next_slot, paused_until = conn.execute(
                sa.select(t.c.next_slot_at, t.c.paused_until).where(row)
            ).one()
            conn.execute(
                t.update()
                .where(row)
                .values(paused_until=max(paused_until, until), next_slot_at=max(next_slot, until))
            )
