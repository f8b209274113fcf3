"""Access to DataCite for one run: Heratio's settings resolved once, and the clients built on them.

The one place where the deployment's overrides (environment variables, the Dagster resource's
fields) meet Heratio's stored settings; the Dagster ``datacite`` resource and every CLI command
build their access here. It also decides, once per batch, whether the batch may start at all
(Heratio's "not configured" refusal and the settings check) and which request budget it uses.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from heratio_doi_pipelines.datacite.client import DataCiteClient
from heratio_doi_pipelines.datacite.in_flight import InFlightSlots
from heratio_doi_pipelines.datacite.rate_limit import (
    Budget,
    RateLimiter,
    SharedRateBudget,
    UnlimitedRateLimiter,
)
from heratio_doi_pipelines.errors import HeratioDoiError
from heratio_doi_pipelines.events.config import EventsConfig, events_config_from
from heratio_doi_pipelines.settings import (
    DoiSettings,
    SettingsResolver,
    env_overrides,
    refusal,
    unconfigured_reason,
)

# How Heratio's refusal names each action ("DOI mint is not configured: ...").
VERBS = {
    "mint": "mint",
    "update": "update",
    "verify": "verify",
    "deactivate": "deactivate",
    "reinstate": "reinstate",
    "sync": "sync",
    "events": "events",
}


def verb_for(actions: list[str] | None) -> str:
    """The verb of a batch: its one action, else "processing" for a mixed batch."""
    if actions and len(set(actions)) == 1:
        return VERBS.get(actions[0], actions[0])
    if actions and set(actions) <= {"deactivate", "reinstate"}:
        return "deactivate"
    return "processing"


def deployment_overrides(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The deployment's part of Heratio's precedence: given overrides (the resource's fields)
    over the environment variables; both outrank the stored settings."""
    return {**env_overrides(environ), **dict(overrides or {})}


class BatchRefused(HeratioDoiError):
    """The settings forbid the batch: nothing was claimed and no request was sent."""


@dataclass
class RateTotals:
    """What the clients of a run sent: requests, 429s, accepted requests and the budget."""

    requests_sent: int = 0
    rate_limited: int = 0
    sending_seconds: float = 0.0  # from the first request to the last
    budget: str = "none (no rate limit configured for this host)"

    @property
    def accepted(self) -> int:
        return self.requests_sent - self.rate_limited


class ClientPool:
    """One client per credentials; one budget per DataCite API host (DataCite limits per IP)."""

    def __init__(self, budget_for: Any = None):
        self._clients: dict[tuple[str, str, str], DataCiteClient] = {}
        self._limiters: dict[str, RateLimiter] = {}
        self._labels: dict[str, str] = {}
        self._lock = threading.Lock()
        self._budget_for = budget_for
        self._in_flight: InFlightSlots | None = None

    def limit_in_flight(self, requests: int | None) -> None:
        """At most ``requests`` DataCite requests in flight at once across this pool's
        clients (None: no cap). A batch runs more threads than that, so the next items are
        read, built and validated while the current ones wait for DataCite."""
        with self._lock:
            self._in_flight = InFlightSlots(requests) if requests else None
            for client in self._clients.values():
                client.in_flight = self._in_flight

    def client_for(self, settings: DoiSettings) -> DataCiteClient:
        with self._lock:
            key = settings.credentials_key
            if key not in self._clients:
                host = api_host(settings.api_url)
                limiter = self._limiters.get(host)
                if limiter is None:
                    limiter, label = (
                        self._budget_for(settings) if self._budget_for else _local_limiter(settings)
                    )
                    self._limiters[host], self._labels[host] = limiter, label
                # /dois with the repository's own credentials, as Heratio mints; the API
                # token is for the Events API and usage reports (``events_config``).
                self._clients[key] = DataCiteClient(
                    settings.api_url,
                    settings.repository_id,
                    settings.password,
                    rate_limiter=limiter,
                    contact_email=settings.contact_email,
                    read_timeout_s=settings.read_timeout_s,
                )
                self._clients[key].in_flight = self._in_flight
            return self._clients[key]

    def totals(self) -> RateTotals:
        clients = list(self._clients.values())
        firsts = [c.first_sent_at for c in clients if c.first_sent_at is not None]
        lasts = [c.last_sent_at for c in clients if c.last_sent_at is not None]
        totals = RateTotals(
            requests_sent=sum(c.requests_sent for c in clients),
            rate_limited=sum(c.rate_limited for c in clients),
            sending_seconds=max(lasts) - min(firsts) if firsts else 0.0,
        )
        if self._labels:
            totals.budget = "; ".join(sorted(set(self._labels.values())))
        return totals

    def close(self) -> None:
        for client in self._clients.values():
            client.close()


