"""The emulator's memory: DOIs, events and usage reports, optionally mirrored to a JSON file."""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

STATE_FILE_VERSION = 1


def utc_now() -> str:
    """DataCite's timestamp style (UTC, ``Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class DoiRecord:
    """One DOI as DataCite holds it; ``doi`` is upper-case, as DataCite stores it.

    ``created_count`` counts creations of this DOI string (more than one only after a draft
    was deleted and made again), so tests can prove a DOI was never made twice.
    """

    doi: str
    sequence: int
    state: str = "draft"
    url: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    xml: str | None = None
    created: str = field(default_factory=utc_now)
    updated: str = field(default_factory=utc_now)
    registered: str | None = None
    created_count: int = 1
    update_count: int = 0

    @property
    def prefix(self) -> str:
        return self.doi.split("/", 1)[0]


@dataclass
class EventRecord:
    """One Event Data event; ``attributes`` use snake_case keys whatever style the client sent."""

    id: str
    attributes: dict[str, Any]
    created: str = field(default_factory=utc_now)
    updated: str = field(default_factory=utc_now)
    submissions: int = 1

    @property
    def dedup_key(self) -> tuple[Any, ...]:
        a = self.attributes
        return (a.get("subj_id"), a.get("obj_id"), a.get("source_id"), a.get("relation_type_id"))


@dataclass
class ReportRecord:
    """One COUNTER usage report; ``status`` moves from pending to its final value when polled."""

    id: str
    header: dict[str, Any]
    datasets: list[Any]
    status: str
    final_status: str
    pending_polls_left: int = 0
    compressed: bool = False
    created: str = field(default_factory=utc_now)
    updated: str = field(default_factory=utc_now)
    submissions: int = 1


class EmulatorState:
    """Everything the emulator remembers; ``lock`` lets tests read it from their thread."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.dois: dict[str, DoiRecord] = {}
        self.events: dict[str, EventRecord] = {}
        self.event_keys: dict[tuple[Any, ...], str] = {}
        self.creations: Counter[str] = Counter()
        self.reports: dict[str, ReportRecord] = {}
        # upper-case DOI -> the URL its handle answers instead of the DOI's own (tests)
        self.handle_targets: dict[str, str] = {}
        self._sequence = 0
        self.dirty = False

    # DOIs -----------------------------------------------------------------
    def doi(self, doi: str) -> DoiRecord | None:
        """Look a DOI up case-insensitively."""
        with self.lock:
            return self.dois.get(doi.strip().upper())

    def new_doi(self, doi: str, created: str) -> DoiRecord:
        """Create and store a DOI record, counting how often this DOI string was ever created."""
        with self.lock:
            self._sequence += 1
            self.creations[doi] += 1
            record = DoiRecord(
                doi=doi,
                sequence=self._sequence,
                created=created,
                updated=created,
                created_count=self.creations[doi],
            )
            self.dois[doi] = record
            self.dirty = True
            return record

    def dois_by_state(self) -> dict[str, int]:
        with self.lock:
            return dict(Counter(record.state for record in self.dois.values()))

    # Events ----------------------------------------------------------------
    def store_event(self, record: EventRecord) -> None:
        with self.lock:
            self.events[record.id] = record
            self.event_keys[record.dedup_key] = record.id
            self.dirty = True

    # Persistence -------------------------------------------------------------
    def clear(self, *, dois: bool = True, events: bool = True, reports: bool = True) -> None:
        with self.lock:
            if dois:
                self.dois.clear()
                self.creations.clear()
                self.handle_targets.clear()
            if events:
                self.events.clear()
                self.event_keys.clear()
            if reports:
                self.reports.clear()
            self.dirty = True

    def to_json(self) -> dict[str, Any]:
        with self.lock:
            return {
                "version": STATE_FILE_VERSION,
                "sequence": self._sequence,
                "dois": [asdict(r) for r in self.dois.values()],
                "creations": dict(self.creations),
                "events": [asdict(r) for r in self.events.values()],
                "reports": [asdict(r) for r in self.reports.values()],
            }

    def load_json(self, data: dict[str, Any]) -> None:
        with self.lock:
            self.clear()
            for item in data.get("dois", []):
                record = DoiRecord(**item)
                self.dois[record.doi] = record
            for item in data.get("events", []):
                self.store_event(EventRecord(**item))
            for item in data.get("reports", []):
                report = ReportRecord(**item)
                self.reports[report.id] = report
            self.creations.update(data.get("creations", {}))
            self._sequence = int(data.get("sequence", len(self.dois)))
            self.dirty = False

    def save(self, path: Path | str) -> None:
        """Write atomically (temp file + rename) so a crash never leaves half a state file."""
        path = Path(path)
        with self.lock:
            payload = json.dumps(self.to_json(), ensure_ascii=False)
            self.dirty = False
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(payload, encoding="utf-8")
        os.replace(tmp, path)

    def load(self, path: Path | str) -> bool:
        """Load a state file if it exists; returns whether it did."""
        path = Path(path)
        if not path.exists():
            return False
        self.load_json(json.loads(path.read_text(encoding="utf-8")))
        return True
