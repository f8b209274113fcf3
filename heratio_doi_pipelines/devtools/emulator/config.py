"""Start-up settings of the DataCite emulator, kept apart so the CLI and tests share one shape."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from heratio_doi_pipelines.devtools.emulator.faults import Fault

DEFAULT_PREFIX = "10.5072"
DEFAULT_REPOSITORY_ID = "HERATIO.DEMO"
DEFAULT_PASSWORD = "demo-password"
DEFAULT_BEARER_TOKEN = "demo-token"
DEFAULT_PORT = 8089

REPORT_MODES = ("immediate", "pending", "reject")

_RATE_LIMIT_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*s?\s*$")


def parse_rate_limit(text: str) -> tuple[int, float]:
    """Parse ``N/S`` (N requests per S seconds), the form the CLI and control endpoint accept."""
    match = _RATE_LIMIT_RE.match(text)
    if not match:
        raise ValueError(f"rate limit must look like N/S (e.g. 3000/300), got {text!r}")
    requests, window = int(match.group(1)), float(match.group(2))
    if requests < 1 or window <= 0:
        raise ValueError("rate limit needs at least 1 request per a positive window")
    return requests, window


@dataclass
class EmulatorConfig:
    """What the emulator pretends to be: one repository, its prefixes, its secrets and its quirks.

    ``rate_limit`` is ``(requests, window_seconds)`` per client IP, as DataCite's firewall
    counts; ``faults``/``fault_script`` are the initial fault plan (see ``Fault``).
    ``report_mode`` decides how ``/reports`` answers: ``immediate`` (201/200), ``pending``
    (202, later accepted) or ``reject`` (202, later rejected).
    """

    prefix: str | Sequence[str] = DEFAULT_PREFIX
    repository_id: str = DEFAULT_REPOSITORY_ID
    password: str = field(default=DEFAULT_PASSWORD, repr=False)
    latency_ms: float = 0
    state_file: Path | str | None = None
    rate_limit: tuple[int, float] | None = None
    rate_limit_retry_after: bool = True
    events_accept_basic_auth: bool = False
    bearer_tokens: set[str] = field(default_factory=lambda: {DEFAULT_BEARER_TOKEN}, repr=False)
    faults: Sequence[Fault] = ()
    fault_script: Sequence[Fault | None] = ()
    fault_seed: int | None = None
    report_mode: str = "immediate"
    report_pending_polls: int = 1
    stats_window_seconds: float | None = None
    xsd_validation: bool = True

    def __post_init__(self) -> None:
        if not self.prefixes:
            raise ValueError("the emulator needs at least one prefix")
        if self.report_mode not in REPORT_MODES:
            raise ValueError(f"report_mode must be one of {REPORT_MODES}")
        if self.rate_limit is not None:
            requests, window = self.rate_limit
            if requests < 1 or window <= 0:
                raise ValueError("rate limit needs at least 1 request per a positive window")

    @property
    def prefixes(self) -> tuple[str, ...]:
        """The configured prefixes, upper-cased like DataCite stores them."""
        raw = [self.prefix] if isinstance(self.prefix, str) else list(self.prefix)
        return tuple(p.strip().upper() for p in raw if p and p.strip())

    @property
    def client_id(self) -> str:
        """DataCite spells repository (client) ids in lower case in its responses."""
        return self.repository_id.lower()
