"""Asking other people's servers politely: per-host caps, a User-Agent that says who asks.

Every request of a run (handle lookups and page fetches, each redirect hop included) passes
the gate of its host: at most ``concurrency`` requests in flight and ``rate`` starts per
second per host, whatever the number of worker threads. Pages are fetched at most once a
run: a second DOI naming the same URL gets the first fetch's result.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Generic, TypeVar
from urllib.parse import urlsplit

from heratio_doi_pipelines import __version__
from heratio_doi_pipelines.datacite.rate_limit import RateLimiter, UnlimitedRateLimiter

T = TypeVar("T")


def user_agent(contact_email: str) -> str:
    """Who is asking and how to reach them (``doi_contact_email``), as polite crawlers say."""
    contact = f"; mailto:{contact_email}" if contact_email else ""
    return f"heratio-doi-pipelines/{__version__} (DOI landing-page check{contact})"


def host_of(url: str) -> str:
    """The host (and port) a request goes to: the unit the caps apply to."""
    return urlsplit(url).netloc.lower()


class HostGates:
    """One concurrency slot pool and one rate limiter per host, shared by every thread."""

    def __init__(self, concurrency: int, rate_per_s: float) -> None:
        if concurrency < 1:
            raise ValueError("per-host concurrency must be at least 1")
        if rate_per_s < 0:
            raise ValueError("per-host rate must be positive (or 0 for no cap)")
        self.concurrency = concurrency
        self.rate_per_s = rate_per_s
        self._lock = threading.Lock()
        self._gates: dict[str, tuple[threading.BoundedSemaphore, RateLimiter]] = {}

    def _gate(self, host: str) -> tuple[threading.BoundedSemaphore, RateLimiter]:
        with self._lock:
            if host not in self._gates:
                limiter = (
                    RateLimiter(1, 1.0 / self.rate_per_s)
                    if self.rate_per_s
                    else UnlimitedRateLimiter()
                )
                self._gates[host] = (threading.BoundedSemaphore(self.concurrency), limiter)
            return self._gates[host]

    @contextlib.contextmanager
    def slot(self, url: str) -> Iterator[None]:
        """Hold one of the host's request slots (after its rate limiter lets a start)."""
        semaphore, limiter = self._gate(host_of(url))
        with semaphore:
            limiter.acquire()
            yield


class OncePerRun(Generic[T]):
    """Computes each key's value once; callers asking for a key in progress wait for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._futures: dict[str, Future[T]] = {}

    def get(self, key: str, compute: Callable[[], T]) -> T:
        with self._lock:
            future = self._futures.get(key)
            owner = future is None
            if future is None:
                future = self._futures[key] = Future()
        if owner:
            try:
                future.set_result(compute())
            except BaseException as exc:
                future.set_exception(exc)
        return future.result()

    def __len__(self) -> int:
        return len(self._futures)
