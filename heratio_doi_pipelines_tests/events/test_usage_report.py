"""The monthly COUNTER usage report: its SUSHI shape, gzip submission, stable id, 202."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import jsonschema
import pytest
import sqlalchemy as sa

from heratio_doi_pipelines.devtools.emulator import EmulatorHandle
from heratio_doi_pipelines.events.config import EventsConfig
from heratio_doi_pipelines.events.store import record_events, usage_event
from heratio_doi_pipelines.events.usage_report import (
    UsageReportError,
    build_usage_report,
    follow_up_usage_report,
    report_id_for,
    submit_usage_report,
)
from heratio_doi_pipelines.store.tables import heratio_doi_usage_report
from heratio_doi_pipelines_tests.events.conftest import events_config, give_dois

MARCH = date(2026, 3, 1)
SCHEMA_DIR = Path(__file__).parent / "data"


def _usage(engine: sa.Engine) -> None:
    give_dois(engine, [21, 22])
    record_events(
        engine,
        [
            usage_event(
                "10.5072/test/21", "total-dataset-investigations-regular", date(2026, 3, 1), 4
            ),
            usage_event(
                "10.5072/test/21", "total-dataset-investigations-regular", date(2026, 3, 31), 2
            ),
            usage_event(
                "10.5072/test/21", "unique-dataset-investigations-regular", date(2026, 3, 1), 3
            ),
            usage_event("10.5072/test/21", "total-dataset-requests-regular", date(2026, 3, 2), 1),
            usage_event("10.5072/test/22", "total-dataset-requests-regular", date(2026, 3, 9), 5),
            usage_event("10.5072/test/22", "unique-dataset-requests-regular", date(2026, 3, 9), 2),
            # other months are not in March's report
            usage_event("10.5072/test/22", "total-dataset-requests-regular", date(2026, 2, 28), 7),
            usage_event("10.5072/test/22", "total-dataset-requests-regular", date(2026, 4, 1), 9),
        ],
    )


def test_the_report_follows_the_code_of_practice(
    events_engine: sa.Engine, config: EventsConfig
) -> None:
    _usage(events_engine)
    report = build_usage_report(events_engine, config, MARCH, created=date(2026, 4, 2))
    header = report["report-header"]
    assert header["report-name"] == "dataset report"
    assert (header["report-id"], header["release"], header["created"]) == (
        "DSR",
        "rd1",
        "2026-04-02",
    )
    assert header["created-by"] == "HERATIO.TEST"
    assert header["reporting-period"] == {"begin-date": "2026-03-01", "end-date": "2026-03-31"}
    assert header["report-filters"] == []
    [robots] = header["report-attributes"]
    assert robots["name"] == "robots_list" and robots["value"].startswith("COUNTER-Robots 20")
    assert header["exceptions"][0]["code"] == 69
    first, second = report["report-datasets"]
    assert first["dataset-id"] == [{"type": "DOI", "value": "10.5072/test/21"}]
    assert first["dataset-title"] == "Record 21"
    assert (first["yop"], first["publisher"], first["data-type"]) == (
        "2024",
        "Test Archive",
        "dataset",
    )
    assert first["uri"] == "https://archive.example.org/record-21"
    (performance,) = first["performance"]
    assert performance["period"] == header["reporting-period"]
    assert {(i["metric-type"], i["count"]) for i in performance["instance"]} == {
        ("total-dataset-investigations", 6),
        ("unique-dataset-investigations", 3),
        ("total-dataset-requests", 1),
    }
    assert {i["access-method"] for i in performance["instance"]} == {"regular"}
    assert {(i["metric-type"], i["count"]) for i in second["performance"][0]["instance"]} == {
        ("total-dataset-requests", 5),
        ("unique-dataset-requests", 2),
    }


def test_submit_gzip_under_a_stable_id_and_resubmit_updates_it(
    events_engine: sa.Engine, emulator: EmulatorHandle, config: EventsConfig
) -> None:
    _usage(events_engine)
    result = submit_usage_report(events_engine, config, MARCH)
    assert (result.status, result.http_status, result.datasets) == ("accepted", 201, 2)
    assert result.report_id == report_id_for("HERATIO.TEST", MARCH)
    stored = emulator.state.reports[result.report_id]
    assert stored.compressed and len(stored.datasets) == 2

    assert submit_usage_report(events_engine, config, MARCH).status == "unchanged"
    forced = submit_usage_report(events_engine, config, MARCH, force=True)
    assert (forced.status, forced.http_status) == ("accepted", 200)
    assert list(emulator.state.reports) == [result.report_id]
    assert emulator.state.reports[result.report_id].submissions == 2
    with events_engine.connect() as conn:
        (row,) = conn.execute(sa.select(heratio_doi_usage_report)).all()
    assert (row.month, row.report_id, row.status, row.datasets) == (
        "2026-03",
        result.report_id,
        "accepted",
        2,
    )


def test_a_202_is_followed_up_until_accepted_or_rejected(
    events_engine: sa.Engine, emulator: EmulatorHandle, config: EventsConfig
) -> None:
    _usage(events_engine)
    emulator.configure(report_mode="pending", report_pending_polls=2)
    waits: list[float] = []
    result = submit_usage_report(
        events_engine, config, MARCH, poll_interval_s=5.0, sleep=waits.append
    )
    assert (result.http_status, result.status, result.polls) == (202, "accepted", 3)
    assert waits == [5.0, 5.0, 5.0]

    emulator.configure(report_mode="reject", report_pending_polls=0)
    rejected = submit_usage_report(events_engine, config, MARCH, force=True, sleep=waits.append)
    assert rejected.status == "rejected" and "failed validation" in rejected.message
    with events_engine.connect() as conn:
        row = conn.execute(sa.select(heratio_doi_usage_report)).one()
    assert row.status == "rejected" and "failed validation" in row.last_error


def test_a_report_still_pending_is_followed_up_not_sent_again(
    events_engine: sa.Engine, emulator: EmulatorHandle, config: EventsConfig
) -> None:
    _usage(events_engine)
    emulator.configure(report_mode="pending", report_pending_polls=3)
    first = submit_usage_report(events_engine, config, MARCH, max_polls=1, poll_interval_s=0)
    assert (first.status, first.polls) == ("pending", 1) and "still validating" in first.message
    again = submit_usage_report(events_engine, config, MARCH, max_polls=1, poll_interval_s=0)
    assert again.status == "pending"
    assert emulator.state.reports[first.report_id].submissions == 1
    settled = follow_up_usage_report(events_engine, config, MARCH, max_polls=5)
    assert settled is not None and settled.status == "accepted"
    assert follow_up_usage_report(events_engine, config, date(2026, 1, 1)) is None


def test_reports_need_a_bearer_token_and_empty_months_send_nothing(
    events_engine: sa.Engine, emulator: EmulatorHandle
) -> None:
    with pytest.raises(UsageReportError, match="need a DataCite Bearer token"):
        submit_usage_report(events_engine, events_config(emulator, token=False), MARCH)
    result = submit_usage_report(events_engine, events_config(emulator), MARCH)
    assert (result.status, result.datasets) == ("empty", 0)
    assert not emulator.state.reports


def test_the_client_sends_gzip_with_datacites_headers(emulator: EmulatorHandle) -> None:
    client = events_config(emulator).open_client()
    sent = {}

    def capture(request, *args, **kwargs):  # type: ignore[no-untyped-def]
        sent["headers"] = dict(request.headers)
        sent["body"] = request.body
        return original(request, *args, **kwargs)

    original = client.session.send
    client.session.send = capture  # type: ignore[method-assign]
    report = {
        "report-header": {
            "report-name": "dataset report",
            "report-id": "DSR",
            "release": "rd1",
            "created-by": "x",
            "reporting-period": {"begin-date": "2026-03-01", "end-date": "2026-03-31"},
        },
        "report-datasets": [],
    }
    client.put_report("4f1c5bd4-83b8-5b7b-9e0a-111111111111", report)
    assert sent["headers"]["Content-Type"] == "application/gzip"
    assert sent["headers"]["Content-Encoding"] == "gzip"
    assert sent["headers"]["Authorization"].startswith("Bearer ")
    assert json.loads(gzip.decompress(sent["body"])) == report


def test_the_rd1_report_is_valid_against_datacites_schema(
    events_engine: sa.Engine, config: EventsConfig
) -> None:
    _usage(events_engine)
    report = build_usage_report(events_engine, config, MARCH, created=date(2026, 4, 2))
    schema = json.loads((SCHEMA_DIR / "sushi_usage_schema.json").read_text(encoding="utf-8"))
    # DataCite validates the header's fields and the datasets side by side, as sent
    submitted = {**report["report-header"], "report-datasets": report["report-datasets"]}
    validator = jsonschema.Draft4Validator(schema)
    assert [e.message for e in validator.iter_errors(submitted)] == []
    assert len(submitted["report-datasets"]) == 2
    # the schema does catch a malformed report
    broken = {**submitted, "report-datasets": [{"dataset-title": 7}]}
    assert list(validator.iter_errors(broken))
