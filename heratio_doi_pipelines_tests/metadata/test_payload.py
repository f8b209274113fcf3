"""Payloads, the send body, batches, the rejection CSV, XSD loading and readable XSD errors."""

from __future__ import annotations

import base64
import csv
import json
import threading
from pathlib import Path

from lxml import etree

from heratio_doi_pipelines.catalogue.records import GeoPoint
from heratio_doi_pipelines.metadata import (
    build_payload,
    build_payloads,
    context_from_settings,
    from_xml,
    kernel_schema,
    payload_for_send,
    payload_hash,
    to_xml,
    validate_xml,
    write_rejections_csv,
)
from heratio_doi_pipelines.metadata.kernel_xml import NS
from heratio_doi_pipelines.metadata.schema_versions import kernel_version
from heratio_doi_pipelines.metadata.validation import SCHEMA_DIR, readable_error
from heratio_doi_pipelines.metadata.vocabulary import FUNDER_IDENTIFIER_TYPES
from heratio_doi_pipelines.settings import DoiSettings
from heratio_doi_pipelines_tests.metadata.factories import context, record

XS = "{http://www.w3.org/2001/XMLSchema}"


def test_payload_has_doi_url_and_validated_xml() -> None:
    payload = build_payload(record(), context())
    assert payload.doi == "10.5072/an/2026/123"
    assert payload.attributes["doi"] == payload.doi
    assert payload.attributes["url"] == "https://archive.example.org/papers-of-john-smith"
    assert payload.xml is not None and validate_xml(payload.xml) == []
    assert "url" not in payload.xml.decode()
    root = etree.fromstring(payload.xml)
    assert root.tag == f"{{{NS}}}resource"
    assert root.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation") == (
        "http://datacite.org/schema/kernel-4 http://schema.datacite.org/meta/kernel-4.7/metadata.xsd"
    )
    assert from_xml(payload.xml)["doi"] == payload.doi


def test_given_doi_is_kept_for_updates() -> None:
    payload = build_payload(record(), context(year=2031), doi="10.5072/AN/2026/123")
    assert payload.doi == "10.5072/an/2026/123"
    assert payload.attributes["doi"] == "10.5072/an/2026/123"


def test_payload_hash_is_stable_and_content_sensitive() -> None:
    first = build_payload(record(), context())
    again = build_payload(record(), context())
    assert first.payload_hash == again.payload_hash
    assert first.payload_hash == payload_hash(json.loads(json.dumps(first.attributes)))
    assert len(first.payload_hash) == 64
    reordered = dict(reversed(list(first.attributes.items())))
    assert payload_hash(reordered) == first.payload_hash
    edited = build_payload(record(title="Papers of Jane Smith"), context())
    assert edited.payload_hash != first.payload_hash


def test_send_body_in_json_mode() -> None:
    payload = build_payload(record(), context())
    body = payload_for_send(payload, event="publish", xml_mode=False)
    assert body["data"]["type"] == "dois"
    attributes = body["data"]["attributes"]
    assert attributes["event"] == "publish"
    assert attributes["titles"] == [{"title": "Papers of John Smith", "lang": "en"}]
    assert "xml" not in attributes
    assert "event" not in payload.attributes  # the payload itself is not changed


def test_send_body_in_xml_mode_carries_base64_kernel_xml() -> None:
    payload = build_payload(record(), context())
    body = payload_for_send(payload, event=None, xml_mode=True)
    attributes = body["data"]["attributes"]
    assert set(attributes) == {"doi", "url", "xml"}
    assert base64.b64decode(attributes["xml"]) == payload.xml


def test_no_empty_values_anywhere() -> None:
    payload = build_payload(
        record(subjects=("", " "), languages=("",), exhibition_urls=("",), scope_and_content=""),
        context(),
    )

    def walk(value: object) -> None:
        assert value not in (None, "", [], {})
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(payload.attributes)
    assert {"subjects", "language", "relatedIdentifiers", "descriptions"}.isdisjoint(
        payload.attributes
    )


def test_batch_splits_valid_rejected_and_warned(tmp_path: Path) -> None:
    records = [
        record(id=1),
        record(id=2, title=None),
        record(id=3, slug=None),
        record(id=4, geolocation=GeoPoint(123.4, 100.0, None), reference_code="ZA AN F4"),
    ]
    batch = build_payloads(records, context(), dois={1: "10.5072/kept/1"})
    assert batch.counts() == {"records": 4, "valid": 2, "rejected": 2, "warned": 1}
    assert [p.record_id for p in batch.valid] == [1, 2]
    assert batch.valid[0].doi == "10.5072/kept/1"
    assert [p.record_id for p in batch.warned] == [2]

    path = tmp_path / "reports" / "rejections.csv"
    assert write_rejections_csv(batch, path) == 2
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["record_id"] for row in rows] == ["3", "4"]
    assert rows[0]["errors"] == "url: no slug: cannot build the public URL"
    assert rows[1]["errors"] == "geoLocationPoint: latitude 123.4 out of range [-90, 90]"
    assert rows[1]["reference_code"] == "ZA AN F4"
    assert rows[1]["url"] == "https://archive.example.org/papers-of-john-smith"


