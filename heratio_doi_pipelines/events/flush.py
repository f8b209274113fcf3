"""Sending recorded events to DataCite: ``PUT /events/{uuid}``, one committed row at a time.

Why it is safe to kill: an event's row changes only after DataCite answered, in its own
transaction, so a crash loses at most the knowledge that the last event arrived; the next
flush sends it again under the same UUID, which DataCite treats as an update.

Why it stops instead of failing events: a 403 (repository credentials are not allowed to
write events, or a token without the right) or a 401 would fail every event the same way,
so the flush stops at once and no event spends an attempt. Five transient failures in a row
(DataCite down) stop it too. Other failures back off per event like the DOI queue (5, 10
minutes) and give up after three attempts; a rejected event (422) gives up at once.

Events DataCite no longer ingests (relations that are not DOI-to-DOI or of a relation type
it dropped, see ``scope``) are never sent: their rows are closed as ``not_sent: out of
DataCite's event scope`` with the reason, and are not retried.

The per-minute cap is the shared ``RateLimiter`` with ``events_per_minute`` per 60 s, so a
burst of any size is spread over minutes; ``time_budget_s`` ends a flush that would outlast
its schedule, leaving the rest pending.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from heratio_doi_pipelines.clock import utcnow
from heratio_doi_pipelines.datacite.errors import (
    AuthenticationError,
    DataCiteError,
    ForbiddenError,
)
from heratio_doi_pipelines.datacite.events_client import EventsClient
from heratio_doi_pipelines.datacite.rate_limit import RateLimiter
from heratio_doi_pipelines.events.config import BEARER_WARNING, EventsConfig
from heratio_doi_pipelines.events.identity import event_uuid, kind_of
from heratio_doi_pipelines.events.payload import event_attributes
from heratio_doi_pipelines.events.scope import out_of_scope
from heratio_doi_pipelines.events.store import FAILED, PENDING, SENT
from heratio_doi_pipelines.queue.backoff import next_attempt_at
from heratio_doi_pipelines.store.tables import ahg_datacite_event

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
TRANSIENT_FAILURES_TO_STOP = 5
PAGE_SIZE = 500
RESPONSE_BODY_CHARS = 2000
OUTCOMES_KEPT = 200

BEARER_REQUIRED = (
    "events need a DataCite Bearer token: DataCite refused the repository's basic-auth "
    "credentials for /events (403). Set datacite_api_token (env DATACITE_API_TOKEN); "
    "the flush stopped and no event spent an attempt"
)


class FlushDeadline(Exception):
    """The time budget ran out (raised from the rate limiter's wait)."""


@dataclass(frozen=True)
class EventOutcome:
    event_id: int
    kind: str
    relation_type_id: str
    status: str  # sent | retry | failed | not_sent
    message: str = ""
    created: bool = False  # sent: a new event at DataCite (201), else an update (200)
    transient: bool = False  # failed for a reason worth retrying (5xx, timeout, 429)


@dataclass
class FlushReport:
    events_url: str
    auth: str
    considered: int = 0
    sent: int = 0
    created: int = 0
    updated: int = 0
    retry: int = 0
    failed: int = 0
    not_sent: int = 0  # out of DataCite's event scope: closed, never retried
    stopped: str | None = None
    deadline_reached: bool = False
    warnings: list[str] = field(default_factory=list)
    sent_by_kind: Counter[str] = field(default_factory=Counter)
    outcomes: list[EventOutcome] = field(default_factory=list)
    requests: int = 0
    rate_limited: int = 0

    def add(self, outcome: EventOutcome) -> None:
        if len(self.outcomes) < OUTCOMES_KEPT:
            self.outcomes.append(outcome)

    def summary(self) -> str:
        text = (
            f"events: {self.sent} sent ({self.created} new, {self.updated} updated), "
            f"{self.retry} to retry, {self.failed} failed, {self.not_sent} out of DataCite's "
            f"event scope, of {self.considered} due "
            f"[{self.auth} → {self.events_url}]"
        )
        if self.deadline_reached:
            text += "; time budget reached, the rest stays pending"
        if self.stopped:
            text += f"; stopped: {self.stopped}"
        return text


def due_condition(now: datetime) -> sa.ColumnElement[bool]:
    """Pending events, and failed ones whose back-off has passed and attempts remain."""
    t = ahg_datacite_event
    ready = sa.or_(t.c.scheduled_at.is_(None), t.c.scheduled_at <= now)
    return sa.and_(
        ready,
        sa.or_(t.c.state == PENDING, sa.and_(t.c.state == FAILED, t.c.attempts < MAX_ATTEMPTS)),
    )


def count_due(engine: sa.Engine, now: datetime | None = None) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count())
                .select_from(ahg_datacite_event)
                .where(due_condition(now or utcnow()))
            ).scalar_one()
        )


class _Deadline:
    """The rate limiter's sleep, refusing to wait past the time budget."""

    def __init__(self, budget_s: float | None) -> None:
        self.at = None if budget_s is None else time.monotonic() + budget_s

    def passed(self) -> bool:
        return self.at is not None and time.monotonic() >= self.at

    def sleep(self, seconds: float) -> None:
        if self.at is not None and time.monotonic() + seconds > self.at:
            raise FlushDeadline()
        time.sleep(seconds)


