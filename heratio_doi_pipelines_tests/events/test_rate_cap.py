"""The per-minute cap holds for any burst, and DataCite's own 429s are waited out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.devtools.emulator import EmulatorHandle
from heratio_doi_pipelines.events.flush import count_due, flush_events
from heratio_doi_pipelines.events.store import record_events, relation_event, usage_event
from heratio_doi_pipelines.store.schema import init_database
from heratio_doi_pipelines_tests.events.conftest import events_config

BURST = 10_000


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[sa.Engine]:
    """The cap is about HTTP, not the database: one backend keeps this test short."""
    engine = make_engine(f"sqlite:///{tmp_path / 'cap.db'}")
    init_database(engine)
    yield engine
    engine.dispose()


def _burst(engine: sa.Engine, count: int) -> None:
    first = date(2026, 1, 1)
    record_events(
        engine,
        (
            usage_event(
                f"10.5072/burst/{i % 500}",
                "total-dataset-requests-regular",
                first + timedelta(days=i // 500),
                1 + i % 7,
            )
            for i in range(count)
        ),
    )
    assert count_due(engine) == count


def test_a_burst_of_10000_events_never_exceeds_the_per_minute_cap(
    sqlite_engine: sa.Engine, emulator: EmulatorHandle
) -> None:
    """600 a minute means one every 0.1 s at most: four seconds of a 10,000-event backlog
    send about 40, never the burst, and the rest stays pending."""
    _burst(sqlite_engine, BURST)
    emulator.configure(stats_window_seconds=60.0)
    report = flush_events(sqlite_engine, events_config(emulator, per_minute=600), time_budget_s=4)
    assert report.deadline_reached and report.stopped is None
    assert 0 < report.sent <= 600 * 4 / 60 + 1
    assert emulator.stats()["max_requests_in_window"] <= 600
    assert len(emulator.state.events) == report.sent
    assert count_due(sqlite_engine) == BURST - report.sent  # nothing lost, the rest waits


def test_the_cap_holds_in_every_window_of_a_longer_run(
    sqlite_engine: sa.Engine, emulator: EmulatorHandle
) -> None:
    """The same limiter over a 2 s window (60 per window), measured by the emulator in
    every rolling 2 s window of a run several windows long."""
    _burst(sqlite_engine, 2_000)
    emulator.configure(stats_window_seconds=2.0)
    config = events_config(emulator, per_minute=60)
    report = flush_events(sqlite_engine, config, time_budget_s=5.0, cap_window_s=2.0)
    assert report.sent > 60  # more than one window's worth went out
    assert emulator.stats()["max_requests_in_window"] <= 60
    assert len(emulator.state.events) == report.sent


def test_datacite_429s_are_waited_out_with_retry_after(
    sqlite_engine: sa.Engine, emulator: EmulatorHandle
) -> None:
    record_events(
        sqlite_engine,
        [relation_event("10.5072/a", f"10.5072/part{i}", "HasPart") for i in range(8)],
    )
    emulator.set_rate_limit(5, 1.0)
    report = flush_events(sqlite_engine, events_config(emulator))
    assert report.sent == 8 and report.retry == 0
    assert report.rate_limited >= 1
    assert emulator.stats()["rate_limited"] >= 1
