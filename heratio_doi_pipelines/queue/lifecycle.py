"""What each queue action does at DataCite, and how its outcome is recorded locally.

The rules that make minting exactly-once:

* the DOI string is reserved (an ``ahg_doi`` row) and committed before the first DataCite
  call, and every retry reuses it, even across a year change with a ``{year}`` pattern;
* minting is ``PUT /dois/{doi}``, DataCite's create-or-update, so a retry after a crash
  updates the DOI the crashed attempt created instead of making a second one;
* the local state changes only after DataCite's response shows the DOI in the state that
  was asked for (DataCite silently ignores invalid ``event`` transitions);
* each change and its ``ahg_doi_log`` row commit in one transaction with the queue item;
* a call that ended in a transient error may still have landed (the answer was lost): before
  the item is retried or given up, a GET asks DataCite. If DataCite holds the DOI as it was
  asked to, the item completes ("confirmed by GET after a lost response"); if it holds it in
  another state, the next attempt sends the change again without spending an attempt; only
  a 404 or a GET that fails too counts as a failed attempt.

Every item ends with an outcome: whatever is raised while its record is read, its payload
built, DataCite called or the result recorded becomes the item's outcome (transient errors
retry, anything else fails it with the exception named, secrets masked); the batch goes on.
The queue row itself changes only through :mod:`heratio_doi_pipelines.queue.transitions`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from heratio_doi_pipelines.catalogue.records import CatalogueRecord
from heratio_doi_pipelines.datacite.client import DataCiteClient, DoiResponse, same_doi
from heratio_doi_pipelines.datacite.errors import (
    AuthenticationError,
    DataCiteError,
    NotFoundError,
    StateMismatchError,
    TransientError,
)
from heratio_doi_pipelines.metadata import (
    Payload,
    build_payload,
    context_from_settings,
    derive_doi,
    landing_url,
    payload_for_send,
    payload_hash,
)
from heratio_doi_pipelines.metadata.mapping import MAPPING_VERSION
from heratio_doi_pipelines.metadata.tombstone import TombstonePatternError, tombstone_url
from heratio_doi_pipelines.notify.redact import Redactor
from heratio_doi_pipelines.queue import transitions
from heratio_doi_pipelines.queue.actions import (
    DEACTIVATE,
    DEFAULT_TARGET_STATE,
    MINT,
    REINSTATE,
    UPDATE,
    VERIFY,
)
from heratio_doi_pipelines.queue.outdated import MAPPING_VERSION_KEY
from heratio_doi_pipelines.queue.payload_cache import cached_payloads
from heratio_doi_pipelines.queue.prepare import Prepared
from heratio_doi_pipelines.queue.reservations import DoiTakenError, reservation_for_mint
from heratio_doi_pipelines.queue.stored_check import STORED_DIFFERS, stored_drift
from heratio_doi_pipelines.queue.transitions import ClaimedItem
from heratio_doi_pipelines.settings import DoiSettings
from heratio_doi_pipelines.store.dois import (
    DoiRow,
    doi_for_record,
    reserve_doi,
    update_doi,
    write_log,
)

EVENT_FOR_STATE: dict[str, str | None] = {
    "findable": "publish",
    "registered": "register",
    "draft": None,
}

COMPLETED = "completed"
SKIPPED = "skipped"
RETRY = "retry"
FAILED = "failed"
RELEASED = "released"


@dataclass
class Outcome:
    """The result of one queue item, as the run report and notifications see it."""

    item_id: int
    record_id: int
    action: str
    status: str  # completed, skipped, retry, failed, released
    doi: str | None = None
    state: str | None = None
    message: str = ""
    warnings: list[str] = field(default_factory=list)
    title: str | None = None  # the record's title, for the people mailed about it
    url: str | None = None  # the record's public page
    stored_differs: list[str] = field(default_factory=list)  # fields DataCite stored otherwise


class PermanentFailure(Exception):
    """The item cannot succeed as things stand (bad metadata, no DOI to update, ...)."""


class ResendNeeded(Exception):
    """DataCite holds the DOI, but not as it was asked to: the next attempt sends it again."""


LOST_RESPONSE_NOTE = "confirmed by GET after a lost response"

# Attributes that steer a call rather than describe the resource.
_NOT_METADATA = frozenset({"doi", "url", "event", "xml"})


def same_metadata(payload: Payload, found: DoiResponse) -> bool:
    """DataCite holds the payload's metadata: the hash of what was sent equals the hash of
    DataCite's attributes under the same keys (DataCite returns the year as a number)."""
    sent = {k: v for k, v in payload.attributes.items() if k not in _NOT_METADATA}
    held = {k: found.attributes.get(k) for k in sent}
    for values in (sent, held):
        if values.get("publicationYear") is not None:
            values["publicationYear"] = str(values["publicationYear"])
    return payload_hash(sent) == payload_hash(held)


