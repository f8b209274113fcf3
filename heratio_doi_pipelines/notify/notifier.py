"""E-mail about DOI outcomes to the ops mailbox and the record owner, digested per batch.

The queue processor calls :meth:`EmailNotifier.record` from its worker threads; that call only
files the outcome. Mail goes out at :meth:`EmailNotifier.flush`, after the batch, on one SMTP
connection: the mail server is never on the minting path, so a slow or broken one cannot delay,
fail or roll back a DOI change. With the digest (``doi_notify_digest``, on by default) each
recipient gets one mail per batch; without it, one mail per outcome (also sent at the flush).
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from types import TracebackType
from typing import TYPE_CHECKING

from heratio_doi_pipelines.notify.messages import digest_message, outcome_message
from heratio_doi_pipelines.notify.recipients import clean_addresses, parse_recipients
from heratio_doi_pipelines.notify.redact import Redactor
from heratio_doi_pipelines.notify.smtp import DEFAULT_TIMEOUT_S, SmtpConfig, deliver, describe
from heratio_doi_pipelines.settings import DoiSettings

if TYPE_CHECKING:
    from heratio_doi_pipelines.queue.lifecycle import Outcome

logger = logging.getLogger(__name__)

# Outcome statuses that trigger mail unless the caller chooses otherwise. Retries are left
# out: they resolve themselves (or end as ``failed``, which is mailed then).
DEFAULT_NOTIFY_ON: frozenset[str] = frozenset({"completed", "failed"})

# the batch's record ids -> {record id: its owner's mail address} (records without one left out)
OwnerLookup = Callable[[Sequence[int]], Mapping[int, str | None]]


@dataclass
class NotifierReport:
    """What a flush sent; ``errors`` never contain the SMTP password."""

    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    dropped_recipients: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def summary(self) -> str:
        text = f"{self.sent} mail(s) sent, {self.failed} failed"
        if self.errors:
            text += ": " + "; ".join(self.errors)
        return text


class EmailNotifier:
    """An ``OutcomeListener`` that mails outcomes; safe to call from several threads.

    Recipients are the ``failure_notify`` addresses of ``settings`` plus, when ``owner_lookup``
    is given (``catalogue.owners.RecordOwners``: who created the record), the owner of each
    record, who hears only about their own records.
    ``notify_on`` chooses which outcome statuses are mailed (every status is counted in a
    digest); ``digest`` defaults to ``settings.notify_digest``.
    """

    def __init__(
        self,
        settings: DoiSettings,
        *,
        owner_lookup: OwnerLookup | None = None,
        notify_on: Collection[str] = DEFAULT_NOTIFY_ON,
        digest: bool | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        ssl_context: ssl.SSLContext | None = None,
    ):
        self.smtp = SmtpConfig.from_settings(settings, timeout=timeout, ssl_context=ssl_context)
        parsed = parse_recipients(settings.failure_notify)
        self.ops_recipients: tuple[str, ...] = parsed.valid
        self.invalid_recipients: tuple[str, ...] = parsed.invalid
        self.owner_lookup = owner_lookup
        self.notify_on = frozenset(notify_on)
        self.digest = settings.notify_digest if digest is None else digest
        self._redact = Redactor(settings.password, settings.api_token)
        self._redact.add_smtp_credentials(settings.smtp_user, settings.smtp_password)
        self._pending: list[Outcome] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()

    # --- OutcomeListener --------------------------------------------------------------------

    def record(self, outcome: Outcome, settings: DoiSettings) -> None:
        """Files one outcome for the next flush (no I/O: called on the minting threads)."""
        # Per-repository config rows carry their own DataCite secrets: mask those too.
        self._redact.add(settings.password, settings.api_token)
        with self._lock:
            self._pending.append(outcome)

    # --- sending ----------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def flush(self) -> NotifierReport:
        """Mails what was recorded since the last flush; never raises."""
        with self._flush_lock:
            with self._lock:
                outcomes, self._pending = self._pending, []
            report = NotifierReport(dropped_recipients=list(self.invalid_recipients))
            try:
                messages = self._messages(outcomes, report)
                delivery = deliver(self.smtp, messages, self._redact)
                report.sent += delivery.sent
                report.failed += delivery.failed
                report.errors += delivery.errors
            except Exception as exc:  # a bug here must not fail the batch it reports on
                report.failed += 1
                report.errors.append(self._redact(f"mail notification: {describe(exc)}"))
            for error in report.errors:
                logger.warning("DOI notification mail not sent: %s", error)
            return report

    def __enter__(self) -> EmailNotifier:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.flush()

    # --- composing --------------------------------------------------------------------------

    def _owners(self, outcomes: Sequence[Outcome], report: NotifierReport) -> dict[int, str]:
        """Each record's owner address, looked up once for the batch (failures only logged)."""
        if self.owner_lookup is None:
            return {}
        record_ids = list(dict.fromkeys(o.record_id for o in outcomes))
        try:
            found = self.owner_lookup(record_ids)
        except Exception as exc:
            logger.warning(
                "owners of %d record(s) not looked up: %s",
                len(record_ids),
                self._redact(describe(exc)),
            )
            return {}
        owners: dict[int, str] = {}
        for record_id in record_ids:
            address = found.get(record_id)
            if not address:
                continue
            cleaned = clean_addresses([address])
            if cleaned.valid:
                owners[record_id] = cleaned.valid[0]
            else:
                logger.warning("owner of record %s has an invalid address %r", record_id, address)
                report.dropped_recipients.append(address)
        return owners

    def _addressed(
        self, outcomes: Sequence[Outcome], report: NotifierReport
    ) -> dict[str, list[Outcome]]:
        """Recipient -> the outcomes that concern them (ops: all; an owner: their records)."""
        mailboxes: dict[str, list[Outcome]] = {}
        spelling: dict[str, str] = {}

        def add(address: str, outcome: Outcome) -> None:
            key = spelling.setdefault(address.lower(), address)
            box = mailboxes.setdefault(key, [])
            if not box or box[-1] is not outcome:
                box.append(outcome)

        owners = self._owners(outcomes, report)
        for outcome in outcomes:
            for address in self.ops_recipients:
                add(address, outcome)
            owner = owners.get(outcome.record_id)
            if owner:
                add(owner, outcome)
        return mailboxes

    def _messages(self, outcomes: Sequence[Outcome], report: NotifierReport) -> list[EmailMessage]:
        if not any(o.status in self.notify_on for o in outcomes):
            return []
        mailboxes = self._addressed(outcomes, report)
        sender = self.smtp.sender
        messages: list[EmailMessage] = []
        for recipient, theirs in mailboxes.items():
            if self.digest:
                if any(o.status in self.notify_on for o in theirs):
                    messages.append(
                        digest_message(
                            theirs,
                            listed=self.notify_on.__contains__,
                            sender=sender,
                            recipient=recipient,
                            redact=self._redact,
                        )
                    )
            else:
                messages.extend(
                    outcome_message(o, sender=sender, recipient=recipient, redact=self._redact)
                    for o in theirs
                    if o.status in self.notify_on
                )
        return messages


def notifier_from_settings(
    settings: DoiSettings,
    *,
    owner_lookup: OwnerLookup | None = None,
    notify_on: Collection[str] = DEFAULT_NOTIFY_ON,
    timeout: float = DEFAULT_TIMEOUT_S,
    ssl_context: ssl.SSLContext | None = None,
) -> EmailNotifier | None:
    """A notifier when mail is configured (an SMTP host and someone to write to), else None."""
    if not settings.smtp_host:
        return None
    if not parse_recipients(settings.failure_notify, warn=False).valid and owner_lookup is None:
        return None
    return EmailNotifier(
        settings,
        owner_lookup=owner_lookup,
        notify_on=notify_on,
        timeout=timeout,
        ssl_context=ssl_context,
    )
