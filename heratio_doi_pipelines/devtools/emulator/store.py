"""The emulator's memory: DOIs, events and usage reports, optionally mirrored to a JSON file."""

from __future__ import annotations

import bisect
import json
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

STATE_FILE_VERSION = 1


def utc_now() -> str:
    """DataCite's timestamp style (UTC, ``Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass(slots=True)  # a million of them fit in a few hundred MB
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
    """Everything the emulator remembers; ``lock`` lets tests read it from their thread.

    DOIs are also kept in creation order (``sequence``) with counts per prefix and state, so a
    cursor page over a million DOIs is a binary search and a short walk, never a full scan.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.dois: dict[str, DoiRecord] = {}
        self._order: list[DoiRecord] = []  # ascending sequence; deleted records skipped
        self._counts: Counter[tuple[str, str]] = Counter()  # (prefix, state) -> DOIs
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
            self._add(record)
            self.dirty = True
            return record

    def generate(self, template: dict[str, Any], numbers: range, now: str | None = None) -> int:
        """Store one DOI per number from a template whose strings may hold ``{n}`` (``doi``,
        ``state``, ``url``, ``attributes``): how benchmarks load a million DOIs at once."""
        created = now or utc_now()
        with self.lock:
            for n in numbers:
                doi = _fill(template["doi"], n).strip().upper()
                existing = self.dois.get(doi)
                if existing is not None:
                    self.remove_doi(existing)
                record = self.new_doi(doi, created)
                record.url = _fill(template.get("url"), n)
                record.attributes = _fill(template.get("attributes") or {}, n)
                record.registered = created
                self.set_state(record, template.get("state", "findable"))
        return len(numbers)

    def _add(self, record: DoiRecord) -> None:
        self.dois[record.doi] = record
        if self._order and self._order[-1].sequence > record.sequence:
            bisect.insort(self._order, record, key=lambda r: r.sequence)
        else:
            self._order.append(record)
        self._counts[(record.prefix, record.state)] += 1

    def set_state(self, record: DoiRecord, state: str) -> None:
        """Change a stored DOI's state (keeps the counts per state right)."""
        with self.lock:
            if record.state != state and self.dois.get(record.doi) is record:
                self._counts[(record.prefix, record.state)] -= 1
                self._counts[(record.prefix, state)] += 1
            record.state = state
            self.dirty = True

    def remove_doi(self, record: DoiRecord) -> None:
        with self.lock:
            if self.dois.get(record.doi) is record:
                del self.dois[record.doi]
                self._counts[(record.prefix, record.state)] -= 1
                if len(self._order) > 2 * len(self.dois) + 1000:
                    self._order = [r for r in self._order if self.dois.get(r.doi) is r]
                self.dirty = True

    def count_dois(self, prefixes: set[str], states: set[str] | None) -> int:
        """DOIs under any of ``prefixes`` (empty: any) in any of ``states`` (None: any)."""
        with self.lock:
            return sum(
                n
                for (prefix, state), n in self._counts.items()
                if (not prefixes or prefix in prefixes) and (states is None or state in states)
            )

    def dois_after(self, sequence: int, wanted: Callable[[DoiRecord], bool]) -> Iterator[DoiRecord]:
        """Live DOIs created after ``sequence``, oldest first, that ``wanted`` accepts.

        Lazy: a page takes what it needs; DOIs created meanwhile come at the end.
        """
        order: list[DoiRecord] = []
        position = 0
        while True:
            with self.lock:
                if order is not self._order:  # first step, or the list was compacted
                    order = self._order
                    position = bisect.bisect_right(order, sequence, key=lambda r: r.sequence)
                if position >= len(order):
                    return
                record = order[position]
                live = self.dois.get(record.doi) is record
            position += 1
            sequence = record.sequence
            if live and wanted(record):
                yield record

    def dois_by_state(self) -> dict[str, int]:
        with self.lock:
            totals: Counter[str] = Counter()
            for (_prefix, state), n in self._counts.items():
                if n:
                    totals[state] += n
            return dict(totals)

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
                self._order.clear()
                self._counts.clear()
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
            for item in sorted(data.get("dois", []), key=lambda item: item["sequence"]):
                self._add(DoiRecord(**item))
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


def _fill(value: Any, n: int) -> Any:
    """``value`` with ``{n}`` replaced by ``n`` in every string it holds."""
    if isinstance(value, str):
        return value.replace("{n}", str(n)) if "{n}" in value else value
    if isinstance(value, dict):
        return {key: _fill(item, n) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, n) for item in value]
    return value