def flush_events(
    engine: sa.Engine,
    config: EventsConfig,
    *,
    limit: int | None = None,
    time_budget_s: float | None = None,
    cap_window_s: float = 60.0,
    progress: Callable[[EventOutcome], None] | None = None,
) -> FlushReport:
    """Send due events (oldest first) until done, ``limit``, the time budget or a stop.

    ``cap_window_s`` is the window of the ``per_minute`` cap (60 s; tests shrink it).
    """
    report = FlushReport(events_url=config.url, auth=config.auth_label)
    if not config.uses_bearer:
        report.warnings.append(BEARER_WARNING)
        log.warning(BEARER_WARNING)
    deadline = _Deadline(time_budget_s)
    limiter = RateLimiter(config.per_minute, cap_window_s, sleep=deadline.sleep)
    client = config.open_client(limiter)
    transient_in_a_row = 0
    last_id = 0
    try:
        while limit is None or report.considered < limit:
            page = _due_page(engine, last_id, PAGE_SIZE)
            if not page:
                break
            for row in page:
                if (limit is not None and report.considered >= limit) or deadline.passed():
                    report.deadline_reached = deadline.passed()
                    return report
                last_id = row.id
                report.considered += 1
                reason = out_of_scope(row)
                if reason:
                    report.add(_close_out_of_scope(engine, row, reason))
                    report.not_sent += 1
                    continue
                try:
                    outcome = _send(engine, client, config, row)
                except FlushDeadline:
                    report.considered -= 1
                    report.deadline_reached = True
                    return report
                except ForbiddenError as exc:
                    report.considered -= 1
                    report.stopped = (
                        BEARER_REQUIRED
                        if not config.uses_bearer
                        else f"DataCite refused the Bearer token for /events: {exc}; "
                        "no event spent an attempt"
                    )
                    log.error(report.stopped)
                    return report
                except AuthenticationError as exc:
                    report.considered -= 1
                    report.stopped = f"{exc}; no event spent an attempt"
                    log.error(report.stopped)
                    return report
                report.add(outcome)
                if progress is not None:
                    progress(outcome)
                if outcome.status == SENT:
                    report.sent += 1
                    report.sent_by_kind[outcome.kind] += 1
                    report.created += outcome.created
                    report.updated += not outcome.created
                else:
                    log.warning("event %s: %s", outcome.event_id, outcome.message)
                    if outcome.status == "retry":
                        report.retry += 1
                    else:
                        report.failed += 1
                transient_in_a_row = transient_in_a_row + 1 if outcome.transient else 0
                if transient_in_a_row >= TRANSIENT_FAILURES_TO_STOP:
                    report.stopped = (
                        f"DataCite failed {transient_in_a_row} events in a row; the rest "
                        "wait for the next flush"
                    )
                    return report
    finally:
        report.requests = client.requests_sent
        report.rate_limited = client.rate_limited
        client.close()
    return report


def _due_page(engine: sa.Engine, after_id: int, size: int) -> list[Any]:
    t = ahg_datacite_event
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(t)
                .where(due_condition(utcnow()), t.c.id > after_id)
                .order_by(t.c.id)
                .limit(size)
            )
        )


def _close_out_of_scope(engine: sa.Engine, row: Any, reason: str) -> EventOutcome:
    """Closed without a request: failed with every attempt spent, the reason kept."""
    t = ahg_datacite_event
    with engine.begin() as conn:
        conn.execute(
            t.update()
            .where(t.c.id == row.id)
            .values(
                state=FAILED,
                attempts=MAX_ATTEMPTS,
                scheduled_at=None,
                last_error=reason[:RESPONSE_BODY_CHARS],
                updated_at=utcnow(),
            )
        )
    return EventOutcome(
        row.id, kind_of(row.relation_type_id), row.relation_type_id, "not_sent", reason
    )


def _send(engine: sa.Engine, client: EventsClient, config: EventsConfig, row: Any) -> EventOutcome:
    """One event: PUT, then its row's new state in its own transaction."""
    t = ahg_datacite_event
    kind = kind_of(row.relation_type_id)
    uuid = event_uuid(row.dedupe_hash)
    attributes = event_attributes(row, camel_case=config.camel_case)
    payload = {"data": {"type": "events", "id": uuid, "attributes": attributes}}
    attempts = int(row.attempts or 0) + 1
    now = utcnow()
    try:
        result = client.put_event(uuid, attributes)
    except (ForbiddenError, AuthenticationError):
        raise
    except DataCiteError as exc:
        give_up = not exc.transient or attempts >= MAX_ATTEMPTS
        with engine.begin() as conn:
            conn.execute(
                t.update()
                .where(t.c.id == row.id)
                .values(
                    state=FAILED,
                    attempts=MAX_ATTEMPTS if not exc.transient else attempts,
                    scheduled_at=None if give_up else next_attempt_at(now, attempts),
                    last_error=str(exc)[:RESPONSE_BODY_CHARS],
                    response_status=exc.status,
                    payload_json=payload,
                    updated_at=now,
                )
            )
        return EventOutcome(
            row.id,
            kind,
            row.relation_type_id,
            "failed" if give_up else "retry",
            str(exc),
            transient=exc.transient,
        )
    sent_total = row.total if row.total is not None else -1
    with engine.begin() as conn:
        # Only if nobody changed the total meanwhile; a changed row stays pending and goes again.
        conn.execute(
            t.update()
            .where(t.c.id == row.id, sa.func.coalesce(t.c.total, -1) == sent_total)
            .values(
                state=SENT,
                attempts=attempts,
                scheduled_at=None,
                last_error=None,
                response_status=result.status,
                response_body=result.body[:RESPONSE_BODY_CHARS],
                payload_json=payload,
                submitted_at=now,
                updated_at=now,
            )
        )
    return EventOutcome(
        row.id,
        kind,
        row.relation_type_id,
        SENT,
        "created" if result.created else "updated",
        created=result.created,
    )
