"""The /dois behaviour the pipeline depends on, over real HTTP."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import requests

from heratio_doi_pipelines.devtools.emulator import EmulatorHandle
from heratio_doi_pipelines.devtools.emulator.remote import RemoteEmulator

BAD_CREDENTIALS = {"errors": [{"status": "401", "title": "Bad credentials."}]}

KERNEL4_XML = """<?xml version="1.0" encoding="UTF-8"?>
<resource xmlns="http://datacite.org/schema/kernel-4">
  <identifier identifierType="DOI">10.5072/XML-1</identifier>
  <creators><creator><creatorName nameType="Personal">Okafor, Ada</creatorName></creator></creators>
  <titles><title xml:lang="en">Title from XML</title></titles>
  <publisher>XML Publisher</publisher>
  <publicationYear>2023</publicationYear>
  <resourceType resourceTypeGeneral="Text">Letter</resourceType>
</resource>"""

KERNEL3_XML = """<?xml version="1.0" encoding="UTF-8"?>
<resource xmlns="http://datacite.org/schema/kernel-3">
  <identifier identifierType="DOI">10.5072/XML-3</identifier>
</resource>"""


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def put(api: requests.Session, emulator: EmulatorHandle, doi: str, payload: Any):
    return api.put(f"{emulator.url}/dois/{doi}", json=payload)


def test_put_creates_a_draft_then_updates(emulator, api, body):
    first = put(api, emulator, "10.5072/ABC-1", body(titles=[{"title": "Draft"}]))
    assert first.status_code == 201
    data = first.json()["data"]
    assert data["id"] == "10.5072/abc-1"
    assert data["type"] == "dois"
    assert data["attributes"]["doi"] == "10.5072/abc-1"
    assert data["attributes"]["state"] == "draft"
    assert data["attributes"]["isActive"] is False
    assert b"<resource" in base64.b64decode(data["attributes"]["xml"])

    second = put(api, emulator, "10.5072/ABC-1", body(titles=[{"title": "Second"}]))
    assert second.status_code == 200
    assert second.json()["data"]["attributes"]["titles"] == [{"title": "Second"}]
    record = emulator.state.doi("10.5072/abc-1")
    assert record is not None
    assert record.created_count == 1 and record.update_count == 1


def test_publish_makes_a_doi_findable_and_active(emulator, api, body, metadata):
    response = put(api, emulator, "10.5072/pub-1", body(event="publish", **metadata()))
    assert response.status_code == 201
    attributes = response.json()["data"]["attributes"]
    assert attributes["state"] == "findable"
    assert attributes["isActive"] is True
    assert attributes["url"] == metadata()["url"]


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([None], "draft"),
        (["register"], "registered"),
        (["publish"], "findable"),
        (["register", "publish"], "findable"),
        (["publish", "hide"], "registered"),
        (["publish", "hide", "show"], "findable"),
        # Invalid transitions and unknown events are silently ignored.
        (["hide"], "draft"),
        (["show"], "draft"),
        (["publish", "register"], "findable"),
        (["register", "hide"], "registered"),
        (["publish", "retract"], "findable"),
    ],
)
def test_events_drive_the_state(emulator, api, body, metadata, events, expected):
    for event in events:
        response = put(api, emulator, "10.5072/state-1", body(event=event, **metadata()))
        assert response.status_code in (200, 201)
    assert response.json()["data"]["attributes"]["state"] == expected
    assert emulator.state.dois["10.5072/STATE-1"].state == expected


def test_state_in_the_request_is_ignored_and_nothing_returns_to_draft(
    emulator, api, body, metadata
):
    put(api, emulator, "10.5072/keep-1", body(event="publish", **metadata()))
    response = put(api, emulator, "10.5072/keep-1", body(state="draft"))
    assert response.status_code == 200
    assert response.json()["data"]["attributes"]["state"] == "findable"


def test_bad_credentials_are_refused(emulator, body):
    url = f"{emulator.url}/dois/10.5072/auth-1"
    for auth in [("HERATIO.DEMO", "wrong"), ("OTHER.REPO", "demo-password"), None]:
        response = requests.put(url, json=body(), auth=auth)
        assert response.status_code == 401
        assert response.json() == BAD_CREDENTIALS
    bad_token = requests.put(url, json=body(), headers={"Authorization": "Bearer nope"})
    assert bad_token.status_code == 401
    assert emulator.state.doi("10.5072/auth-1") is None


def test_repository_id_is_case_insensitive_and_tokens_work(emulator, body):
    url = f"{emulator.url}/dois/10.5072/auth-2"
    assert requests.put(url, json=body(), auth=("heratio.demo", "demo-password")).status_code == 201
    token = requests.put(url, json=body(), headers={"Authorization": "Bearer demo-token"})
    assert token.status_code == 200


def test_prefix_of_another_repository_is_forbidden(emulator, api, body):
    response = put(api, emulator, "10.9999/not-ours", body())
    assert response.status_code == 403
    assert response.json() == {
        "errors": [{"status": "403", "title": "You are not authorized to access this resource."}]
    }


def test_second_configured_prefix_is_accepted(emulator, api, body):
    assert put(api, emulator, "10.80001/second", body()).status_code == 201


def test_unknown_doi_is_404(emulator, api):
    expected = {
        "errors": [{"status": "404", "title": "The resource you are looking for doesn't exist."}]
    }
    for method in ("GET", "DELETE"):
        response = api.request(method, f"{emulator.url}/dois/10.5072/missing")
        assert response.status_code == 404
        assert response.json() == expected


def test_anonymous_readers_only_see_findable_dois(emulator, api, body, metadata):
    put(api, emulator, "10.5072/open", body(event="publish", **metadata()))
    put(api, emulator, "10.5072/closed", body(event="register", **metadata()))
    assert requests.get(f"{emulator.url}/dois/10.5072/open").status_code == 200
    assert requests.get(f"{emulator.url}/dois/10.5072/closed").status_code == 404
    assert api.get(f"{emulator.url}/dois/10.5072/closed").status_code == 200
    listed = requests.get(f"{emulator.url}/dois").json()["data"]
    assert [item["id"] for item in listed] == ["10.5072/open"]


def test_only_drafts_can_be_deleted(emulator, api, body, metadata):
    put(api, emulator, "10.5072/draft", body())
    put(api, emulator, "10.5072/registered", body(event="register", **metadata()))
    put(api, emulator, "10.5072/findable", body(event="publish", **metadata()))

    deleted = api.delete(f"{emulator.url}/dois/10.5072/DRAFT")
    assert deleted.status_code == 204
    assert emulator.state.doi("10.5072/draft") is None
    for doi in ("10.5072/registered", "10.5072/findable"):
        response = api.delete(f"{emulator.url}/dois/{doi}")
        assert response.status_code == 405
        assert response.json() == {"errors": [{"status": "405", "title": "Method not allowed"}]}
        assert emulator.state.doi(doi) is not None


def test_registered_doi_without_url_is_422_and_nothing_changes(emulator, api, body, metadata):
    put(api, emulator, "10.5072/nourl", body(titles=[{"title": "Kept"}]))
    attributes = metadata()
    del attributes["url"]
    attributes["titles"] = [{"title": "Not kept"}]
    response = put(api, emulator, "10.5072/nourl", body(event="publish", **attributes))
    assert response.status_code == 422
    assert response.json() == {
        "errors": [{"source": "url", "uid": "10.5072/nourl", "title": "Can't be blank"}]
    }
    record = emulator.state.doi("10.5072/nourl")
    assert record is not None
    assert record.state == "draft"
    assert record.attributes["titles"] == [{"title": "Kept"}]


def test_missing_metadata_gives_one_error_per_attribute(emulator, api, body):
    response = put(
        api, emulator, "10.5072/thin", body(event="register", url="https://example.org/x")
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {e["source"] for e in errors} == {
        "creators",
        "titles",
        "publisher",
        "publicationYear",
        "types",
    }
    assert all(set(e) == {"source", "uid", "title"} for e in errors)
    assert all(e["uid"] == "10.5072/thin" for e in errors)
    assert emulator.state.doi("10.5072/thin") is None


@pytest.mark.parametrize(
    ("override", "source"),
    [
        ({"creators": [{"nameType": "Personal"}]}, "creators"),
        ({"titles": [{"title": " "}]}, "titles"),
        ({"publicationYear": "24"}, "publicationYear"),
        ({"types": {"resourceTypeGeneral": "Fonds"}}, "types"),
        ({"url": "not a url"}, "url"),
    ],
)
def test_invalid_metadata_is_rejected_when_registering(
    emulator, api, body, metadata, override, source
):
    response = put(api, emulator, "10.5072/bad", body(event="publish", **metadata(**override)))
    assert response.status_code == 422
    assert [e["source"] for e in response.json()["errors"]] == [source]


def test_kernel_47_resource_types_are_accepted(emulator, api, body, metadata):
    attributes = metadata(types={"resourceTypeGeneral": "Poster"})
    assert put(api, emulator, "10.5072/poster", body(event="publish", **attributes)).ok


def test_drafts_may_be_incomplete(emulator, api, body):
    response = put(api, emulator, "10.5072/sketch", body(titles=[], publicationYear="soon"))
    assert response.status_code == 201


def test_updates_to_a_findable_doi_are_validated(emulator, api, body, metadata):
    put(api, emulator, "10.5072/live", body(event="publish", **metadata()))
    response = put(api, emulator, "10.5072/live", body(titles=[]))
    assert response.status_code == 422
    assert emulator.state.doi("10.5072/live").attributes["titles"] == metadata()["titles"]


def test_post_creates_and_refuses_a_taken_doi(emulator, api, body, metadata):
    created = api.post(f"{emulator.url}/dois", json=body(doi="10.5072/Post-1", **metadata()))
    assert created.status_code == 201
    assert created.headers["Location"].endswith("/dois/10.5072/post-1")
    taken = api.post(f"{emulator.url}/dois", json=body(doi="10.5072/POST-1"))
    assert taken.status_code == 422
    assert taken.json() == {
        "errors": [
            {"source": "doi", "uid": "10.5072/post-1", "title": "This DOI has already been taken"}
        ]
    }
    assert emulator.state.doi("10.5072/post-1").created_count == 1


def test_post_with_a_prefix_generates_a_suffix(emulator, api, body):
    response = api.post(f"{emulator.url}/dois", json=body(prefix="10.5072"))
    assert response.status_code == 201
    doi = response.json()["data"]["id"]
    assert doi.startswith("10.5072/") and len(doi) > len("10.5072/")
    assert emulator.state.doi(doi) is not None
    foreign = api.post(f"{emulator.url}/dois", json=body(prefix="10.9999"))
    assert foreign.status_code == 403


def test_a_body_without_data_is_400(emulator, api):
    for payload in ({"attributes": {}}, [], None):
        response = api.put(f"{emulator.url}/dois/10.5072/nodata", json=payload)
        assert response.status_code == 400
        assert response.json()["errors"][0]["status"] == "400"


def test_dois_are_case_insensitive(emulator, api, body):
    put(api, emulator, "10.5072/MiXeD/Case", body())
    assert list(emulator.state.dois) == ["10.5072/MIXED/CASE"]
    again = put(api, emulator, "10.5072/mixed/CASE", body(publisher="P"))
    assert again.status_code == 200
    shown = api.get(f"{emulator.url}/dois/10.5072/MIXED/case").json()["data"]
    assert shown["id"] == "10.5072/mixed/case"
    assert shown["attributes"]["publisher"] == "P"


def test_listing_pages_with_a_cursor(emulator, api, body, metadata):
    dois = [f"10.5072/list-{n}" for n in range(7)]
    for doi in dois:
        put(api, emulator, doi, body(event="publish", **metadata()))
    put(api, emulator, "10.80001/elsewhere", body())

    seen: list[str] = []
    url: str | None = (
        f"{emulator.url}/dois?prefix=10.5072&client-id=heratio.demo&page[size]=3&page[cursor]=1"
    )
    pages = 0
    while url:
        page = api.get(url).json()
        assert page["meta"]["total"] == 7
        assert all("xml" not in item["attributes"] for item in page["data"])
        seen += [item["id"] for item in page["data"]]
        url = page["links"].get("next")
        pages += 1
    assert seen == dois
    assert pages == 3

    everything = api.get(f"{emulator.url}/dois", params={"page[size]": 1000}).json()
    assert everything["meta"]["total"] == 8
    other_client = api.get(f"{emulator.url}/dois", params={"client-id": "someone.else"}).json()
    assert other_client["data"] == []


def test_cursor_paging_returns_every_doi_once_while_dois_are_added(emulator, api, body):
    """DataCite's cursor is a position in creation order: DOIs created, updated or deleted
    while a client pages never make it skip or repeat one that was there when it started."""
    remote = RemoteEmulator(emulator.url)
    template = {
        "doi": "10.5072/bulk/{n}",
        "url": "https://archive.example.org/{n}",
        "attributes": {"titles": [{"title": "Record {n}"}], "publisher": "P"},
    }
    assert remote.generate_dois(template, count=2500) == 2500
    before = {f"10.5072/bulk/{n}" for n in range(1, 2501)}

    seen: list[str] = []
    url: str | None = f"{emulator.url}/dois?prefix=10.5072&page[size]=1000&page[cursor]=1"
    added = 0
    while url:
        page = api.get(url).json()
        seen += [item["id"] for item in page["data"]]
        url = page["links"].get("next")
        # Between pages: new DOIs arrive, early ones are updated, a draft comes and goes.
        for _ in range(40):
            added += 1
            put(api, emulator, f"10.5072/new-{added}", body())
        put(api, emulator, "10.5072/bulk/1", body(url="https://archive.example.org/moved"))
        put(api, emulator, "10.5072/gone", body())
        api.delete(f"{emulator.url}/dois/10.5072/gone")

    assert len(seen) == len(set(seen))  # nothing twice
    assert before <= set(seen)  # nothing that was there is missed
    assert set(seen) - before <= {f"10.5072/new-{n}" for n in range(1, added + 1)}
    assert seen[0] == "10.5072/bulk/1"  # an update does not move a DOI
    shown = api.get(f"{emulator.url}/dois/10.5072/bulk/7").json()["data"]["attributes"]
    assert shown["state"] == "findable" and shown["titles"] == [{"title": "Record 7"}]
    assert shown["url"] == "https://archive.example.org/7"


def test_listing_counts_come_from_the_per_state_totals(emulator, api, body, metadata):
    RemoteEmulator(emulator.url).generate_dois({"doi": "10.80001/g/{n}", "state": "registered"}, 5)
    put(api, emulator, "10.5072/draft-1", body())
    put(api, emulator, "10.5072/pub-1", body(event="publish", **metadata()))
    api.delete(f"{emulator.url}/dois/10.5072/draft-1")

    def total(**params: str) -> int:
        return int(api.get(f"{emulator.url}/dois", params=params).json()["meta"]["total"])

    assert total() == 6
    assert total(state="registered") == 5
    assert total(prefix="10.5072") == 1
    assert total(prefix="10.5072", state="draft") == 0
    anonymous = requests.get(f"{emulator.url}/dois", params={"state": "registered"}).json()
    assert anonymous["meta"]["total"] == 0 and anonymous["data"] == []
    assert emulator.stats()["dois_by_state"] == {"registered": 5, "findable": 1}


def test_listing_pages_by_number(emulator, api, body):
    for n in range(5):
        put(api, emulator, f"10.5072/num-{n}", body())
    first = api.get(f"{emulator.url}/dois", params={"page[size]": 2}).json()
    assert [d["id"] for d in first["data"]] == ["10.5072/num-0", "10.5072/num-1"]
    third = api.get(f"{emulator.url}/dois", params={"page[size]": 2, "page[number]": 3}).json()
    assert [d["id"] for d in third["data"]] == ["10.5072/num-4"]
    assert "next" not in third["links"]


def test_kernel4_xml_is_read_and_json_attributes_override_it(emulator, api, body):
    response = put(
        api,
        emulator,
        "10.5072/xml-1",
        body(
            event="publish",
            url="https://example.org/xml-1",
            xml=b64(KERNEL4_XML),
            titles=[{"title": "Title from JSON"}],
        ),
    )
    assert response.status_code == 201, response.text
    attributes = response.json()["data"]["attributes"]
    assert attributes["state"] == "findable"
    assert attributes["titles"] == [{"title": "Title from JSON"}]
    assert attributes["creators"][0]["name"] == "Okafor, Ada"
    assert attributes["publisher"] == "XML Publisher"
    assert attributes["publicationYear"] == 2023


def test_xml_alone_is_echoed_back(emulator, api, body):
    payload = body(xml=b64(KERNEL4_XML))
    response = put(api, emulator, "10.5072/xml-2", payload)
    assert base64.b64decode(response.json()["data"]["attributes"]["xml"]) == KERNEL4_XML.encode()


@pytest.mark.parametrize(
    ("xml", "title_start"),
    [
        (b64(KERNEL3_XML), "Schema http://datacite.org/schema/kernel-3 is no longer supported"),
        (b64("<resource"), "Is invalid"),
        ("***not base64***", "Is invalid"),
    ],
)
def test_unusable_xml_is_422(emulator, api, body, xml, title_start):
    response = put(api, emulator, "10.5072/xml-bad", body(xml=xml))
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["source"] == "xml"
    assert error["title"].startswith(title_start)


def test_schema_invalid_xml_is_refused_only_when_registering(emulator, api, body):
    """Checked against the Kernel-4 XSD the metadata package vendors, as DataCite validates."""
    invalid = KERNEL4_XML.replace("<publisher>", "<colour>blue</colour><publisher>")
    draft = put(api, emulator, "10.5072/xsd", body(xml=b64(invalid)))
    assert draft.status_code == 201
    published = put(
        api, emulator, "10.5072/xsd", body(event="publish", url="https://example.org/xsd")
    )
    assert published.status_code == 200  # no XML sent this time: nothing to check
    again = put(api, emulator, "10.5072/xsd", body(xml=b64(invalid)))
    assert again.status_code == 422
    assert {e["source"] for e in again.json()["errors"]} == {"xml"}
    assert "colour" in again.json()["errors"][0]["title"]


def test_heartbeat(emulator):
    response = requests.get(f"{emulator.url}/heartbeat")
    assert response.status_code == 200
    assert response.text == "OK"


def test_attributes_no_xml_can_hold_are_422_not_a_crash(emulator, api, body):
    """A draft may be incomplete, but not of a shape Kernel XML cannot express."""
    response = put(api, emulator, "10.5072/shape", body(types="Text", dates=["2020"]))
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["title"].startswith("Is invalid")
