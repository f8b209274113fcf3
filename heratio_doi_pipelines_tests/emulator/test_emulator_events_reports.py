"""/events and /reports: Bearer-only writes, key styles, idempotency and COUNTER reports."""

from __future__ import annotations

import base64
import gzip
import json
import uuid
from typing import Any

import pytest
import requests

TOKEN = {"Authorization": "Bearer demo-token"}
VERSION_2 = {**TOKEN, "Accept": "application/vnd.api+json; version=2"}


def event_body(**attributes: Any) -> dict[str, Any]:
    defaults = {
        "subj-id": "https://doi.org/10.5072/heratio/2026/42",
        "obj-id": "https://archive.example.org/letters-home",
        "relation-type-id": "total-dataset-investigations-regular",
        "source-id": "datacite-usage",
        "source-token": "heratio-source-token",
        "occurred-at": "2026-03-01T00:00:00Z",
        "total": 3,
    }
    return {"data": {"type": "events", "attributes": {**defaults, **attributes}}}


def camel_event_body() -> dict[str, Any]:
    return {
        "data": {
            "type": "events",
            "attributes": {
                "subjId": "https://doi.org/10.5072/heratio/2026/7",
                "relationTypeId": "unique-dataset-requests-regular",
                "sourceId": "datacite-usage",
                "sourceToken": "heratio-source-token",
                "total": 1,
            },
        }
    }


def report(report_id: str = "DSR", **header: Any) -> dict[str, Any]:
    report_header = {
        "report-name": "dataset report",
        "report-id": report_id,
        "release": "rd1",
        "created": "2026-04-01",
        "created-by": "Heratio Demo Archive",
        "reporting-period": {"begin-date": "2026-03-01", "end-date": "2026-03-31"},
        **header,
    }
    dataset = {
        "dataset-id": [{"type": "doi", "value": "10.5072/heratio/2026/42"}],
        "performance": [
            {
                "period": {"begin-date": "2026-03-01", "end-date": "2026-03-31"},
                "instance": [
                    {
                        "metric-type": "total-dataset-investigations",
                        "count": 3,
                        "access-method": "regular",
                    }
                ],
            }
        ],
    }
    return {"report-header": report_header, "report-datasets": [dataset]}


def r51_report(**header: Any) -> dict[str, Any]:
    """A COUNTER Release 5.1 Item Report: Report_Header (Release "5.1") and Report_Items."""
    report_header = {
        "Report_Name": "Item Report",
        "Report_ID": "IR",
        "Release": "5.1",
        "Institution_Name": "The World",
        "Institution_ID": {"Proprietary": ["HERATIO.TEST:0000000000000000"]},
        "Report_Filters": {"Begin_Date": "2026-03-01", "End_Date": "2026-03-31"},
        "Created": "2026-04-01T00:00:00Z",
        "Created_By": "Heratio Demo Archive",
        "Registry_Record": "",
        **header,
    }
    item = {
        "Item": "Letters home",
        "Publisher": "Heratio Demo Archive",
        "Platform": "Heratio",
        "Item_ID": {"DOI": "10.5072/heratio/2026/42"},
        "Attribute_Performance": [
            {
                "Data_Type": "Dataset",
                "Access_Method": "Regular",
                "Performance": {"Total_Item_Investigations": {"2026-03": 3}},
            }
        ],
    }
    return {"Report_Header": report_header, "Report_Items": [{"Items": [item]}]}


# Events -------------------------------------------------------------------------------


def test_post_event_with_a_token_then_deduplicate(emulator):
    created = requests.post(f"{emulator.url}/events", json=event_body(), headers=TOKEN)
    assert created.status_code == 201
    data = created.json()["data"]
    assert data["type"] == "events"
    assert data["attributes"]["subj-id"] == "https://doi.org/10.5072/heratio/2026/42"
    assert data["attributes"]["total"] == 3

    again = requests.post(f"{emulator.url}/events", json=event_body(total=5), headers=TOKEN)
    assert again.status_code == 200
    assert again.json()["data"]["id"] == data["id"]
    assert again.json()["data"]["attributes"]["total"] == 5
    assert len(emulator.state.events) == 1
    assert emulator.stats()["events"] == {"created": 1, "updated": 1, "stored": 1}


