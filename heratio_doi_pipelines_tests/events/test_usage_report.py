"""The monthly COUNTER usage report: its SUSHI shape in either release (rd1, R5.1), gzip
submission, stable id, 202."""

from __future__ import annotations

import copy
import gzip
import json
from dataclasses import replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import sqlalchemy as sa

from heratio_doi_pipelines.datacite_access import DataCiteAccess
from heratio_doi_pipelines.devtools.emulator import EmulatorHandle
from heratio_doi_pipelines.events.config import EventsConfig
from heratio_doi_pipelines.events.store import record_events, usage_event
from heratio_doi_pipelines.events.usage_report import (
    UsageReportError,
    build_usage_report,
    follow_up_usage_report,
    report_id_for,
    report_release,
    submit_usage_report,
)
from heratio_doi_pipelines.settings import SettingsResolver
from heratio_doi_pipelines.store.tables import ahg_doi, ahg_settings, heratio_doi_usage_report
from heratio_doi_pipelines_tests.events.conftest import events_config, give_dois

MARCH = date(2026, 3, 1)
SCHEMA_DIR = Path(__file__).parent / "data"
COUNTER_API = SCHEMA_DIR / "counter_api_5.1.0.1.json"
ITEM_REPORT = "IR"  # research data in R5.1: the Item Report, items of Data_Type Dataset
PUBLISHER_ROR = "https://ror.org/02mhbdp94"  # checksum-valid


@cache
def counter_validator(definition: str = ITEM_REPORT) -> jsonschema.Draft202012Validator:
    """A validator for one definition of COUNTER's API document (JSON Schema 2020-12, the
    dialect of OpenAPI 3.1), the document itself left as vendored."""
    document = json.loads(COUNTER_API.read_text(encoding="utf-8"))
    assert document["info"]["version"] == "5.1.0.1"
    schema = {**document, "$ref": f"#/definitions/{definition}"}
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def counter_errors(report: dict[str, Any]) -> list[str]:
    return [error.message for error in counter_validator().iter_errors(report)]


def r51(config: EventsConfig) -> EventsConfig:
    return replace(config, usage_report_release="r5.1")


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


def test_the_r51_report_is_a_valid_counter_item_report(
    events_engine: sa.Engine, config: EventsConfig
) -> None:
    _usage(events_engine)
    report = build_usage_report(events_engine, r51(config), MARCH, created=date(2026, 4, 2))
    assert counter_errors(report) == []
    header = report["Report_Header"]
    assert (header["Report_ID"], header["Report_Name"], header["Release"]) == (
        "IR",
        "Item Report",
        "5.1",
    )
    # a global report: usage not attributed to an institution goes to "The World"
    assert header["Institution_Name"] == "The World"
    assert header["Institution_ID"] == {"Proprietary": ["HERATIO.TEST:0000000000000000"]}
    assert (header["Created"], header["Created_By"]) == ("2026-04-02T00:00:00Z", "HERATIO.TEST")
    assert header["Report_Filters"] == {
        "Begin_Date": "2026-03-01",
        "End_Date": "2026-03-31",
        "Data_Type": ["Dataset"],
    }
    assert header["Report_Attributes"] == {"Attributes_To_Show": ["YOP", "Access_Method"]}
    assert header["Registry_Record"] == ""
    robots, compressed = header["Exceptions"]
    assert robots["Code"] == 0 and "COUNTER-Robots 20" in robots["Message"]
    assert compressed["Code"] == 69
    (group,) = report["Report_Items"]
    first, second = group["Items"]
    assert first["Item_ID"] == {
        "DOI": "10.5072/test/21",
        "URI": "https://archive.example.org/record-21",
    }
    assert (first["Item"], first["Publisher"], first["Platform"]) == (
        "Record 21",
        "Test Archive",
        "Heratio",
    )
    (performance,) = first["Attribute_Performance"]
    assert (performance["Data_Type"], performance["YOP"], performance["Access_Method"]) == (
        "Dataset",
        "2024",
        "Regular",
    )
    assert performance["Performance"] == {
        "Total_Item_Investigations": {"2026-03": 6},
        "Unique_Item_Investigations": {"2026-03": 3},
        "Total_Item_Requests": {"2026-03": 1},
    }
    assert second["Attribute_Performance"][0]["Performance"] == {
        "Total_Item_Requests": {"2026-03": 5},
        "Unique_Item_Requests": {"2026-03": 2},
    }
    plain = build_usage_report(events_engine, r51(config), MARCH, compress=False)
    assert [e["Code"] for e in plain["Report_Header"]["Exceptions"]] == [0]
    assert counter_errors(plain) == []


def test_both_releases_report_the_same_counts(
    events_engine: sa.Engine, config: EventsConfig
) -> None:
    _usage(events_engine)
    names = {
        "Total_Item_Investigations": "total-dataset-investigations",
        "Unique_Item_Investigations": "unique-dataset-investigations",
        "Total_Item_Requests": "total-dataset-requests",
        "Unique_Item_Requests": "unique-dataset-requests",
    }
    rd1 = build_usage_report(events_engine, config, MARCH)
    counts_rd1 = {
        (d["dataset-id"][0]["value"], i["metric-type"], i["access-method"]): i["count"]
        for d in rd1["report-datasets"]
        for i in d["performance"][0]["instance"]
    }
    item_report = build_usage_report(events_engine, r51(config), MARCH)
    counts_r51 = {
        (item["Item_ID"]["DOI"], names[metric], ap["Access_Method"].lower()): months["2026-03"]
        for group in item_report["Report_Items"]
        for item in group["Items"]
        for ap in item["Attribute_Performance"]
        for metric, months in ap["Performance"].items()
    }
    assert counts_r51 == counts_rd1 and len(counts_rd1) == 5


