"""Fault injection: the failures a DataCite client must survive, on demand and reproducibly.

A ``FaultPlan`` holds probability rules and a scripted sequence. The script wins: its head
entry is consumed by the next request it matches (``ok`` entries let a request through),
so a test can say "the next PUT gets a 503 after DataCite applied it, the one after that
works". Rules then fire with their probability from a seeded random generator.
"""

from __future__ import annotations

import random
import threading
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

FAULT_KINDS = ("500", "502", "503", "403", "429", "slow", "drop", "reset", "ok")
STATUS_KINDS = frozenset({"500", "502", "503", "403", "429"})


@dataclass(frozen=True)
class Fault:
    """One kind of failure and the requests it applies to.

    kind: ``500``/``502``/``503`` (server errors), ``403`` (an HTML 403 as DataCite's load
    balancer sends when throttling), ``429`` (with ``retry_after`` seconds if given),
    ``slow`` (answer after ``delay_seconds``, past a client's read timeout), ``drop`` (close
    the connection without a response), ``reset`` (abort it with a TCP reset), ``ok`` (no
    fault; a placeholder in scripts).
    apply_before_fault: run the request first (the write lands at DataCite) and then fail,
    as when DataCite applied a change but the response got lost.
    """

    kind: str
    probability: float = 1.0
    methods: frozenset[str] | None = None
    path_prefix: str | None = None
    apply_before_fault: bool = False
    delay_seconds: float = 0.0
    retry_after: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {FAULT_KINDS}")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError("fault probability must be between 0 and 1")
        if self.methods is not None:
            object.__setattr__(self, "methods", frozenset(m.upper() for m in self.methods))

    @property
    def status(self) -> int | None:
        """The HTTP status this fault answers with, or None when it is not a status fault."""
        return int(self.kind) if self.kind in STATUS_KINDS else None

    def matches(self, method: str, path: str) -> bool:
        """True when this fault targets the request."""
        if self.methods is not None and method.upper() not in self.methods:
            return False
        return self.path_prefix is None or path.startswith(self.path_prefix)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, the same shape ``from_dict`` and ``POST /_emulator/faults`` read."""
        return {
            "kind": self.kind,
            "probability": self.probability,
            "methods": sorted(self.methods) if self.methods is not None else None,
            "path_prefix": self.path_prefix,
            "apply_before_fault": self.apply_before_fault,
            "delay_seconds": self.delay_seconds,
            "retry_after": self.retry_after,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | str | int | None) -> Fault:
        """Build from JSON; a bare kind (``"503"``, ``503``, ``None`` for ok) is accepted too."""
        if data is None:
            return cls("ok")
        if isinstance(data, str | int):
            return cls(str(data))
        unknown = set(data) - {
            "kind",
            "probability",
            "methods",
            "path_prefix",
            "apply_before_fault",
            "delay_seconds",
            "retry_after",
        }
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        methods = data.get("methods")
        if isinstance(methods, str):
            methods = [methods]
        retry_after = data.get("retry_after")
        return cls(
            kind=str(data.get("kind", "ok")),
            probability=float(data.get("probability", 1.0)),
            methods=frozenset(methods) if methods is not None else None,
            path_prefix=data.get("path_prefix"),
            apply_before_fault=bool(data.get("apply_before_fault", False)),
            delay_seconds=float(data.get("delay_seconds", 0.0)),
            retry_after=float(retry_after) if retry_after is not None else None,
        )


class FaultPlan:
    """Chooses the fault (if any) for each request; safe to reconfigure from another thread."""

    def __init__(
        self,
        rules: Iterable[Fault] = (),
        script: Iterable[Fault | None] = (),
        seed: int | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._rules: list[Fault] = []
        self._script: deque[Fault] = deque()
        self._random = random.Random(seed)
        self.injected: Counter[str] = Counter()
        self.replace(rules, script, seed)

    def replace(
        self,
        rules: Iterable[Fault] = (),
        script: Iterable[Fault | None] = (),
        seed: int | None = None,
    ) -> None:
        """Swap in a new plan (the injected counters keep counting)."""
        with self._lock:
            self._rules = list(rules)
            self._script = deque(f if f is not None else Fault("ok") for f in script)
            self._random = random.Random(seed)

    def clear(self) -> None:
        """No faults from now on."""
        self.replace()

    def choose(self, method: str, path: str) -> Fault | None:
        """The fault to apply to this request, or None; counts what it hands out."""
        with self._lock:
            chosen: Fault | None = None
            if self._script and self._script[0].matches(method, path):
                chosen = self._script.popleft()
            else:
                for rule in self._rules:
                    if rule.matches(method, path) and self._random.random() < rule.probability:
                        chosen = rule
                        break
            if chosen is None or chosen.kind == "ok":
                return None
            self.injected[chosen.kind] += 1
            return chosen

    def reset_counts(self) -> None:
        """Forget how many faults were injected (the plan stays)."""
        with self._lock:
            self.injected.clear()

    def describe(self) -> dict[str, Any]:
        """The current plan, JSON-ready."""
        with self._lock:
            return {
                "rules": [rule.to_dict() for rule in self._rules],
                "script": [fault.to_dict() for fault in self._script],
                "injected": dict(self.injected),
            }


def faults_from_json(items: Sequence[Any] | None) -> list[Fault]:
    """Parse a JSON list of faults (dicts or bare kinds)."""
    return [Fault.from_dict(item) for item in (items or [])]
