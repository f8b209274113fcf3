"""Processing due queue items in batches, concurrently, within DataCite's rate limit.

One call claims chunks of due items, reads their catalogue records in one batch, and runs
the items on a small thread pool (DataCite answers slowly; the shared rate limiter keeps the
worker under its limit). An authentication failure stops the batch: items not yet sent go
back to the queue untouched. A heartbeat renews the leases of the items in flight, so a live
worker keeps its items however slow DataCite is, and a dead one's are due again a lease later.

Every claimed item gets an outcome, whatever goes wrong: a chunk of records the catalogue
cannot read is read again record by record, and only the unreadable records fail.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from time import monotonic
from typing import Any, Protocol

import sqlalchemy as sa

from heratio_doi_pipelines.catalogue.reader import CatalogueReader
from heratio_doi_pipelines.catalogue.records import CatalogueRecord
from heratio_doi_pipelines.clock import utcnow
from heratio_doi_pipelines.datacite.errors import AuthenticationError
from heratio_doi_pipelines.datacite_access import (
    BatchRefused,
    DataCiteAccess,
    verb_for,
)
from heratio_doi_pipelines.notify.redact import Redactor
from heratio_doi_pipelines.queue.lifecycle import (
    RELEASED,
    RETRY,
    ItemRunner,
    Outcome,
    failure_reason,
    hold_after_auth_failure,
    is_transient,
)
from heratio_doi_pipelines.queue.prepare import Prepared, prepare_mints
from heratio_doi_pipelines.queue.transitions import (
    DEFAULT_LEASE,
    HERATIO_STALE_AFTER,
    ClaimedItem,
    LeaseHeartbeat,
    claim_batch,
    count_due,
    end_abandoned,
    reclaim_heratio_in_progress,
    release,
)
from heratio_doi_pipelines.settings import DoiSettings, refusal
from heratio_doi_pipelines.store.schema import require_tables


class OutcomeListener(Protocol):
    """Notified of every outcome (e.g. the e-mail notifier)."""

    def record(self, outcome: Outcome, settings: DoiSettings) -> None: ...


@dataclass
class ProcessReport:
    worker_id: str
    outcomes: list[Outcome] = field(default_factory=list)
    auth_error: str | None = None
    refused: str | None = None  # the settings forbade the batch: nothing claimed, nothing sent
    requests_sent: int = 0
    rate_limited: int = 0  # 429s met
    budget: str = ""  # the request budget the batch drew from
    released: int = 0
    elapsed_seconds: float = 0.0  # the whole run, from the first claim to the last outcome
    sending_seconds: float = 0.0  # from the first DataCite request to the last

    @property
    def accepted_rate(self) -> float:
        """Requests DataCite accepted (not 429) per second over the whole run."""
        if self.elapsed_seconds <= 0:
            return 0.0
        return (self.requests_sent - self.rate_limited) / self.elapsed_seconds

    @property
    def request_rate(self) -> float:
        """DataCite requests per second while the batch was sending (first to last request)."""
        if self.requests_sent < 2 or self.sending_seconds <= 0:
            return 0.0
        return (self.requests_sent - 1) / self.sending_seconds

    def rate_summary(self) -> str:
        return (
            f"{self.requests_sent} DataCite requests, {self.rate_limited} answered 429, "
            f"{self.accepted_rate:.2f} accepted/s over the run; budget {self.budget or 'none'}"
        )

    @property
    def counts(self) -> dict[str, int]:
        counter = Counter(o.status for o in self.outcomes)
        return {k: counter.get(k, 0) for k in ("completed", "skipped", "retry", "failed", RELEASED)}

    @property
    def stored_differs(self) -> int:
        """Accepted writes whose stored copy at DataCite differs from what was sent."""
        return sum(1 for o in self.outcomes if o.stored_differs)

    @property
    def claimed(self) -> int:
        return len(self.outcomes)

    def by_action(self) -> dict[str, dict[str, int]]:
        table: dict[str, Counter[str]] = {}
        for o in self.outcomes:
            table.setdefault(o.action, Counter())[o.status] += 1
        return {action: dict(c) for action, c in table.items()}

    @property
    def nothing_succeeded(self) -> bool:
        """Items failed for good and none was completed or skipped: the batch failed."""
        c = self.counts
        return c["failed"] > 0 and c["completed"] + c["skipped"] == 0

    def reasons(self, status: str, first: int = 3) -> str:
        """The first few outcomes of ``status`` as "record 12: reason; ...", for one line."""
        chosen = [o for o in self.outcomes if o.status == status]
        text = "; ".join(f"record {o.record_id}: {o.message}" for o in chosen[:first])
        return text + (f"; and {len(chosen) - first} more" if len(chosen) > first else "")

    def summary(self) -> str:
        c = self.counts
        text = (
            f"{self.claimed} items: {c['completed']} completed, {c['skipped']} skipped, "
            f"{c['retry']} to retry, {c['failed']} failed"
        )
        if self.refused:
            return f"nothing processed: {self.refused}"
        if self.auth_error:
            text += f"; stopped: {self.auth_error}"
        return text


# Threads beyond the requests in flight: they read, build and validate the next items and
# record the last ones' outcomes while ``concurrency`` requests wait for DataCite, so even one
# request in flight leaves back to back.
PREPARE_AHEAD = 2
# Items claimed (and their records read) at once, at least: the catalogue batch costs the
# same 15 queries for 2 records as for 32.
MIN_CHUNK = 32


PreparedChunk = dict[int, Prepared]  # a chunk's prepared mints by item id


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def process_queue(
    doi_engine: sa.Engine,
    catalogue_engine: sa.Engine,
    *,
    overrides: Mapping[str, Any] | None = None,
    access: DataCiteAccess | None = None,
    bulk: bool | None = None,
    limit: int = 100,
    actions: list[str] | None = None,
    concurrency: int = 16,
    chunk_size: int = 0,
    lease: timedelta = DEFAULT_LEASE,
    heratio_stale_after: timedelta = HERATIO_STALE_AFTER,
    worker_id: str | None = None,
    listener: OutcomeListener | None = None,
    now: Callable[[], datetime] = utcnow,
    progress: Callable[[Outcome], None] | None = None,
) -> ProcessReport:
    """Process up to ``limit`` due queue items once, then return what happened.

    ``access`` carries the run's settings and clients (else one is built on ``overrides``);
    ``bulk`` asks for the bulk budget (None: automatic past the settings' threshold).
    """
    require_tables(doi_engine)
    started = monotonic()
    concurrency = max(1, concurrency)
    threads = concurrency + PREPARE_AHEAD
    chunk_size = chunk_size or max(MIN_CHUNK, 2 * concurrency)
    first_chunk = min(chunk_size, 2 * threads)
    report = ProcessReport(worker_id=worker_id or default_worker_id())
    own_access = access is None
    access = access or DataCiteAccess(doi_engine, overrides)
    verb = verb_for(actions)
    try:
        access.check(verb)  # before anything is claimed: a bad setting spends no attempt
    except BatchRefused as exc:
        report.refused = str(exc)
        return report
    report.budget = access.choose_budget(count_due(doi_engine, actions=actions), bulk)
    resolver = access.settings
    pool = access.clients
    pool.limit_in_flight(concurrency)
    reader = CatalogueReader(catalogue_engine, doi_engine=doi_engine)
    stop = threading.Event()
    unreadable: dict[int, BaseException] = {}
    # Grows with the secrets of every repository's settings the batch resolves.
    redact = Redactor(doi_engine.url.password or "", catalogue_engine.url.password or "")

    def read(ids: list[int]) -> dict[int, CatalogueRecord]:
        """The chunk's records; if the chunk cannot be read, each record on its own."""
        try:
            return {r.id: r for r in reader.read_records(ids)}
        except Exception:  # noqa: BLE001 - isolated below, record by record
            records: dict[int, CatalogueRecord] = {}
            for record_id in ids:
                try:
                    records.update((r.id, r) for r in reader.read_records([record_id]))
                except Exception as exc:  # noqa: BLE001 - becomes that item's outcome
                    unreadable[record_id] = exc
            return records

    checked: dict[int | None, tuple[DoiSettings, str | None]] = {}

    def settings_of(repository_id: int | None) -> tuple[DoiSettings, str | None]:
        """A repository's settings and why they refuse the batch (None: they do not),
        checked once per repository for the whole batch."""
        if repository_id not in checked:
            settings = resolver.for_repository(repository_id)
            checked[repository_id] = (settings, refusal(settings, verb))
        return checked[repository_id]

    def sending_settings(record: CatalogueRecord) -> DoiSettings | None:
        """The record's settings, None where they refuse the batch (its item stops it)."""
        settings, refused = settings_of(record.repository_id)
        return None if refused else settings

    def prepare(items: list[ClaimedItem], records: dict[int, CatalogueRecord]) -> PreparedChunk:
        """The chunk's mints read and reserved at once; where that fails, each item reads
        and reserves on its own (and its outcome says what went wrong)."""
        try:
            return prepare_mints(doi_engine, items, records, sending_settings, now())
        except Exception:  # noqa: BLE001 - the items do the same work themselves
            return {}

    def outcome_of(
        item: ClaimedItem, records: dict[int, CatalogueRecord], prepared: PreparedChunk
    ) -> Outcome | None:
        record = records.get(item.information_object_id)
        settings, refused = settings_of(record.repository_id if record else None)
        if refused:  # this repository's own row is a placeholder: stop before any request
            stop.set()
            report.refused = refused
            return None
        redact.add(settings.password, settings.api_token, settings.smtp_password)
        runner = ItemRunner(doi_engine, pool.client_for(settings), settings, now, redact=redact)
        read_error = unreadable.get(item.information_object_id)
        if read_error is not None:
            reason = (
                f"record {item.information_object_id} cannot be read from the catalogue: "
                f"{failure_reason(read_error, redact)}"
            )
            return runner.record_error(item, reason, transient=is_transient(read_error))
        try:
            outcome = runner.run(item, record, prepared.get(item.id))
        except AuthenticationError as exc:
            stop.set()
            report.auth_error = str(exc)
            return hold_after_auth_failure(doi_engine, item, str(exc), now())
        if listener is not None:
            listener.record(outcome, settings)
        return outcome

    def run(
        item: ClaimedItem, records: dict[int, CatalogueRecord], prepared: PreparedChunk
    ) -> Outcome | None:
        try:
            if stop.is_set():
                return None
            outcome = outcome_of(item, records, prepared)
        except Exception as exc:  # noqa: BLE001 - the outcome could not even be recorded
            # Nothing was written: the item stays claimed until its lease lapses (the
            # heartbeat lets go of it), then it is due again; max_attempts bounds this.
            outcome = Outcome(
                item.id,
                item.information_object_id,
                item.action,
                RETRY,
                message="the outcome could not be recorded, due again after the lease: "
                + failure_reason(exc, redact),
            )
        finally:
            heartbeat.untrack(item.id)
        if outcome is not None and progress is not None:
            progress(outcome)
        return outcome

    settle_at = now()
    end_abandoned(doi_engine, settle_at)
    reclaim_heratio_in_progress(doi_engine, settle_at, stale_after=heratio_stale_after)
    heartbeat = LeaseHeartbeat(doi_engine, report.worker_id, lease, now)
    try:
        with heartbeat, ThreadPoolExecutor(max_workers=threads) as executor:
            in_flight: dict[Future[Outcome | None], ClaimedItem] = {}
            claimed = 0
            exhausted = False
            while True:
                # Keep the pool fed: a whole chunk stays queued beyond the threads, so the
                # next chunk is claimed, read and prepared while that one is sent. The first
                # chunk is small, so the first request leaves after a few records are read.
                hungry = claimed < limit and len(in_flight) < chunk_size + threads
                if hungry and not (exhausted or stop.is_set()):
                    size = min(chunk_size if claimed else first_chunk, limit - claimed)
                    items = claim_batch(
                        doi_engine,
                        report.worker_id,
                        size,
                        lease=lease,
                        actions=actions,
                        now=now(),
                    )
                    heartbeat.track([i.id for i in items])
                    exhausted = not items
                    claimed += len(items)
                    records = read([i.information_object_id for i in items]) if items else {}
                    prepared = prepare(items, records) if items else {}
                    for item in items:
                        in_flight[executor.submit(run, item, records, prepared)] = item
                    if items:
                        continue
                if not in_flight:
                    break
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                unsent = []
                for future in done:
                    item = in_flight.pop(future)
                    outcome = future.result()
                    if outcome is None:
                        unsent.append(item.id)
                    else:
                        report.outcomes.append(outcome)
                report.released += release(doi_engine, unsent, report.worker_id)
    finally:
        pool.limit_in_flight(None)
        totals = pool.totals()
        report.requests_sent, report.rate_limited = totals.requests_sent, totals.rate_limited
        report.sending_seconds = totals.sending_seconds
        report.elapsed_seconds = monotonic() - started
        if own_access:
            access.close()
    return report