@dataclass(frozen=True)
class Wanted:
    """What DataCite holds once a call has landed, as a GET after a lost answer checks it."""

    doi: str
    state: str | None  # None: the DOI is gone (a draft deleted)
    url: str | None = None
    payload: Payload | None = None  # set when DataCite's metadata must be the payload's

    def held_by(self, found: DoiResponse) -> bool:
        if self.state is None or found.state != self.state:
            return False
        if self.url is not None and found.url != self.url:
            return False
        return self.payload is None or same_metadata(self.payload, found)


def failure_reason(exc: BaseException, redact: Callable[[str], str] = str) -> str:
    """An unexpected exception as a reason an operator can act on: its type and message,
    secrets masked; a database error without its SQL and parameters."""
    if isinstance(exc, sa.exc.StatementError) and exc.orig is not None:
        exc = exc.orig
    message = str(exc).strip()
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return redact(text)


def is_transient(exc: BaseException) -> bool:
    """Worth another attempt later: DataCite's transient errors, lost database connections."""
    if isinstance(exc, DataCiteError):
        return exc.transient
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, sa.exc.DisconnectionError | TimeoutError | ConnectionError)


def redactor_for(settings: DoiSettings, *engines: sa.Engine) -> Redactor:
    """Masks the DataCite secrets and the database passwords in texts that get stored."""
    return Redactor(
        settings.password,
        settings.api_token,
        settings.smtp_password,
        *(engine.url.password or "" for engine in engines),
    )


