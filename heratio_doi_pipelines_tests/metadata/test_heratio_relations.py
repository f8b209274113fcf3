"""Relations as Heratio gives them: exhibitions (IsReferencedBy) and the parent's page
(IsPartOf) when the parent has no citable DOI; in the JSON and the XSD-valid XML. Also the
tombstone landing page and its site check."""

from __future__ import annotations

import pytest
from lxml import etree

from heratio_doi_pipelines.metadata import build_payload, validate_xml
from heratio_doi_pipelines.metadata.kernel_xml import NS
from heratio_doi_pipelines.metadata.tombstone import (
    TombstonePatternError,
    tombstone_host_warning,
    tombstone_url,
)
from heratio_doi_pipelines_tests.metadata.factories import context, record

SERIES = 120


def _xml_relations(xml: bytes) -> list[tuple[str, str | None, str | None]]:
    root = etree.fromstring(xml)
    return [
        (node.text or "", node.get("relatedIdentifierType"), node.get("relationType"))
        for node in root.iter(f"{{{NS}}}relatedIdentifier")
    ]


def test_exhibitions_and_parent_page_in_json_and_xml() -> None:
    payload = build_payload(
        record(
            parent_id=SERIES,
            parent_slug="letters-home-series",
            parent_publication_status="published",
            exhibition_ids=(3, 1, 3),
        ),
        context(),
    )
    expected = [
        ("https://archive.example.org/letters-home-series", "URL", "IsPartOf"),
        ("https://archive.example.org/exhibitions/3", "URL", "IsReferencedBy"),
        ("https://archive.example.org/exhibitions/1", "URL", "IsReferencedBy"),
    ]
    assert payload.errors == [] and payload.warnings == []
    assert [
        (r["relatedIdentifier"], r["relatedIdentifierType"], r["relationType"])
        for r in payload.attributes["relatedIdentifiers"]
    ] == expected
    assert payload.xml is not None and validate_xml(payload.xml) == []
    assert _xml_relations(payload.xml) == expected


def test_a_parent_doi_wins_over_its_page() -> None:
    payload = build_payload(
        record(parent_id=SERIES, parent_slug="letters-home-series", parent_doi="10.5072/AN/1"),
        context(),
    )
    assert payload.attributes["relatedIdentifiers"] == [
        {
            "relatedIdentifier": "10.5072/an/1",
            "relatedIdentifierType": "DOI",
            "relationType": "IsPartOf",
        }
    ]
    assert payload.xml is not None and _xml_relations(payload.xml) == [
        ("10.5072/an/1", "DOI", "IsPartOf")
    ]


def test_an_invalid_parent_doi_falls_back_to_the_parents_page() -> None:
    payload = build_payload(
        record(parent_id=SERIES, parent_slug="letters-home-series", parent_doi="not a doi"),
        context(),
    )
    assert payload.attributes["relatedIdentifiers"][0] == {
        "relatedIdentifier": "https://archive.example.org/letters-home-series",
        "relatedIdentifierType": "URL",
        "relationType": "IsPartOf",
    }
    assert payload.warnings == ["relatedIdentifiers: parent DOI 'not a doi' is not a DOI: dropped"]


def test_no_parent_link_to_a_draft_or_for_a_top_level_record() -> None:
    draft_parent = build_payload(
        record(parent_id=SERIES, parent_slug="hidden-series", parent_publication_status="draft"),
        context(),
    )
    assert "relatedIdentifiers" not in draft_parent.attributes
    assert draft_parent.warnings == [
        f"relatedIdentifiers: parent record {SERIES} is a draft in the catalogue "
        "(its page is not public): no IsPartOf link"
    ]
    top_level = build_payload(record(parent_id=1, parent_slug=None), context())
    assert "relatedIdentifiers" not in top_level.attributes and top_level.warnings == []


def test_parent_page_follows_the_index_php_url_scheme() -> None:
    payload = build_payload(
        record(parent_id=SERIES, parent_slug="letters-home-series"),
        context(use_index_php=True),
    )
    assert payload.attributes["relatedIdentifiers"][0]["relatedIdentifier"] == (
        "https://archive.example.org/index.php/letters-home-series"
    )


def test_the_default_tombstone_page_is_the_dois_own_url() -> None:
    assert (
        tombstone_url(
            "{url}",
            base_url="https://archive.example.org/",
            doi="10.5072/an/1",
            object_id=7,
            slug="papers",
            public_url="https://archive.example.org/papers",
        )
        == "https://archive.example.org/papers"
    )
    # without a known URL (a record deleted before its DOI got one): the slug, else the id
    assert (
        tombstone_url("", base_url="https://archive.example.org", doi="10.5072/x", object_id=7)
        == "https://archive.example.org/7"
    )
    assert (
        tombstone_url(
            "{base_url}/withdrawn/{doi}?record={object_id}&page={slug}",
            base_url="https://archive.example.org",
            doi="10.5072/an/1",
            object_id=7,
            slug="papers",
        )
        == "https://archive.example.org/withdrawn/10.5072/an/1?record=7&page=papers"
    )


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("{base_url}/gone/{id}", "unknown placeholder {id}"),
        ("{base_url}/gone/{}", "unknown placeholder {}"),
        ("{base_url}/gone/{doi", "expected '}' before end of string"),
    ],
)
def test_a_broken_tombstone_pattern_is_refused_with_the_reason(pattern: str, message: str) -> None:
    with pytest.raises(TombstonePatternError, match="doi_tombstone_url_pattern") as raised:
        tombstone_url(pattern, base_url="https://a.example.org", doi="10.5072/x", object_id=1)
    assert message in str(raised.value)
    warning = tombstone_host_warning(pattern, "https://a.example.org")
    assert warning is not None and message in warning


def test_tombstone_host_warnings() -> None:
    site = "https://archive.example.org"
    assert tombstone_host_warning("{url}", site) is None
    assert tombstone_host_warning("{base_url}/withdrawn/{doi}", site) is None
    assert tombstone_host_warning("https://ARCHIVE.example.org/gone/{doi}", site) is None
    other = tombstone_host_warning("https://old.example.org/gone/{doi}", site)
    assert other == (
        "doi_tombstone_url_pattern 'https://old.example.org/gone/{doi}' sends tombstoned DOIs "
        "to old.example.org, not to the catalogue's host 'archive.example.org' (base_url): "
        "check that this page exists"
    )
    relative = tombstone_host_warning("/gone/{doi}", site)
    assert relative is not None and "does not give an absolute http(s) URL" in relative
    legacy = tombstone_host_warning("{base_url}/doi/tombstone/{doi}", site)
    assert legacy is not None and "Heratio serves no /doi/tombstone/ page" in legacy