def test_a_different_relation_is_a_different_event(emulator):
    requests.post(f"{emulator.url}/events", json=event_body(), headers=TOKEN)
    other = event_body(**{"relation-type-id": "unique-dataset-investigations-regular"})
    assert requests.post(f"{emulator.url}/events", json=other, headers=TOKEN).status_code == 201
    assert len(emulator.state.events) == 2


def test_repository_credentials_may_not_write_events_unless_switched_on(emulator, api):
    forbidden = api.post(f"{emulator.url}/events", json=event_body())
    assert forbidden.status_code == 403
    assert forbidden.json() == {
        "errors": [{"status": "403", "title": "You are not authorized to access this resource."}]
    }
    assert requests.post(f"{emulator.url}/events", json=event_body()).status_code == 401
    bad_token = {"Authorization": "Bearer stolen"}
    assert (
        requests.post(f"{emulator.url}/events", json=event_body(), headers=bad_token).status_code
        == 401
    )
    assert emulator.state.events == {}

    emulator.configure(events_accept_basic_auth=True)
    assert api.post(f"{emulator.url}/events", json=event_body()).status_code == 201
    assert emulator.stats()["events"]["forbidden"] == 1


def test_put_event_is_idempotent_on_its_uuid(emulator):
    event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "heratio-event-1"))
    url = f"{emulator.url}/events/{event_id}"
    body = event_body()
    body["data"]["id"] = event_id
    assert requests.put(url, json=body, headers=TOKEN).status_code == 201
    again = requests.put(url, json=body, headers=TOKEN)
    assert again.status_code == 200
    assert again.json()["data"]["id"] == event_id
    assert list(emulator.state.events) == [event_id]
    assert emulator.state.events[event_id].submissions == 2
    shown = requests.get(url).json()["data"]
    assert shown["attributes"]["source-id"] == "datacite-usage"
    not_a_uuid = requests.put(f"{emulator.url}/events/abc", json=body, headers=TOKEN)
    assert not_a_uuid.status_code == 422


def test_camel_case_keys_need_version_2(emulator):
    camel = requests.post(f"{emulator.url}/events", json=camel_event_body(), headers=VERSION_2)
    assert camel.status_code == 201
    assert camel.json()["data"]["attributes"]["relationTypeId"] == (
        "unique-dataset-requests-regular"
    )
    # The wrong style for the Accept header is dropped, so required fields go missing.
    dropped = requests.post(f"{emulator.url}/events", json=camel_event_body(), headers=TOKEN)
    assert dropped.status_code == 422
    assert {e["source"] for e in dropped.json()["errors"]} == {
        "subj-id",
        "source-id",
        "source-token",
    }
    hyphen_as_v2 = requests.post(f"{emulator.url}/events", json=event_body(), headers=VERSION_2)
    assert hyphen_as_v2.status_code == 422
    assert {e["source"] for e in hyphen_as_v2.json()["errors"]} == {
        "subjId",
        "sourceId",
        "sourceToken",
    }


@pytest.mark.parametrize(
    "payload",
    [
        {"attributes": {}},
        {"data": "events"},
        {"data": {"type": "dois", "attributes": {}}},
        event_body(**{"source-token": ""}),
        event_body(total="many"),
        event_body(**{"occurred-at": "yesterday"}),
    ],
)
def test_malformed_or_incomplete_events_are_422(emulator, payload):
    response = requests.post(f"{emulator.url}/events", json=payload, headers=TOKEN)
    assert response.status_code == 422
    assert response.json()["errors"]
    assert emulator.state.events == {}


def test_non_json_event_body_is_422(emulator):
    response = requests.post(f"{emulator.url}/events", data=b"{not json", headers=TOKEN)
    assert response.status_code == 422


def test_event_listing_filters(emulator):
    requests.post(f"{emulator.url}/events", json=event_body(), headers=TOKEN)
    other = event_body(**{"subj-id": "https://doi.org/10.5072/other"})
    requests.post(f"{emulator.url}/events", json=other, headers=TOKEN)
    listed = requests.get(f"{emulator.url}/events", params={"doi": "10.5072/OTHER"}).json()
    assert [e["attributes"]["subj-id"] for e in listed["data"]] == ["https://doi.org/10.5072/other"]
    assert requests.get(f"{emulator.url}/events").json()["meta"]["total"] == 2


# Reports ------------------------------------------------------------------------------