class ItemRunner:
    """Runs one claimed item against DataCite and records the outcome."""

    def __init__(
        self,
        engine: sa.Engine,
        client: DataCiteClient,
        settings: DoiSettings,
        now: Callable[[], datetime],
        redact: Callable[[str], str] | None = None,
    ):
        self.engine = engine
        self.client = client
        self.settings = settings
        self.now = now
        self.redact = redact or redactor_for(settings, engine)
        self.lost_response: str | None = None  # the error whose answer a GET made up for
        self.prepared: Prepared | None = None  # what the chunk read (and reserved) for the item

    # --- entry point ------------------------------------------------------------------------

    def run(
        self,
        item: ClaimedItem,
        record: CatalogueRecord | None,
        prepared: Prepared | None = None,
    ) -> Outcome:
        """Run the item; every exception but a 401 (which stops the batch) is its outcome.

        ``prepared``: the item's read (and a mint's reservation), made for its whole chunk
        (``queue.prepare``); without it the item reads and reserves on its own."""
        self.prepared = prepared
        outcome = self._run(item, record)
        if record is None:
            return outcome
        return replace(outcome, title=record.title, url=self._public_url(record))

    def _public_url(self, record: CatalogueRecord) -> str | None:
        """The record's public page as the metadata builder makes it (None without a slug,
        or when the settings cannot make one: the outcome is recorded already)."""
        try:
            context = context_from_settings(self.settings, year=self.now().year)
            return landing_url(record.slug, context, [])
        except Exception:  # noqa: BLE001 - only the notification's link is missing
            return None

    def _run(self, item: ClaimedItem, record: CatalogueRecord | None) -> Outcome:
        handlers = {
            MINT: self._mint,
            UPDATE: self._update,
            VERIFY: self._verify,
            DEACTIVATE: self._deactivate,
            REINSTATE: self._reinstate,
        }
        handler = handlers.get(item.action)
        self.lost_response = None
        try:
            if handler is None:
                raise PermanentFailure(f"unknown queue action {item.action!r}")
            if record is None and item.action in (MINT, UPDATE, REINSTATE):
                raise PermanentFailure(
                    f"record {item.information_object_id} not found in the catalogue"
                )
            return handler(item, record)
        except AuthenticationError:
            raise
        except ResendNeeded as exc:
            return self._record_resend(item, str(exc))
        except (PermanentFailure, DataCiteError) as exc:
            return self.record_error(item, str(exc), transient=is_transient(exc))
        except Exception as exc:  # noqa: BLE001 - whatever happens becomes the item's outcome
            return self.record_error(
                item,
                f"{item.action} failed: {failure_reason(exc, self.redact)}",
                transient=is_transient(exc),
            )

    def record_error(self, item: ClaimedItem, reason: str, *, transient: bool) -> Outcome:
        """A transient error retries (failed at the last attempt); any other fails the item."""
        reason = self.redact(reason)
        return self._record_failure(item, reason, final=not transient or item.last_attempt)

    # --- actions ----------------------------------------------------------------------------

    def _mint(self, item: ClaimedItem, record: CatalogueRecord | None) -> Outcome:
        assert record is not None
        target = item.target_state or DEFAULT_TARGET_STATE
        row, stored = self._read(record.id, record)
        if row and row.confirmed_at and row.status == target:
            return self._complete(
                item, row, row.status, "mint", details={"note": "already minted"}, skipped=True
            )
        if row and row.status in ("tombstone", "deleted"):
            raise PermanentFailure(f"DOI {row.doi} is {row.status}: queue 'reinstate' instead")
        if row and row.confirmed_at is None:
            row = self._reservation(row, record)
        payload = self._payload(record, row.doi if row else None, stored)
        if payload.target_state and payload.target_state != target and target == "findable":
            target = payload.target_state  # a catalogue draft is registered, not made findable
        if row is None:
            row = self._reserve(record, payload.doi)
        attributes = self._attributes(payload, event=EVENT_FOR_STATE[target])
        response = self._put(row.doi, attributes, Wanted(row.doi, target, attributes.get("url")))
        self._expect(response, row.doi, target)
        return self._complete(
            item,
            row,
            target,
            "mint",
            record=record,
            response=response,
            payload=payload,
            values={"minted_at": row.minted_at or self.now()},
        )

    def _update(self, item: ClaimedItem, record: CatalogueRecord | None) -> Outcome:
        assert record is not None
        found, stored = self._read(record.id, record)
        row = self._confirmed(item, found)
        if row.status in ("tombstone", "deleted"):
            raise PermanentFailure(f"DOI {row.doi} is {row.status}: it is not updated")
        payload = self._payload(record, row.doi, stored)
        # A sync may have seen DataCite in another state than ours: the update restores it.
        wanted = row.status if row.status in EVENT_FOR_STATE else row.datacite_state or "draft"
        event = EVENT_FOR_STATE[wanted] if row.datacite_state not in (None, wanted) else None
        unchanged = payload.payload_hash == row.payload_hash and row.url in (
            None,
            payload.attributes.get("url"),
        )
        if unchanged and event is None:
            return self._complete(
                item,
                row,
                row.status,
                "update",
                details={"note": "metadata unchanged: skipped"},
                skipped=True,
            )
        url = payload.attributes.get("url")
        response = self._put(
            row.doi,
            self._attributes(payload, event=event),
            Wanted(row.doi, wanted, url, payload=payload),
        )
        self._expect(response, row.doi, wanted)
        return self._complete(
            item, row, row.status, "update", record=record, response=response, payload=payload
        )

    def _verify(self, item: ClaimedItem, record: CatalogueRecord | None) -> Outcome:
        row = self._row(item)
        try:
            response = self.client.get_doi(row.doi)
        except NotFoundError as exc:
            if row.confirmed_at is None:
                raise PermanentFailure(
                    f"DOI {row.doi} was reserved but never reached DataCite: queue a mint"
                ) from exc
            raise PermanentFailure(f"DOI {row.doi} is missing at DataCite") from exc
        expected = "registered" if row.status == "tombstone" else row.status
        drift: dict[str, dict[str, str | None]] = {}
        if response.state != expected:
            drift["state"] = {"local": row.status, "datacite": response.state}
        if row.url and response.url != row.url:
            drift["url"] = {"local": row.url, "datacite": response.url}
        status = row.status
        if row.confirmed_at is None or row.status == "failed":
            status = response.state  # DataCite holds it: adopt its state
        elif response.state != expected and row.status != "tombstone":
            status = response.state
        return self._complete(
            item,
            row,
            status,
            "verify",
            record=record,
            response=response,
            details={"drift": drift} if drift else {"note": "in agreement with DataCite"},
            values={"last_sync_at": self.now(), "url": response.url},
        )

    def _deactivate(self, item: ClaimedItem, record: CatalogueRecord | None) -> Outcome:
        row = self._confirmed_row(item)
        if row.status in ("tombstone", "deleted"):
            return self._complete(
                item, row, row.status, "deactivate", details={"note": "already"}, skipped=True
            )
        if (row.datacite_state or row.status) == "draft":
            self._send(lambda: self.client.delete_doi(row.doi), Wanted(row.doi, None))
            return self._complete(
                item,
                row,
                "deleted",
                "deactivate",
                record=record,
                details={"note": "draft DOI deleted at DataCite"},
                values={"datacite_state": None},
            )
        try:
            url = tombstone_url(
                self.settings.tombstone_url_pattern,
                base_url=self.settings.base_url,
                doi=row.doi,
                object_id=row.information_object_id,
                slug=record.slug if record else None,
                public_url=row.url or (self._public_url(record) if record else None),
            )
        except TombstonePatternError as exc:
            raise PermanentFailure(f"DOI configuration: {exc}") from exc
        response = self._put(
            row.doi, {"url": url, "event": "hide"}, Wanted(row.doi, "registered", url)
        )
        self._expect(response, row.doi, "registered")
        return self._complete(
            item,
            row,
            "tombstone",
            "deactivate",
            record=record,
            response=response,
            details={"tombstone_url": url},
        )

    def _reinstate(self, item: ClaimedItem, record: CatalogueRecord | None) -> Outcome:
        assert record is not None
        found, stored = self._read(record.id, record)
        row = self._confirmed(item, found)
        if row.status != "tombstone":
            raise PermanentFailure(f"DOI {row.doi} is {row.status}, not tombstone: nothing to do")
        payload = self._payload(record, row.doi, stored)
        response = self._put(
            row.doi,
            self._attributes(payload, event="publish"),
            Wanted(row.doi, "findable", payload.attributes.get("url")),
        )
        self._expect(response, row.doi, "findable")
        return self._complete(
            item, row, "findable", "reinstate", record=record, response=response, payload=payload
        )

    # --- sending, and reconciling a lost answer ----------------------------------------------

    def _put(self, doi: str, attributes: dict[str, Any], wanted: Wanted) -> DoiResponse:
        response = self._send(lambda: self.client.put_doi(doi, attributes), wanted)
        assert response is not None  # a PUT is confirmed by the DOI it returns
        return response

    def _send(self, call: Callable[[], DoiResponse | None], wanted: Wanted) -> DoiResponse | None:
        """Make the DataCite call; after a transient error, ask DataCite whether it landed.

        Returns DataCite's answer, or what a GET found when the change landed though the
        answer was lost. Raises the transient error when DataCite never stored the change
        (404) or the GET fails too, and ``ResendNeeded`` when DataCite holds the DOI in
        another state than asked.
        """
        try:
            return call()
        except DataCiteError as exc:
            if not exc.transient:
                raise
            lost = exc
        try:
            found = self.client.get_doi(wanted.doi)
        except NotFoundError:
            if wanted.state is None:  # the draft is gone, as asked
                self.lost_response = str(lost)
                return None
            raise lost from None  # DataCite never stored it: a failed attempt
        except AuthenticationError:
            raise
        except DataCiteError as exc:
            raise TransientError(
                f"{lost}; the GET asking DataCite whether it landed failed too: {exc}",
                status=lost.status,
            ) from exc
        if wanted.held_by(found):
            self.lost_response = str(lost)
            return found
        held = f"as {found.state!r}" if found.state != wanted.state else "with other metadata"
        raise ResendNeeded(
            f"{lost}; DataCite holds DOI {wanted.doi} {held}: the next attempt sends it again"
        )

    def _record_resend(self, item: ClaimedItem, reason: str) -> Outcome:
        """Pending again with the attempt refunded, at most ``max_attempts`` times per item."""
        reason = self.redact(reason)
        now = self.now()
        with self.engine.begin() as conn:
            if transitions.resends_so_far(conn, item) >= item.max_attempts:
                bounded = True
            else:
                bounded = False
                row = doi_for_record(conn, item.information_object_id)
                write_log(
                    conn,
                    doi_id=row.id if row else None,
                    information_object_id=item.information_object_id,
                    action=item.action,
                    status_before=row.status if row else None,
                    status_after=row.status if row else None,
                    details={
                        "queue_item": item.id,
                        "attempt": item.attempts,
                        "error": reason,
                        "outcome": transitions.RESEND_OUTCOME,
                    },
                    now=now,
                )
                transitions.resend(conn, item, reason, now)
        if bounded:
            return self.record_error(item, reason, transient=True)
        return Outcome(
            item.id,
            item.information_object_id,
            item.action,
            RETRY,
            doi=row.doi if row else None,
            state=row.status if row else None,
            message=reason,
        )

    # --- helpers ----------------------------------------------------------------------------

    def _stored_payload(self, conn: sa.Connection, record: CatalogueRecord) -> Payload | None:
        """The validated payload ``doi_metadata_payloads`` stored for the record as it is now
        under these settings (found by content hash), if any."""
        try:
            context = context_from_settings(self.settings, year=self.now().year)
        except ValueError:
            return None  # a configuration error: ``_payload`` reports it
        return cached_payloads(conn, {record.id: (record, context)}).get(record.id)

    def _payload(self, record: CatalogueRecord, doi: str | None, stored: Payload | None) -> Payload:
        """The payload the item's read found stored while the record and settings are
        unchanged (``stored``), else a freshly built (and validated) one."""
        try:
            context = context_from_settings(self.settings, year=self.now().year)
            payload = stored
            if payload is None or (doi is not None and not same_doi(payload.doi, doi)):
                payload = build_payload(record, context, doi)
        except ValueError as exc:  # prefix or suffix pattern: a configuration error
            raise PermanentFailure(f"DOI configuration: {exc}") from exc
        if payload.errors:
            raise PermanentFailure("invalid metadata: " + "; ".join(payload.errors))
        return payload

    def _reservation(self, row: DoiRow, record: CatalogueRecord) -> DoiRow:
        """The unconfirmed reservation, or a new one if DataCite never saw it (see
        ``queue.reservations``)."""

        def derive(year: int) -> str:
            return derive_doi(record, context_from_settings(self.settings, year=year))

        try:
            return reservation_for_mint(self.engine, self.client, row, derive, self.now())
        except ValueError as exc:  # prefix or suffix pattern: a configuration error
            raise PermanentFailure(f"DOI configuration: {exc}") from exc
        except DoiTakenError as exc:
            raise PermanentFailure(str(exc)) from None

    def _attributes(self, payload: Payload, *, event: str | None) -> dict[str, Any]:
        body = payload_for_send(payload, event=event, xml_mode=self.settings.xml_mode)
        return dict(body["data"]["attributes"])

    def _read(
        self, record_id: int, record: CatalogueRecord | None = None
    ) -> tuple[DoiRow | None, Payload | None]:
        """The item's one read: the record's DOI row and, for an action that sends metadata,
        the validated payload stored for the record as it is now (what its chunk read, when
        it did)."""
        if self.prepared is not None:
            prepared, self.prepared = self.prepared, None
            return prepared.row, prepared.payload
        with self.engine.connect() as conn:
            row = doi_for_record(conn, record_id)
            stored = self._stored_payload(conn, record) if record is not None else None
        return row, stored

    def _row(self, item: ClaimedItem) -> DoiRow:
        return self._existing(item, self._read(item.information_object_id)[0])

    @staticmethod
    def _existing(item: ClaimedItem, row: DoiRow | None) -> DoiRow:
        if row is None:
            raise PermanentFailure(
                f"record {item.information_object_id} has no DOI: queue a mint first"
            )
        return row

    def _confirmed(self, item: ClaimedItem, row: DoiRow | None) -> DoiRow:
        row = self._existing(item, row)
        if row.confirmed_at is None:
            raise PermanentFailure(f"DOI {row.doi} was never confirmed by DataCite: mint it first")
        return row

    def _confirmed_row(self, item: ClaimedItem) -> DoiRow:
        return self._confirmed(item, self._read(item.information_object_id)[0])

    def _reserve(self, record: CatalogueRecord, doi: str) -> DoiRow:
        try:
            with self.engine.begin() as conn:
                return reserve_doi(
                    conn, record.id, doi, self.now(), repository_id=record.repository_id
                )
        except sa.exc.IntegrityError:
            # Another item reserved a DOI for this record (or the string is taken): reuse
            # the record's own reservation; a string held by another record is a real clash.
            with self.engine.connect() as conn:
                row = doi_for_record(conn, record.id)
            if row is None:
                raise PermanentFailure(
                    f"DOI {doi} is already used by another record: check the suffix pattern"
                ) from None
            return row

    @staticmethod
    def _expect(response: DoiResponse, doi: str, state: str) -> None:
        if not same_doi(response.doi, doi):
            raise StateMismatchError(f"DataCite answered for {response.doi!r}, not {doi!r}")
        if response.state != state:
            raise StateMismatchError(
                f"DataCite kept DOI {doi} in state {response.state!r} instead of {state!r} "
                "(the transition was ignored)"
            )

    def _complete(
        self,
        item: ClaimedItem,
        row: DoiRow,
        status: str,
        action: str,
        *,
        record: CatalogueRecord | None = None,
        response: DoiResponse | None = None,
        payload: Payload | None = None,
        details: dict[str, Any] | None = None,
        values: dict[str, Any] | None = None,
        skipped: bool = False,
    ) -> Outcome:
        now = self.now()
        changes: dict[str, Any] = {"status": status, "updated_at": now, "last_error": None}
        if record is not None:
            # The holding repository as of this change, for the by-repository report.
            changes["repository_id"] = record.repository_id
        if response is not None:
            changes.update(
                datacite_state=response.state,
                confirmed_at=row.confirmed_at or now,
                datacite_response=response.stored_response(),
                url=response.url,
            )
        if payload is not None:
            changes.update(payload_hash=payload.payload_hash, metadata_json=payload.attributes)
        changes.update(values or {})
        log_details = {"queue_item": item.id, "attempt": item.attempts, **(details or {})}
        if self.lost_response is not None:
            log_details.update(note=LOST_RESPONSE_NOTE, lost_response=self.lost_response)
        if payload is not None and payload.warnings:
            log_details["warnings"] = payload.warnings
        drift = None
        if response is not None and payload is not None:
            log_details[MAPPING_VERSION_KEY] = MAPPING_VERSION
            drift = stored_drift(
                self.client, row.doi, payload, response, self.settings.schema_version
            )
            if drift:
                log_details["drift"] = drift
        with self.engine.begin() as conn:
            if not skipped:
                update_doi(conn, row.id, **changes)
            write_log(
                conn,
                doi_id=row.id,
                information_object_id=row.information_object_id,
                action=action,
                status_before=row.status,
                status_after=status,
                details=log_details,
                now=now,
            )
            transitions.complete(conn, item, now)
        return Outcome(
            item.id,
            item.information_object_id,
            item.action,
            SKIPPED if skipped else COMPLETED,
            doi=row.doi,
            state=status,
            message=str(log_details.get("note", "")),
            warnings=list(payload.warnings) if payload else [],
            stored_differs=list((drift or {}).get(STORED_DIFFERS, {}).get("fields", [])),
        )

    def _record_failure(self, item: ClaimedItem, reason: str, *, final: bool) -> Outcome:
        now = self.now()
        with self.engine.begin() as conn:
            row = doi_for_record(conn, item.information_object_id)
            status_after = row.status if row else None
            if final and row is not None and row.confirmed_at is None:
                status_after = "failed"  # reserved but never reached DataCite
                update_doi(conn, row.id, status="failed", last_error=reason, updated_at=now)
            write_log(
                conn,
                doi_id=row.id if row else None,
                information_object_id=item.information_object_id,
                action=item.action,
                status_before=row.status if row else None,
                status_after=status_after,
                details={
                    "queue_item": item.id,
                    "attempt": item.attempts,
                    "error": reason,
                    "outcome": "failed" if final else "retry",
                },
                now=now,
            )
            if final:
                transitions.fail(conn, item, reason, now)
            else:
                transitions.retry(conn, item, reason, now)
        return Outcome(
            item.id,
            item.information_object_id,
            item.action,
            FAILED if final else RETRY,
            doi=row.doi if row else None,
            state=status_after,
            message=reason,
        )


def hold_after_auth_failure(
    engine: sa.Engine, item: ClaimedItem, reason: str, now: datetime
) -> Outcome:
    """A 401 stops the batch: the item waits, attempt not spent, with the reason shown."""
    transitions.hold_after_auth_failure(engine, item, reason, now)
    return Outcome(item.id, item.information_object_id, item.action, RELEASED, message=reason)
