"""Property tests: any catalogue record, however hostile, gives valid XML or a per-record error.

Generated records mix ordinary text with control characters, lone surrogates, markup, RTL
text, huge strings, NaN/inf coordinates, malformed dates and identifiers.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heratio_doi_pipelines.catalogue.records import (
    Actor,
    CatalogueEvent,
    CatalogueRecord,
    DigitalObject,
    Funding,
    GeoPoint,
    Place,
)
from heratio_doi_pipelines.metadata import (
    build_payload,
    build_payloads,
    from_xml,
    payload_for_send,
    validate_xml,
)
from heratio_doi_pipelines.metadata.mapping import DRAFT_ERROR
from heratio_doi_pipelines_tests.metadata.factories import CTX

HOSTILE = [
    "",
    " ",
    "\x00\x01\x02\x0b\x0c\x1f\x7f\x85\x9f",
    "\ud800\udfff lone surrogates",
    "\ufffe\uffff",
    "<script>alert(1)</script>",
    "<p>para</p><br><b>bold",
    "&amp;&lt;&#0;&#x1;&bogus;",
    "]]><!-- -->",
    "\u202eRTL override\u202c שלום مرحبا",
    "e\u0301\u0301\u0301",
    "😀 emoji 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "Smith, John",
    "Smith, John, 1850-1920",
    "x" * 100_000,
    "line\r\nbreak\rcr\u2028ls\u2029ps",
    "<![CDATA[x]]>",
    "' OR 1=1; --",
]

any_chars = st.characters(exclude_categories=())
hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(alphabet=any_chars, max_size=40),
    st.text(max_size=40),
)
maybe_text = st.one_of(st.none(), hostile_text)
dates = st.one_of(
    st.none(),
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"),
    st.sampled_from(
        ["0000-00-00", "1890-00-00", "1890-05-00", "1890-02-30", "1890-13-01", "ca. 1900",
         "1890-1900", "[19--]", "1900-1890", "19??", "n.d.", "9999-99-99", "1890s"]
    ),
    st.text(max_size=12),
)  # fmt: skip
numbers = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-200, max_value=200),
    st.integers(min_value=-500, max_value=500),
)
identifiers = st.one_of(
    st.none(),
    hostile_text,
    st.sampled_from(
        ["0000-0002-1825-0097", "0000-0002-1825-0098", "https://ror.org/05s0g1g46",
         "501100000780", "0000000121032683", "grid.5335.0", "10.13039/501100000780"]
    ),
)  # fmt: skip

actors = st.builds(
    Actor,
    id=st.integers(min_value=0, max_value=10**9),
    name=maybe_text,
    entity_type_id=st.sampled_from([None, 131, 132, 133, 999]),
    orcid=identifiers,
    isni=identifiers,
)
events = st.builds(
    CatalogueEvent,
    type_id=st.sampled_from([111, 114, 113, 117]),
    actor_id=st.none(),
    start_date=dates,
    end_date=dates,
    date_display=st.one_of(dates, maybe_text),
)
places = st.builds(
    Place,
    term_id=st.integers(min_value=1, max_value=10**6),
    name=hostile_text,
    latitude=numbers,
    longitude=numbers,
    box=st.one_of(st.none(), st.tuples(numbers, numbers, numbers, numbers)),
    polygon=st.one_of(st.none(), st.lists(st.tuples(numbers, numbers), max_size=7).map(tuple)),
)
digital_objects = st.builds(
    DigitalObject,
    id=st.integers(min_value=1, max_value=10**6),
    usage_id=st.sampled_from([None, 140, 141, 142, 166]),
    mime_type=maybe_text,
    name=maybe_text,
    path=st.one_of(maybe_text, st.just("/uploads/r/a/"), st.just("https://cdn.example.org/x")),
    parent_id=st.one_of(st.none(), st.integers(min_value=1, max_value=10)),
)
funding = st.builds(
    Funding,
    funder_name=hostile_text,
    funder_identifier=identifiers,
    funder_identifier_type=st.one_of(
        maybe_text, st.sampled_from(["ROR", "isni", "Crossref Funder ID", "GRID", "Other", "x"])
    ),
    award_number=maybe_text,
    award_uri=st.one_of(maybe_text, st.just("https://example.org/award")),
    award_title=maybe_text,
)
records = st.builds(
    CatalogueRecord,
    id=st.integers(min_value=1, max_value=10**9),
    identifier=maybe_text,
    parent_id=st.one_of(st.none(), st.integers(min_value=1, max_value=10**6)),
    repository_id=st.one_of(st.none(), st.integers(min_value=1, max_value=10**6)),
    repository_code=maybe_text,
    repository_name=maybe_text,
    level_of_description=maybe_text,
    source_culture=st.one_of(st.none(), st.sampled_from(["en", "fr", "xx", "", "en_GB"])),
    title=maybe_text,
    scope_and_content=maybe_text,
    archival_history=maybe_text,
    acquisition=maybe_text,
    slug=st.one_of(maybe_text, st.from_regex(r"\A[a-z0-9-]{1,30}\Z")),
    reference_code=maybe_text,
    publication_status=st.sampled_from([None, "draft", "published", "Draft"]),
    events=st.lists(events, max_size=4).map(tuple),
    creators=st.lists(actors, max_size=4).map(tuple),
    subjects=st.lists(hostile_text, max_size=5).map(tuple),
    places=st.lists(places, max_size=3).map(tuple),
    languages=st.lists(
        st.one_of(hostile_text, st.sampled_from(["en", "English", "fre", "xx"])), max_size=3
    ).map(tuple),
    digital_objects=st.lists(digital_objects, max_size=3).map(tuple),
    geolocation=st.one_of(st.none(), st.builds(GeoPoint, numbers, numbers, maybe_text)),
    funding=st.lists(funding, max_size=3).map(tuple),
    parent_doi=st.one_of(identifiers, st.just("10.5072/an/1")),
    exhibition_urls=st.lists(
        st.one_of(hostile_text, st.just("https://example.org/ex"), st.just("/ex/1")), max_size=2
    ).map(tuple),
)

FIELD_PREFIXES = (
    "url:", "publisher:", "creators:", "types:", "titles:", "geoLocationPoint:",
    "geoLocations (", "xsd: ",
)  # fmt: skip


def _no_empty_values(value: Any) -> bool:
    if value in (None, "", [], {}):
        return False
    if isinstance(value, dict):
        return all(_no_empty_values(v) for v in value.values())
    if isinstance(value, list):
        return all(_no_empty_values(v) for v in value)
    return True


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record=records)
def test_any_record_gives_valid_xml_or_a_clear_error(record: CatalogueRecord) -> None:
    payload = build_payload(record, CTX)
    assert _no_empty_values(payload.attributes)
    json.dumps(payload.attributes, allow_nan=False)
    assert all(isinstance(w, str) and w for w in payload.warnings)
    for error in payload.errors:
        assert error == DRAFT_ERROR or error.startswith(FIELD_PREFIXES), error
    assert not any(e.startswith("xsd: ") for e in payload.errors), payload.errors
    assert payload.xml is not None
    if payload.ok:
        assert validate_xml(payload.xml) == []
        body = payload_for_send(payload, event="publish", xml_mode=True)
        assert body["data"]["attributes"]["url"].startswith("https://archive.example.org/")
        expected = {key: value for key, value in payload.attributes.items() if key != "url"}
        assert from_xml(payload.xml) == expected


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(records, max_size=8))
def test_a_batch_never_fails_because_of_one_record(batch: list[CatalogueRecord]) -> None:
    result = build_payloads(batch, CTX)
    assert result.total == len(batch)
    assert all(p.ok for p in result.valid) and not any(p.ok for p in result.rejected)
