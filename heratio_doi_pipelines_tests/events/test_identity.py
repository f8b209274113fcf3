"""The de-duplication hash (Heratio's formula), event ids and the Events API host."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime
from types import SimpleNamespace

from heratio_doi_pipelines.datacite_access import DataCiteAccess
from heratio_doi_pipelines.events.config import events_url_for
from heratio_doi_pipelines.events.identity import (
    dedupe_hash,
    doi_uri,
    event_uuid,
    kebab_relation,
    kind_of,
    object_identity,
    usage_dedupe_hash,
)
from heratio_doi_pipelines.events.payload import event_attributes
from heratio_doi_pipelines.events.store import citation_event, relation_event, usage_event


def test_dedupe_hash_is_heratios_formula() -> None:
    expected = hashlib.sha256(
        b"10.5072/h/2026/7|is-part-of|10.5072/h/2026/1|heratio-archive"
    ).hexdigest()
    assert dedupe_hash("10.5072/H/2026/7", "is-part-of", "10.5072/H/2026/1", "heratio-archive") == (
        expected
    )


def test_hash_ignores_case_of_subject_and_object_only() -> None:
    a = dedupe_hash("10.5072/ABC", "cites", "https://Example.org/X", "heratio-archive")
    b = dedupe_hash("10.5072/abc", "cites", "https://example.org/x", "heratio-archive")
    assert a == b
    assert a != dedupe_hash("10.5072/abc", "cites", "https://example.org/x", "other-source")


def test_daily_usage_rows_put_the_day_in_the_object_slot() -> None:
    day = date(2026, 3, 1)
    rel = "total-dataset-investigations-regular"
    assert usage_dedupe_hash("10.5072/x", rel, day) == dedupe_hash(
        "10.5072/x", rel, "2026-03-01", "heratio-counter"
    )
    assert usage_dedupe_hash("10.5072/x", rel, day) != usage_dedupe_hash(
        "10.5072/x", rel, date(2026, 3, 2)
    )
    spec = usage_event("https://doi.org/10.5072/X", rel, day, 5)
    assert spec.dedupe_hash == usage_dedupe_hash("10.5072/x", rel, day)


def test_event_uuid_is_stable_and_a_uuid() -> None:
    h = dedupe_hash("10.5072/x", "cites", "10.1/y", "heratio-archive")
    assert event_uuid(h) == event_uuid(h)
    assert uuid.UUID(event_uuid(h)).version == 5


def test_relations_in_kebab_case_and_objects_normalised() -> None:
    assert kebab_relation("IsPartOf") == "is-part-of"
    assert kebab_relation("HasMetadata") == "has-metadata"
    assert kebab_relation("is-cited-by") == "is-cited-by"
    assert object_identity("https://doi.org/10.1234/ABC") == ("10.1234/abc", "doi")
    assert object_identity("https://example.org/page") == ("https://example.org/page", "url")
    assert kind_of("unique-dataset-requests-regular") == "download"
    assert kind_of("total-dataset-investigations-regular") == "view"
    assert kind_of("is-cited-by") == "citation"
    assert kind_of("is-part-of") == "relation"


def test_payload_key_style_follows_the_accept_header() -> None:
    spec = relation_event("10.5072/a", "10.5072/b", "IsPartOf")
    row = SimpleNamespace(**spec.row(datetime(2026, 3, 1, 10, 0, 0)))
    hyphen = event_attributes(row)
    camel = event_attributes(row, camel_case=True)
    assert hyphen["subj-id"] == doi_uri("10.5072/a") == "https://doi.org/10.5072/a"
    assert hyphen["obj-id"] == "https://doi.org/10.5072/b"
    assert hyphen["relation-type-id"] == "is-part-of"
    assert hyphen["occurred-at"] == "2026-03-01T10:00:00Z"
    assert set(camel) == {
        "subjId",
        "objId",
        "relationTypeId",
        "sourceId",
        "sourceToken",
        "occurredAt",
        "total",
    }
    url_citation = citation_event("10.5072/a", "https://blog.example.org/post")
    assert url_citation.obj_id_type == "url"


def test_events_host_follows_the_environment() -> None:
    assert events_url_for("production") == "https://api.datacite.org"
    assert events_url_for("test") == "https://api.test.datacite.org"
    assert events_url_for("anything-else") == "https://api.test.datacite.org"
    # a DataCite REST URL does not move events; a local emulator or proxy does
    assert (
        events_url_for("production", datacite_url="https://api.test.datacite.org")
        == "https://api.datacite.org"
    )
    assert events_url_for("test", datacite_url="http://127.0.0.1:8089/") == "http://127.0.0.1:8089"
    assert (
        events_url_for("production", events_url="https://events.example.org/", datacite_url="x")
        == "https://events.example.org"
    )


def test_events_config_from_settings_and_environment(events_engine) -> None:
    config = DataCiteAccess(
        events_engine, {"environment": "production", "api_token": "tok"}, environ={}
    ).events_config()
    assert config.url == "https://api.datacite.org"
    assert config.uses_bearer and not config.camel_case
    assert config.per_minute == 30  # Heratio's event job cap, unless doi_events_per_minute says
    assert "tok" not in repr(config)
    env = {"DATACITE_EVENTS_URL": "http://127.0.0.1:9/", "DATACITE_EVENTS_API_VERSION": "2"}
    config = DataCiteAccess(events_engine, {}, environ=env).events_config()
    assert config.url == "http://127.0.0.1:9" and config.camel_case
    assert not config.uses_bearer
    assert config.url.startswith("http://127.0.0.1")
