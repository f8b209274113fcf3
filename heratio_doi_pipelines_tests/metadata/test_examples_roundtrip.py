"""DataCite's Kernel 4.7 example records: parse -> JSON model -> XML keeps content, validates.

The examples are copies from the datacite/schema repository (kernel-4.7/example), kept in
``data/`` so the tests never read outside the project.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from heratio_doi_pipelines.metadata import from_xml, to_xml, validate_xml
from heratio_doi_pipelines.metadata.kernel_xml import parse_xml
from heratio_doi_pipelines.metadata.schema_versions import kernel_version
from heratio_doi_pipelines_tests.metadata.factories import EXAMPLES

XSI_LOCATION = "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation"


def _content(xml: bytes) -> Counter[tuple]:
    """Every element as (path, attributes, text), whitespace-normalised, order-free."""
    root = parse_xml(xml)
    items: Counter[tuple] = Counter()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        path = "/".join(
            etree.QName(node).localname for node in reversed([element, *element.iterancestors()])
        )
        attrs = tuple(
            sorted((k, v.strip()) for k, v in element.attrib.items() if k != XSI_LOCATION)
        )
        text = " ".join((element.text or "").split())
        if path.endswith(("Latitude", "Longitude")):  # numbers: 41.090 and 41.09 are equal
            text = repr(float(text))
        items[(path, attrs, text)] += 1
    return items


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 15


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_is_valid_as_shipped(path: Path) -> None:
    assert validate_xml(path.read_bytes()) == []


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_round_trip_keeps_content_and_validates(path: Path) -> None:
    original = path.read_bytes()
    attributes = from_xml(original)
    regenerated = to_xml(attributes)
    assert validate_xml(regenerated) == []
    assert from_xml(regenerated) == attributes
    assert _content(regenerated) == _content(original)
    assert parse_xml(regenerated).get(XSI_LOCATION) == kernel_version().schema_location


def test_full_example_maps_to_the_json_attribute_names() -> None:
    attributes = from_xml((path_of("datacite-example-full-v4.xml")).read_bytes())
    assert attributes["doi"] == "10.82433/B09Z-4K37"
    assert attributes["creators"][0] == {
        "name": "ExampleFamilyName, ExampleGivenName",
        "nameType": "Personal",
        "givenName": "ExampleGivenName",
        "familyName": "ExampleFamilyName",
        "nameIdentifiers": [
            {
                "nameIdentifier": "https://orcid.org/0000-0001-5727-2427",
                "nameIdentifierScheme": "ORCID",
                "schemeUri": "https://orcid.org",
            }
        ],
        "affiliation": [
            {
                "name": "ExampleAffiliation",
                "affiliationIdentifier": "https://ror.org/04wxnsj81",
                "affiliationIdentifierScheme": "ROR",
                "schemeUri": "https://ror.org",
            }
        ],
    }
    assert attributes["titles"][1] == {
        "title": "Example Subtitle",
        "titleType": "Subtitle",
        "lang": "en",
    }
    assert attributes["publicationYear"] == 2024
    assert attributes["types"] == {
        "resourceTypeGeneral": "Dataset",
        "resourceType": "Example ResourceType",
    }
    assert {"date": "2024-01-01/2024-12-31", "dateType": "Collected"} in attributes["dates"]
    assert attributes["identifiers"] == [
        {"identifier": "12345", "identifierType": "Local accession number"}
    ]
    assert attributes["fundingReferences"][0] == {
        "funderName": "Example Funder",
        "funderIdentifier": "https://doi.org/10.13039/501100000780",
        "funderIdentifierType": "Crossref Funder ID",
        "awardNumber": "12345",
        "awardUri": "https://example.com/example-award-uri",
        "awardTitle": "Example AwardTitle",
    }
    geo = attributes["geoLocations"][0]
    assert geo["geoLocationPoint"] == {"pointLongitude": -123.1207, "pointLatitude": 49.2827}
    assert len(geo["geoLocationPolygon"]) == 5
    assert attributes["relatedItems"][0]["relatedItemIdentifier"] == {
        "relatedItemIdentifier": "1234-5678",
        "relatedItemIdentifierType": "ISSN",
    }


def path_of(name: str) -> Path:
    return next(path for path in EXAMPLES if path.name == name)