def api_host(url: str) -> str:
    """The budget's key: DataCite counts per IP, so per API host (and port)."""
    return urlsplit(url).netloc.lower() or url


def _local_limiter(settings: DoiSettings) -> tuple[RateLimiter, str]:
    limit = settings.rate_limit
    if limit is None:
        return UnlimitedRateLimiter(), RateTotals().budget
    return RateLimiter(*limit), Budget(*limit).label() + " (this process)"


class DataCiteAccess:
    """Settings, refusal check, budget and clients of one run (see the module docstring)."""

    def __init__(
        self,
        doi_engine: sa.Engine,
        overrides: Mapping[str, Any] | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        bulk: bool | None = None,
    ):
        self.doi_engine = doi_engine
        self.environ = environ
        self.overrides = deployment_overrides(overrides, environ)
        self.settings = SettingsResolver(doi_engine, self.overrides)
        self.bulk_requested = bulk
        self.bulk = bool(bulk)
        self.clients = ClientPool(self._budget_for)

    @property
    def warnings(self) -> list[str]:
        self.settings.global_settings()
        return list(self.settings.warnings)

    def global_settings(self) -> DoiSettings:
        return self.settings.global_settings()

    # --- before anything is claimed -----------------------------------------------------------

    def check(self, verb: str, *, settings_check: bool = True) -> None:
        """Raise :class:`BatchRefused` when the batch must not start (Heratio's message).

        ``settings_check`` adds the checks of what mints and tombstones need (prefix syntax,
        suffix and tombstone patterns); sync and events need only the credentials."""
        settings = self.settings.global_settings()
        message = (refusal if settings_check else unconfigured_reason)(settings, verb)
        if message and unconfigured_reason(settings, verb):
            # The global config may be a placeholder while every repository has its own row:
            # then only the repositories' rows matter (each item is checked again).
            own = [self.settings.for_repository(r) for r in self.settings.repositories_with_rows()]
            if own and all(refusal(s, verb) is None for s in own):
                message = None
        if message:
            raise BatchRefused(message)

    def choose_budget(self, due_items: int, bulk: bool | None = None) -> str:
        """Bulk mode when asked for, or automatically past the settings' threshold."""
        settings = self.settings.global_settings()
        requested = self.bulk_requested if bulk is None else bulk
        self.bulk = requested if requested is not None else due_items > settings.bulk_threshold
        return self.budget_label(settings)

    def budget(self, settings: DoiSettings) -> Budget | None:
        if self.bulk:
            return Budget(*settings.bulk_limit, name="bulk")
        limit = settings.rate_limit
        return Budget(*limit) if limit else None

    def budget_label(self, settings: DoiSettings | None = None) -> str:
        budget = self.budget(settings or self.settings.global_settings())
        if budget is None:
            return RateTotals().budget
        return f"{budget.label()}, shared by every worker on this database"

    def _budget_for(self, settings: DoiSettings) -> tuple[RateLimiter, str]:
        budget = self.budget(settings)
        if budget is None:
            return UnlimitedRateLimiter(), RateTotals().budget
        limiter = SharedRateBudget(self.doi_engine, api_host(settings.api_url), budget)
        return limiter, self.budget_label(settings)

    # --- clients ----------------------------------------------------------------------------

    def client(self, settings: DoiSettings | None = None) -> DataCiteClient:
        return self.clients.client_for(settings or self.settings.global_settings())

    def totals(self) -> RateTotals:
        return self.clients.totals()

    def events_config(self) -> EventsConfig:
        return events_config_from(
            self.doi_engine, self.settings.global_settings(), self.overrides, environ=self.environ
        )

    def close(self) -> None:
        self.clients.close()