def test_r51_names_the_publishers_ror_and_an_unknown_year_as_0001(
    events_engine: sa.Engine, config: EventsConfig
) -> None:
    _usage(events_engine)
    with events_engine.begin() as conn:
        conn.execute(
            ahg_doi.update()
            .where(ahg_doi.c.doi == "10.5072/test/21")
            .values(
                metadata_json={
                    "titles": [{"title": "Record 21"}],
                    "publisher": {
                        "name": "Test Archive",
                        "publisherIdentifier": PUBLISHER_ROR,
                        "publisherIdentifierScheme": "ROR",
                    },
                },
                minted_at=None,
            )
        )
    report = build_usage_report(events_engine, r51(config), MARCH)
    assert counter_errors(report) == []
    first, second = report["Report_Items"][0]["Items"]
    assert first["Publisher_ID"] == {"ROR": ["02mhbdp94"]}
    assert first["Attribute_Performance"][0]["YOP"] == "0001"
    assert "Publisher_ID" not in second
    # the repository's own ROR (doi_publisher_ror) when the metadata names none
    with_ror = replace(r51(config), publisher_ror=PUBLISHER_ROR)
    _, second = build_usage_report(events_engine, with_ror, MARCH)["Report_Items"][0]["Items"]
    assert second["Publisher_ID"] == {"ROR": ["02mhbdp94"]}


def test_the_counter_schema_catches_a_broken_r51_report(
    events_engine: sa.Engine, config: EventsConfig
) -> None:
    _usage(events_engine)
    report = build_usage_report(events_engine, r51(config), MARCH)
    assert counter_errors(report) == []
    no_release = copy.deepcopy(report)
    del no_release["Report_Header"]["Release"]
    assert "'Release' is a required property" in counter_errors(no_release)
    old_release = copy.deepcopy(report)
    old_release["Report_Header"]["Release"] = "5"
    assert "'5.1' was expected" in counter_errors(old_release)
    bad_month = copy.deepcopy(report)
    performance = bad_month["Report_Items"][0]["Items"][0]["Attribute_Performance"][0]
    performance["Performance"]["Total_Item_Requests"] = {"2026-3": 1}
    assert counter_errors(bad_month)
    rd1_shape = build_usage_report(events_engine, config, MARCH)
    assert counter_errors(rd1_shape)


def test_the_release_setting_picks_the_report(
    events_engine: sa.Engine, emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    _usage(events_engine)
    assert SettingsResolver(events_engine).global_settings().usage_report_release == "rd1"
    with events_engine.begin() as conn:
        conn.execute(
            ahg_settings.insert().values(
                setting_key="doi_usage_report_release", setting_value="r5.1", setting_group="doi"
            )
        )
    overrides = {"datacite_url": emulator.url, "repository_id": "HERATIO.TEST"}
    stored = DataCiteAccess(events_engine, overrides, environ={}).events_config()
    assert stored.usage_report_release == "r5.1"
    assert build_usage_report(events_engine, stored, MARCH)["Report_Header"]["Release"] == "5.1"
    # the environment outranks ahg_settings, as for every doi_* setting
    environ = {"DOI_USAGE_REPORT_RELEASE": "rd1"}
    from_env = DataCiteAccess(events_engine, overrides, environ=environ).events_config()
    assert build_usage_report(events_engine, from_env, MARCH)["report-header"]["release"] == "rd1"
    assert report_release("R5.1").name == "r5.1" and report_release(None).name == "rd1"


def test_an_unknown_release_is_a_clear_error(
    events_engine: sa.Engine, emulator: EmulatorHandle, config: EventsConfig
) -> None:
    _usage(events_engine)
    wrong = replace(config, usage_report_release="r5")
    with pytest.raises(UsageReportError, match=r"'r5' .*choose one of rd1, r5\.1"):
        build_usage_report(events_engine, wrong, MARCH)
    with pytest.raises(UsageReportError, match="doi_usage_report_release 'r5'"):
        submit_usage_report(events_engine, wrong, MARCH)
    assert not emulator.state.reports


def test_the_emulator_accepts_the_r51_report_and_a_release_change_resends(
    events_engine: sa.Engine, emulator: EmulatorHandle, config: EventsConfig
) -> None:
    _usage(events_engine)
    result = submit_usage_report(events_engine, r51(config), MARCH)
    assert (result.status, result.http_status, result.datasets) == ("accepted", 201, 2)
    assert result.release == "r5.1" and "(r5.1, " in result.summary()
    stored = emulator.state.reports[result.report_id]
    assert stored.compressed and stored.header["Release"] == "5.1"
    assert [item["Item_ID"]["DOI"] for item in stored.datasets] == [
        "10.5072/test/21",
        "10.5072/test/22",
    ]
    assert counter_errors(result.report) == []
    assert submit_usage_report(events_engine, r51(config), MARCH).status == "unchanged"
    # the same month in the other release replaces the report under the same id
    back = submit_usage_report(events_engine, config, MARCH)
    assert (back.status, back.http_status, back.release) == ("accepted", 200, "rd1")
    assert list(emulator.state.reports) == [result.report_id]
    assert emulator.state.reports[result.report_id].header["release"] == "rd1"
