"""Recording and flushing events against the emulator: de-duplication, auth, key style,
back-off and stopping without spending attempts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from heratio_doi_pipelines.clock import utcnow
from heratio_doi_pipelines.devtools.emulator import EmulatorHandle, Fault
from heratio_doi_pipelines.events.config import EventsConfig
from heratio_doi_pipelines.events.flush import MAX_ATTEMPTS, count_due, flush_events
from heratio_doi_pipelines.events.identity import event_uuid
from heratio_doi_pipelines.events.status import event_status
from heratio_doi_pipelines.events.store import (
    EventSpec,
    citation_event,
    record_event,
    record_events,
    relation_event,
    usage_event,
)
from heratio_doi_pipelines.store.tables import ahg_datacite_event
from heratio_doi_pipelines_tests.events.conftest import events_config


def _rows(engine: sa.Engine) -> list[sa.Row]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(ahg_datacite_event).order_by(ahg_datacite_event.c.id)))


def test_same_event_twice_is_one_row_and_one_submission(
    events_engine: sa.Engine, emulator: EmulatorHandle, config: EventsConfig
) -> None:
    first = record_event(events_engine, citation_event("10.5072/A", "10.1234/paper"))
    second = record_event(
        events_engine, citation_event("10.5072/a", "https://doi.org/10.1234/PAPER")
    )
    assert (first.created, second.created, second.unchanged) == (1, 0, 1)
    rows = _rows(events_engine)
    assert len(rows) == 1 and rows[0].state == "pending"

    report = flush_events(events_engine, config)
    assert (report.sent, report.created, report.warnings) == (1, 1, [])
    again = record_event(events_engine, citation_event("10.5072/a", "10.1234/paper"))
    assert again.unchanged == 1
    assert flush_events(events_engine, config).considered == 0

    stored = emulator.state.events
    assert list(stored) == [event_uuid(rows[0].dedupe_hash)]
    event = stored[event_uuid(rows[0].dedupe_hash)]
    assert event.submissions == 1
    assert event.attributes["subj_id"] == "https://doi.org/10.5072/a"
    assert event.attributes["obj_id"] == "https://doi.org/10.1234/paper"
    assert event.attributes["relation_type_id"] == "is-cited-by"
    row = _rows(events_engine)[0]
    assert (row.state, row.attempts, row.response_status) == ("sent", 1, 201)
    assert row.payload_json["data"]["id"] == event_uuid(row.dedupe_hash)


def test_a_changed_total_goes_out_again_under_the_same_id(
    events_engine: sa.Engine, emulator: EmulatorHandle, config: EventsConfig
) -> None:
    rel = "total-dataset-investigations-regular"
    record_event(events_engine, usage_event("10.5072/a", rel, date(2026, 3, 1), 3))
    assert flush_events(events_engine, config).sent == 1
    record_event(events_engine, usage_event("10.5072/a", rel, date(2026, 3, 1), 3))
    assert count_due(events_engine) == 0
    summary = record_event(events_engine, usage_event("10.5072/a", rel, date(2026, 3, 1), 5))
    assert summary.updated == 1
    report = flush_events(events_engine, config)
    assert (report.sent, report.updated) == (1, 1)
    (event,) = emulator.state.events.values()
    assert (event.submissions, event.attributes["total"]) == (2, 5)
    assert event.attributes["occurred_at"] == "2026-03-01T00:00:00Z"
    assert "obj_id" not in event.attributes


def test_camel_case_keys_with_the_version_2_accept_header(
    events_engine: sa.Engine, emulator: EmulatorHandle
) -> None:
    record_event(events_engine, relation_event("10.5072/a", "10.5072/b", "IsPartOf"))
    report = flush_events(events_engine, events_config(emulator, camel_case=True))
    assert report.sent == 1
    (event,) = emulator.state.events.values()
    assert event.attributes["subj_id"] == "https://doi.org/10.5072/a"
    assert event.attributes["relation_type_id"] == "is-part-of"
    assert event.attributes["source_id"] == "heratio-archive"


def test_basic_auth_fallback_stops_on_403_without_spending_attempts(
    events_engine: sa.Engine, emulator: EmulatorHandle
) -> None:
    record_events(
        events_engine, [relation_event("10.5072/a", f"10.5072/b{i}", "HasPart") for i in range(5)]
    )
    report = flush_events(events_engine, events_config(emulator, token=False))
    assert report.stopped is not None
    assert report.stopped.startswith("events need a DataCite Bearer token")
    assert any("events need a DataCite Bearer token" in w for w in report.warnings)
    assert (report.sent, report.failed, report.retry, report.considered) == (0, 0, 0, 0)
    assert report.requests == 1  # one refused request, then it stopped
    rows = _rows(events_engine)
    assert {(r.state, r.attempts, r.last_error) for r in rows} == {("pending", 0, None)}
    assert emulator.stats()["events"]["forbidden"] == 1 and not emulator.state.events


def test_basic_auth_fallback_sends_with_a_warning_where_accepted(
    events_engine: sa.Engine, emulator: EmulatorHandle
) -> None:
    emulator.configure(events_accept_basic_auth=True)
    record_event(events_engine, relation_event("10.5072/a", "10.5072/b", "HasPart"))
    report = flush_events(events_engine, events_config(emulator, token=False))
    assert report.sent == 1 and report.stopped is None
    assert report.auth == "basic auth (repository credentials)"
    assert report.warnings and "Bearer token" in report.warnings[0]
    assert len(emulator.state.events) == 1


def test_transient_failures_back_off_like_the_queue_and_give_up_after_three(
    events_engine: sa.Engine, emulator: EmulatorHandle, config: EventsConfig
) -> None:
    record_event(events_engine, relation_event("10.5072/a", "10.5072/b", "HasPart"))
    emulator.set_faults([Fault("503", path_prefix="/events")])
    before = utcnow()
    report = flush_events(events_engine, config)
    assert (report.retry, report.sent) == (1, 0)
    (row,) = _rows(events_engine)
    assert (row.state, row.attempts) == ("failed", 1)
    assert before + timedelta(minutes=5) <= row.scheduled_at <= utcnow() + timedelta(minutes=5)
    assert "503" in row.last_error
    assert flush_events(events_engine, config).considered == 0  # backing off

    for attempt in (2, 3):
        _make_due(events_engine)
        flush_events(events_engine, config)
        (row,) = _rows(events_engine)
        assert row.attempts == attempt
    assert (row.state, row.scheduled_at) == ("failed", None)
    _make_due(events_engine)
    assert count_due(events_engine) == 0
    status = event_status(events_engine)
    assert (status.total("failed"), status.retrying, status.gave_up) == (1, 0, 1)

    emulator.clear_faults()
    record_event(events_engine, relation_event("10.5072/a", "10.5072/b", "HasPart"))
    assert count_due(events_engine) == 0  # same total: a given-up event stays given up


def test_a_rejected_event_gives_up_at_once(
    events_engine: sa.Engine, emulator: EmulatorHandle, config: EventsConfig
) -> None:
    record_event(
        events_engine, EventSpec("10.5072/a", "is-part-of", "10.5072/b", "doi", source_id="")
    )
    report = flush_events(events_engine, config)
    assert report.failed == 1
    (row,) = _rows(events_engine)
    assert (row.state, row.attempts, row.response_status) == ("failed", MAX_ATTEMPTS, 422)
    assert "source-id" in row.last_error


def test_datacite_down_stops_the_flush_after_five_failures(
    events_engine: sa.Engine, emulator: EmulatorHandle, config: EventsConfig
) -> None:
    record_events(
        events_engine, [relation_event("10.5072/a", f"10.5072/b{i}", "HasPart") for i in range(12)]
    )
    emulator.set_faults([Fault("502", path_prefix="/events")])
    report = flush_events(events_engine, config)
    assert report.retry == 5 and report.stopped and "in a row" in report.stopped
    attempts = sorted(r.attempts for r in _rows(events_engine))
    assert attempts == [0] * 7 + [1] * 5


def test_limit_and_status_by_kind(
    events_engine: sa.Engine, emulator: EmulatorHandle, config: EventsConfig
) -> None:
    day = date(2026, 3, 2)
    record_events(
        events_engine,
        [
            usage_event("10.5072/a", "total-dataset-investigations-regular", day, 4),
            usage_event("10.5072/a", "unique-dataset-investigations-regular", day, 3),
            usage_event("10.5072/a", "total-dataset-requests-regular", day, 1),
            citation_event("10.5072/a", "10.1234/x"),
            relation_event("10.5072/a", "10.5072/root", "IsPartOf"),
        ],
    )
    report = flush_events(events_engine, config, limit=2)
    assert report.sent == 2
    status = event_status(events_engine)
    assert status.counts["view"] == {"pending": 0, "sent": 2, "failed": 0}
    assert status.counts["download"]["pending"] == 1
    assert status.counts["citation"]["pending"] == 1
    assert status.due == 3
    assert "due now: 3" in "\n".join(status.lines())


def _make_due(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            ahg_datacite_event.update()
            .where(ahg_datacite_event.c.scheduled_at.is_not(None))
            .values(scheduled_at=datetime(2000, 1, 1))
        )


def test_events_outside_datacites_scope_are_closed_not_sent(
    events_engine: sa.Engine, emulator: EmulatorHandle, config: EventsConfig
) -> None:
    record_events(
        events_engine,
        [
            relation_event("10.5072/a", "10.5072/b", "IsPartOf"),
            relation_event("10.5072/a", "https://exhibitions.example.org/7", "IsReferencedBy"),
            relation_event("10.5072/a", "10.5072/c", "Discusses"),
            citation_event("10.5072/a", "https://blog.example.org/post"),
        ],
    )
    report = flush_events(events_engine, config)
    assert (report.considered, report.sent, report.not_sent, report.failed) == (4, 1, 3, 0)
    assert "3 out of DataCite's event scope" in report.summary()
    assert len(emulator.state.events) == 1
    rows = {r.relation_type_id + "|" + (r.obj_id or ""): r for r in _rows(events_engine)}
    assert rows["is-part-of|10.5072/b"].state == "sent"
    closed = [r for key, r in rows.items() if key != "is-part-of|10.5072/b"]
    assert all(r.state == "failed" and r.attempts == MAX_ATTEMPTS for r in closed)
    assert all(r.last_error.startswith("not_sent: out of DataCite's event scope (") for r in closed)
    reasons = {r.relation_type_id: r.last_error for r in closed}
    assert "only DOI-to-DOI relations" in reasons["is-referenced-by"]
    assert "'discusses' is not one DataCite still ingests" in reasons["discusses"]
    # closed for good: the next flush has nothing due and sends nothing
    assert count_due(events_engine) == 0
    assert flush_events(events_engine, config).considered == 0