def test_batch_takes_a_context_per_record() -> None:
    contexts = {5: context(prefix="10.1234"), 6: context(prefix="10.9999")}
    batch = build_payloads(
        [record(id=1), record(id=2, repository_id=6, repository_code="B")],
        lambda rec: contexts[rec.repository_id],
    )
    assert [p.doi for p in batch.valid] == ["10.1234/an/2026/1", "10.9999/b/2026/2"]


def test_empty_rejection_report_has_its_header(tmp_path: Path) -> None:
    batch = build_payloads([record()], context())
    path = tmp_path / "rejections.csv"
    assert write_rejections_csv(batch, path) == 0
    assert path.read_text(encoding="utf-8").splitlines() == [
        "record_id,doi,reference_code,title,url,errors,warnings"
    ]


def test_context_from_resolved_settings() -> None:
    settings = DoiSettings(
        prefix="10.1234",
        publisher="My Archive",
        base_url="https://atom.example.org",
        resource_type="Collection",
        suffix_pattern="{object_id}",
        register_drafts=True,
        xml_mode=True,
    )
    ctx = context_from_settings(settings, year=2030)
    assert (ctx.prefix, ctx.publisher, ctx.base_url, ctx.year) == (
        "10.1234",
        "My Archive",
        "https://atom.example.org",
        2030,
    )
    assert (ctx.resource_type_general, ctx.suffix_pattern) == ("Collection", "{object_id}")
    assert ctx.register_drafts and ctx.xml_mode
    assert build_payload(record(), ctx).doi == "10.1234/123"


def _enumeration(file_name: str) -> list[str]:
    tree = etree.parse(str(SCHEMA_DIR / "include" / file_name))
    return [node.get("value") for node in tree.iter(f"{XS}enumeration")]


def test_controlled_lists_match_the_vendored_xsd() -> None:
    assert kernel_version().allowed("resourceType") == tuple(
        _enumeration("datacite-resourceType-v4.xsd")
    )
    assert "Poster" in kernel_version().allowed("resourceType")
    assert list(FUNDER_IDENTIFIER_TYPES) == _enumeration("datacite-funderIdentifierType-v4.xsd")


def test_vendored_schema_needs_no_network() -> None:
    imports = [
        node.get("schemaLocation")
        for node in etree.parse(str(SCHEMA_DIR / "metadata.xsd")).iter(
            f"{XS}import", f"{XS}include"
        )
    ]
    assert imports and all(not loc.startswith(("http:", "https:")) for loc in imports)
    assert all((SCHEMA_DIR / loc).is_file() for loc in imports)
    readme = (SCHEMA_DIR / "README.txt").read_text(encoding="utf-8")
    assert "https://schema.datacite.org/meta/kernel-4.7/" in readme and "CC BY 4.0" in readme


def test_schema_is_cached_per_thread() -> None:
    assert kernel_schema() is kernel_schema()
    other: list[object] = []
    thread = threading.Thread(target=lambda: other.append(kernel_schema()))
    thread.start()
    thread.join()
    assert other[0] is not kernel_schema()


def test_validation_errors_name_the_element_and_the_rule() -> None:
    attributes = build_payload(record(), context()).attributes
    broken = dict(
        attributes, publicationYear="19", publisher="", types={"resourceTypeGeneral": "X"}
    )
    broken["geoLocations"] = [{"geoLocationPoint": {"pointLatitude": 123.4, "pointLongitude": 1.0}}]
    broken["creators"] = []
    errors = validate_xml(to_xml(broken))
    assert "creators: missing child element: creator" in errors
    assert "publisher: must not be empty" in errors
    assert "publicationYear: value '19' does not match the pattern [\\d]{4}" in errors
    assert "pointLatitude: value '123.4' is greater than the maximum allowed (90)" in errors
    assert any(
        e.startswith("resourceType/@resourceTypeGeneral: value 'X' is not one of the allowed")
        for e in errors
    )


def test_readable_error_rewrites_libxml2_messages() -> None:
    message = (
        "Element '{http://datacite.org/schema/kernel-4}publicationYear': [facet 'pattern'] "
        "The value 'abc' is not accepted by the pattern '[\\d]{4}'."
    )
    assert (
        readable_error(message)
        == "publicationYear: value 'abc' does not match the pattern [\\d]{4}"
    )
    assert (
        readable_error(
            "Element '{http://datacite.org/schema/kernel-4}date': The attribute 'dateType' is "
            "required but missing."
        )
        == "date: required attribute dateType is missing"
    )


def test_not_well_formed_xml_is_reported_not_raised() -> None:
    errors = validate_xml(b"<resource")
    assert len(errors) == 1 and errors[0].startswith("xml: not well-formed")


def test_entities_are_not_expanded_when_reading_xml() -> None:
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<resource xmlns="http://datacite.org/schema/kernel-4"><identifier '
        b'identifierType="DOI">&x;</identifier></resource>'
    )
    assert "root:" not in json.dumps(from_xml(hostile))


def test_to_xml_drops_characters_xml_cannot_hold() -> None:
    xml = to_xml({"doi": "10.5072/x\x00", "titles": [{"title": "a\ud800b\x07", "lang": "e\x01n"}]})
    root = etree.fromstring(xml)
    assert root.findtext(f"{{{NS}}}identifier") == "10.5072/x"
    title = root.find(f"{{{NS}}}titles/{{{NS}}}title")
    assert title is not None and title.text == "ab"
    assert title.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