def test_post_report_with_a_token(emulator, api):
    response = requests.post(f"{emulator.url}/reports", json=report(), headers=TOKEN)
    assert response.status_code == 201
    created = response.json()["report"]
    assert created["id"]
    assert created["status"] == "accepted"
    assert created["report-header"]["report-id"] == "DSR"
    assert api.post(f"{emulator.url}/reports", json=report()).status_code == 403
    assert requests.post(f"{emulator.url}/reports", json=report()).status_code == 401
    assert len(emulator.state.reports) == 1


def test_report_header_must_be_complete(emulator):
    incomplete = report()
    del incomplete["report-header"]["release"]
    incomplete["report-header"]["reporting-period"] = {"begin-date": "2026-03-01"}
    response = requests.post(f"{emulator.url}/reports", json=incomplete, headers=TOKEN)
    assert response.status_code == 422
    assert {e["source"] for e in response.json()["errors"]} == {
        "report-header.release",
        "report-header.reporting-period.end-date",
    }
    missing = requests.post(f"{emulator.url}/reports", json={"report-datasets": []}, headers=TOKEN)
    assert missing.status_code == 422
    assert emulator.stats()["reports"]["invalid"] == 2


def test_r51_reports_are_recognised_by_their_header(emulator):
    url = f"{emulator.url}/reports/heratio-2026-03"
    response = requests.put(url, json=r51_report(), headers=TOKEN)
    assert response.status_code == 201
    assert response.json()["report"]["release"] == "5.1"
    shown = requests.get(url).json()["report"]
    assert shown["report-header"]["Report_ID"] == "IR"
    assert [i["Item_ID"]["DOI"] for i in shown["report-datasets"]] == ["10.5072/heratio/2026/42"]
    incomplete = r51_report()
    del incomplete["Report_Header"]["Release"]
    del incomplete["Report_Header"]["Report_Filters"]["End_Date"]
    answer = requests.put(url, json=incomplete, headers=TOKEN)
    assert answer.status_code == 422
    assert {e["source"] for e in answer.json()["errors"]} == {
        "Report_Header.Release",
        "Report_Header.Report_Filters.End_Date",
    }
    older = requests.put(url, json=r51_report(Release="5"), headers=TOKEN)
    assert older.status_code == 422
    assert "Is not a supported release: 5" in older.text
    no_items = {**r51_report(), "Report_Items": [{"Title": "no Items"}]}
    assert requests.put(url, json=no_items, headers=TOKEN).status_code == 422
    assert emulator.stats()["reports"]["invalid"] == 3


def test_put_report_with_the_same_id_updates_it(emulator):
    url = f"{emulator.url}/reports/heratio-2026-03"
    assert requests.put(url, json=report(), headers=TOKEN).status_code == 201
    updated = requests.put(url, json=report(**{"release": "rd1.1"}), headers=TOKEN)
    assert updated.status_code == 200
    assert list(emulator.state.reports) == ["heratio-2026-03"]
    shown = requests.get(url).json()["report"]
    assert shown["report-header"]["release"] == "rd1.1"
    assert len(shown["report-datasets"]) == 1


def test_gzip_reports_are_accepted(emulator):
    headers = {**TOKEN, "Content-Type": "application/json", "Content-Encoding": "gzip"}
    raw = gzip.compress(json.dumps(report()).encode())
    response = requests.post(f"{emulator.url}/reports", data=raw, headers=headers)
    assert response.status_code == 201
    assert response.json()["report"]["compressed"] is True

    packed = base64.b64encode(gzip.compress(json.dumps(report()).encode())).decode()
    body = {"compressed": packed}
    assert requests.post(f"{emulator.url}/reports", json=body, headers=TOKEN).status_code == 201

    broken = requests.post(f"{emulator.url}/reports", data=b"not gzip", headers=headers)
    assert broken.status_code == 422


@pytest.mark.parametrize(("mode", "final"), [("pending", "accepted"), ("reject", "rejected")])
def test_pending_reports_settle_when_followed_up(emulator, mode, final):
    emulator.configure(report_mode=mode, report_pending_polls=1)
    response = requests.put(f"{emulator.url}/reports/month-1", json=report(), headers=TOKEN)
    assert response.status_code == 202
    assert response.json()["message"] == "accepted, pending validation"
    assert response.json()["report"]["status"] == "pending"
    statuses = [
        requests.get(f"{emulator.url}/reports/month-1").json()["report"]["status"] for _ in range(3)
    ]
    assert statuses == ["pending", final, final]
    assert emulator.stats()["reports"][final] == 1
    assert requests.get(f"{emulator.url}/reports/unknown").status_code == 404
