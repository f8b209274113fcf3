"""Live capture from the web layer: double-click filter, sessions, daily totals."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from heratio_doi_pipelines.devtools.emulator import EmulatorHandle
from heratio_doi_pipelines.events.capture import UsageCapture
from heratio_doi_pipelines.events.config import EventsConfig
from heratio_doi_pipelines.events.flush import flush_events
from heratio_doi_pipelines.events.identity import usage_dedupe_hash
from heratio_doi_pipelines.store.tables import ahg_datacite_event
from heratio_doi_pipelines_tests.events.conftest import give_dois


def _total(engine: sa.Engine, doi: str, relation: str, day: date) -> int | None:
    t = ahg_datacite_event
    with engine.connect() as conn:
        return conn.execute(
            sa.select(t.c.total).where(t.c.dedupe_hash == usage_dedupe_hash(doi, relation, day))
        ).scalar()


def test_views_are_counted_once_per_double_click_and_sent_as_daily_totals(
    events_engine: sa.Engine, emulator: EmulatorHandle, config: EventsConfig
) -> None:
    capture = UsageCapture(events_engine)
    day = date(2026, 3, 1)
    at = datetime(2026, 3, 1, 9, 0, 0)
    assert capture.record_view("10.5072/A", "session-1", at)
    assert not capture.record_view("10.5072/a", "session-1", at.replace(second=20))
    assert capture.record_view("10.5072/a", "session-1", at.replace(minute=1))  # 40 s later
    assert capture.record_view("10.5072/a", "session-2", at.replace(minute=1))
    assert capture.record_download("10.5072/a", "session-2", at.replace(minute=2))
    total, unique = "total-dataset-investigations-regular", "unique-dataset-investigations-regular"
    assert _total(events_engine, "10.5072/a", total, day) == 3
    assert _total(events_engine, "10.5072/a", unique, day) == 2
    assert _total(events_engine, "10.5072/a", "total-dataset-requests-regular", day) == 1

    assert flush_events(events_engine, config).sent == 4
    capture.record_view("10.5072/a", "session-3", at.replace(minute=30))
    report = flush_events(events_engine, config)
    assert (report.sent, report.updated) == (2, 2)  # the day's total and unique went up
    assert len(emulator.state.events) == 4


def test_the_record_id_lookup_only_knows_reportable_dois(events_engine: sa.Engine) -> None:
    give_dois(events_engine, [10])
    give_dois(events_engine, [11], status="draft")
    capture = UsageCapture(events_engine)
    assert capture.doi_for_record(10) == "10.5072/test/10"
    assert capture.doi_for_record(11) is None
    assert capture.doi_for_record(12) is None
