"""The emulator's live settings and shared objects, changeable while it runs (tests, benchmarks)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.requests import Request

from heratio_doi_pipelines.devtools.emulator.auth import Caller, identify
from heratio_doi_pipelines.devtools.emulator.config import (
    REPORT_MODES,
    EmulatorConfig,
    parse_rate_limit,
)
from heratio_doi_pipelines.devtools.emulator.faults import FaultPlan
from heratio_doi_pipelines.devtools.emulator.stats import EmulatorStats
from heratio_doi_pipelines.devtools.emulator.store import EmulatorState
from heratio_doi_pipelines.devtools.emulator.throttle import RollingWindowLimiter, WindowPeak

DEFAULT_STATS_WINDOW_SECONDS = 1.0

SETTING_NAMES = frozenset(
    {
        "latency_ms",
        "rate_limit",
        "rate_limit_retry_after",
        "events_accept_basic_auth",
        "report_mode",
        "report_pending_polls",
        "stats_window_seconds",
        "bearer_tokens",
        "xsd_validation",
        "store_altered",
    }
)


def coerce_rate_limit(value: Any) -> tuple[int, float] | None:
    """Accept ``None``, ``"N/S"``, ``[N, S]`` or ``{"requests": N, "window_seconds": S}``."""
    if value is None:
        return None
    if isinstance(value, str):
        return parse_rate_limit(value)
    if isinstance(value, Mapping):
        value = (value["requests"], value["window_seconds"])
    if isinstance(value, Sequence) and len(value) == 2:
        requests, window = int(value[0]), float(value[1])
        if requests < 1 or window <= 0:
            raise ValueError("rate limit needs at least 1 request per a positive window")
        return requests, window
    raise ValueError(f"cannot read a rate limit from {value!r}")


class EmulatorContext:
    """Config, memory, counters and the run-time knobs every route handler needs."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.prefixes = config.prefixes
        self.state = EmulatorState()
        self.stats = EmulatorStats()
        self.faults = FaultPlan(config.faults, config.fault_script, config.fault_seed)
        self.rate_limit: tuple[int, float] | None = None
        self.limiter: RollingWindowLimiter | None = None
        self.restore_settings()

    def restore_settings(self) -> None:
        """Put every run-time knob back to the start-up configuration."""
        config = self.config
        self.latency_ms = float(config.latency_ms)
        self.rate_limit_retry_after = config.rate_limit_retry_after
        self.events_accept_basic_auth = config.events_accept_basic_auth
        self.report_mode = config.report_mode
        self.report_pending_polls = config.report_pending_polls
        self.bearer_tokens: frozenset[str] = frozenset(config.bearer_tokens)
        self.xsd_validation = config.xsd_validation
        self.store_altered = False  # store an altered copy of what a write sent
        self._stats_window: float | None = config.stats_window_seconds
        self.set_rate_limit(config.rate_limit)
        self.peak = WindowPeak(self.stats_window_seconds)

    @property
    def stats_window_seconds(self) -> float:
        """The window for ``max_requests_in_window``: as configured, else the rate-limit window."""
        if self._stats_window:
            return self._stats_window
        return self.rate_limit[1] if self.rate_limit else DEFAULT_STATS_WINDOW_SECONDS

    def set_rate_limit(self, rate_limit: tuple[int, float] | None) -> None:
        """Install a fresh limiter (an empty window) or none."""
        self.rate_limit = rate_limit
        self.limiter = RollingWindowLimiter(*rate_limit) if rate_limit else None

    def caller(self, request: Request) -> Caller:
        return identify(
            request, self.config.repository_id, self.config.password, self.bearer_tokens
        )

    def configure(self, settings: Mapping[str, Any]) -> None:
        """Apply run-time settings (the body of ``POST /_emulator/config``); all or nothing."""
        unknown = set(settings) - SETTING_NAMES
        if unknown:
            raise ValueError(f"unknown settings: {sorted(unknown)}")
        updates = dict(settings)
        if "rate_limit" in updates:
            updates["rate_limit"] = coerce_rate_limit(updates["rate_limit"])
        if "report_mode" in updates and updates["report_mode"] not in REPORT_MODES:
            raise ValueError(f"report_mode must be one of {REPORT_MODES}")
        if "latency_ms" in updates and float(updates["latency_ms"]) < 0:
            raise ValueError("latency_ms cannot be negative")
        window = updates.get("stats_window_seconds")
        if window is not None and float(window) <= 0:
            raise ValueError("stats_window_seconds must be positive")

        if "latency_ms" in updates:
            self.latency_ms = float(updates["latency_ms"])
        if "rate_limit" in updates:
            self.set_rate_limit(updates["rate_limit"])
        if "rate_limit_retry_after" in updates:
            self.rate_limit_retry_after = bool(updates["rate_limit_retry_after"])
        if "events_accept_basic_auth" in updates:
            self.events_accept_basic_auth = bool(updates["events_accept_basic_auth"])
        if "report_mode" in updates:
            self.report_mode = str(updates["report_mode"])
        if "report_pending_polls" in updates:
            self.report_pending_polls = max(0, int(updates["report_pending_polls"]))
        if "bearer_tokens" in updates:
            self.bearer_tokens = frozenset(str(t) for t in updates["bearer_tokens"])
        if "xsd_validation" in updates:
            self.xsd_validation = bool(updates["xsd_validation"])
        if "store_altered" in updates:
            self.store_altered = bool(updates["store_altered"])
        if "stats_window_seconds" in updates:
            self._stats_window = float(window) if window is not None else None
        if "stats_window_seconds" in updates or "rate_limit" in updates:
            self.peak = WindowPeak(self.stats_window_seconds)

    def settings(self) -> dict[str, Any]:
        """Current run-time settings, without secrets."""
        return {
            "prefixes": list(self.prefixes),
            "repository_id": self.config.repository_id,
            "latency_ms": self.latency_ms,
            "rate_limit": list(self.rate_limit) if self.rate_limit else None,
            "rate_limit_retry_after": self.rate_limit_retry_after,
            "events_accept_basic_auth": self.events_accept_basic_auth,
            "report_mode": self.report_mode,
            "report_pending_polls": self.report_pending_polls,
            "stats_window_seconds": self.stats_window_seconds,
            "xsd_validation": self.xsd_validation,
            "store_altered": self.store_altered,
        }

    def reset(
        self,
        *,
        dois: bool = True,
        events: bool = True,
        reports: bool = True,
        stats: bool = True,
        faults: bool = True,
        settings: bool = True,
    ) -> None:
        """Back to how it started: state, counters, faults and run-time settings (each optional).

        The rate-limit window restarts with the counters.
        """
        self.state.clear(dois=dois, events=events, reports=reports)
        if settings:
            self.restore_settings()
        if stats:
            self.stats.reset()
            self.faults.reset_counts()
            self.peak = WindowPeak(self.stats_window_seconds)
            self.set_rate_limit(self.rate_limit)
        if faults:
            self.faults.clear()

    def stats_snapshot(self) -> dict[str, Any]:
        """What ``GET /_emulator/stats`` returns."""
        snapshot = self.stats.snapshot()
        peak, peak_by_route = self.peak.snapshot()
        snapshot["dois_by_state"] = self.state.dois_by_state()
        snapshot["dois_total"] = len(self.state.dois)
        snapshot["events"]["stored"] = len(self.state.events)
        snapshot["reports"]["stored"] = len(self.state.reports)
        snapshot["faults_injected"] = dict(self.faults.injected)
        snapshot["max_requests_in_window"] = peak
        snapshot["max_requests_in_window_by_route"] = peak_by_route
        snapshot["window_seconds"] = self.stats_window_seconds
        snapshot["rate_limit"] = list(self.rate_limit) if self.rate_limit else None
        snapshot["latency_ms"] = self.latency_ms
        return snapshot
