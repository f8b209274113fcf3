"""A flush killed mid-way loses nothing and sends nothing twice as a new event."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import sqlalchemy as sa

from heratio_doi_pipelines.devtools.emulator import EmulatorHandle
from heratio_doi_pipelines.events.flush import flush_events
from heratio_doi_pipelines.events.identity import event_uuid
from heratio_doi_pipelines.events.store import record_events, relation_event
from heratio_doi_pipelines.store.tables import ahg_datacite_event
from heratio_doi_pipelines_tests.events.conftest import TOKEN, events_config

EVENTS = 200
FLUSH = """
import sys
from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.events.config import EventsConfig
from heratio_doi_pipelines.events.flush import flush_events

engine = make_engine(sys.argv[1])
flush_events(engine, EventsConfig(url=sys.argv[2], api_token=sys.argv[3], per_minute=100000))
"""


def test_flush_killed_with_sigkill_then_flushed_again_sends_each_event_once(
    events_engine: sa.Engine, db_url: str, emulator: EmulatorHandle
) -> None:
    record_events(
        events_engine,
        [relation_event("10.5072/kill", f"10.5072/part/{i}", "HasPart") for i in range(EVENTS)],
    )
    emulator.set_latency(15)
    child = subprocess.Popen([sys.executable, "-c", FLUSH, db_url, emulator.url, TOKEN])
    try:
        deadline = time.monotonic() + 60
        while len(emulator.state.events) < 40:
            assert child.poll() is None, "the flush finished before it could be killed"
            assert time.monotonic() < deadline, "the flush never got going"
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    emulator.set_latency(0)
    with events_engine.connect() as conn:
        states = dict(
            conn.execute(
                sa.select(ahg_datacite_event.c.state, sa.func.count()).group_by(
                    ahg_datacite_event.c.state
                )
            ).all()
        )
    assert 0 < states.get("sent", 0) < EVENTS and states.get("failed", 0) == 0

    report = flush_events(events_engine, events_config(emulator))
    assert report.stopped is None
    with events_engine.connect() as conn:
        rows = list(conn.execute(sa.select(ahg_datacite_event)))
    assert {r.state for r in rows} == {"sent"}
    expected = {event_uuid(r.dedupe_hash) for r in rows}
    stored = emulator.state.events
    assert set(stored) == expected and len(stored) == EVENTS
    resent = [e for e in stored.values() if e.submissions > 1]
    assert len(resent) <= 1  # at most the event in flight when the process died
