"""Deliberately malformed catalogue records, each with the exact error or normalisation it gets.

Every row states the complete list of errors and warnings the record must produce (so an
unexpected extra message fails too) and the attribute values it must end up with. Records
with errors are not sendable; the others must give XSD-valid XML.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from heratio_doi_pipelines.catalogue.records import (
    Actor,
    CatalogueEvent,
    DigitalObject,
    Funding,
    GeoPoint,
    Place,
)
from heratio_doi_pipelines.metadata import build_payload, payload_for_send, validate_xml
from heratio_doi_pipelines_tests.metadata.factories import context, record

DRAFT = "record is a draft in the catalogue (publication status draft): not made findable"
MISSING = object()


def _get(data: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(data, list):
            index = int(part)
            if index >= len(data):
                return MISSING
            data = data[index]
        elif isinstance(data, dict):
            if part not in data:
                return MISSING
            data = data[part]
        else:
            return MISSING
    return data


def _creation(start: str | None, end: str | None = None, display: str | None = None):
    return (CatalogueEvent(111, 7, start, end, display),)


def _place(**kw: Any) -> tuple[Place, ...]:
    return (Place(term_id=40, name=kw.pop("name", "Cape"), **kw),)


def _fund(**kw: Any) -> tuple[Funding, ...]:
    values = {
        "funder_name": "NRF",
        "funder_identifier": None,
        "funder_identifier_type": None,
        "award_number": None,
        "award_uri": None,
        "award_title": None,
    }
    values.update(kw)
    return (Funding(**values),)


def _derivative(**kw: Any) -> tuple[DigitalObject, ...]:
    values = {
        "id": 2,
        "usage_id": 141,
        "mime_type": "image/jpeg",
        "name": "x_141.jpg",
        "path": "/uploads/r/an/1/",
        "parent_id": 1,
    }
    values.update(kw)
    return (DigitalObject(**values),)


FUND = "fundingReferences (NRF)"
CAPE = "geoLocations (Cape)"

# (id, record changes, context changes, errors, warnings, {attribute path: expected value})
CASES: list[tuple[str, dict, dict, list[str], list[str], dict[str, Any]]] = [
    # --- titles ------------------------------------------------------------------------------
    ("title-missing", {"title": None}, {}, [],
     ["titles: record has no title: 'Information object 123' used"],
     {"titles.0.title": "Information object 123"}),
    ("title-blank", {"title": "  \t "}, {}, [],
     ["titles: record has no title: 'Information object 123' used"],
     {"titles.0.title": "Information object 123"}),
    ("title-only-markup", {"title": "<p><br/></p>"}, {}, [],
     ["titles: record has no title: 'Information object 123' used"],
     {"titles.0.title": "Information object 123"}),
    ("title-control-chars", {"title": "Pa\x00pers\x07 of\tJohn\x1b"}, {}, [], [],
     {"titles.0.title": "Papers of John"}),
    ("title-lone-surrogate", {"title": "Papers\ud800 of John"}, {}, [], [],
     {"titles.0.title": "Papers of John"}),
    ("title-html-entities", {"title": "<i>Smith</i> &amp; Sons &lt;1890&gt;"}, {}, [], [],
     {"titles.0.title": "Smith & Sons <1890>"}),
    ("title-rtl", {"title": "  أوراق   جون سميث "}, {}, [], [],
     {"titles.0.title": "أوراق جون سميث"}),
    ("title-lang-from-culture", {"source_culture": "fr"}, {}, [], [],
     {"titles.0.lang": "fr"}),
    ("title-bad-culture", {"source_culture": "zz"}, {}, [], [],
     {"titles.0.lang": MISSING}),
    # --- url and status ---------------------------------------------------------------------
    ("slug-missing", {"slug": None}, {}, ["url: no slug: cannot build the public URL"], [],
     {"url": MISSING}),
    ("slug-blank", {"slug": "  "}, {}, ["url: no slug: cannot build the public URL"], [], {}),
    ("slug-index-php", {}, {"use_index_php": True}, [], [],
     {"url": "https://archive.example.org/index.php/papers-of-john-smith"}),
    ("base-url-empty", {}, {"base_url": ""},
     ["url: base URL '' is not an absolute http(s) URL"], [], {}),
    ("base-url-not-http", {}, {"base_url": "ftp://archive.example.org"},
     ["url: base URL 'ftp://archive.example.org' is not an absolute http(s) URL"], [], {}),
    ("base-url-trailing-slash", {}, {"base_url": "https://archive.example.org/atom/"}, [], [],
     {"url": "https://archive.example.org/atom/papers-of-john-smith"}),
    ("draft", {"publication_status": "draft"}, {}, [DRAFT], [], {}),
    ("draft-capitalised", {"publication_status": "Draft"}, {}, [DRAFT], [], {}),
    ("draft-registered", {"publication_status": "draft"}, {"register_drafts": True}, [],
     ["state: record is a draft in the catalogue: registered, not made findable"], {}),
    ("no-status-row", {"publication_status": None}, {}, [], [], {}),
    # --- creators ---------------------------------------------------------------------------
    ("no-creators", {"creators": ()}, {}, [],
     ["creators: no creator on the record or its ancestors: publisher used"],
     {"creators": [{"name": "Heratio Archive", "nameType": "Organizational"}]}),
    ("nameless-actor", {"creators": (Actor(9, "  ", 132),)}, {}, [],
     ["creators: actor 9 has no name: dropped",
      "creators: no creator on the record or its ancestors: publisher used"],
     {"creators.0.name": "Heratio Archive"}),
    ("person-inverted", {}, {}, [], [],
     {"creators.0.nameType": "Personal", "creators.0.givenName": "John",
      "creators.0.familyName": "Smith"}),
    ("person-with-dates", {"creators": (Actor(7, "Smith, John, 1850-1920", 132),)}, {}, [], [],
     {"creators.0.givenName": "John", "creators.0.familyName": "Smith"}),
    ("person-only-dates", {"creators": (Actor(7, "Smith, 1850-1920", 132),)}, {}, [], [],
     {"creators.0.givenName": MISSING, "creators.0.nameType": "Personal"}),
    ("person-direct-order", {"creators": (Actor(7, "John Smith", 132),)}, {}, [], [],
     {"creators.0.familyName": MISSING, "creators.0.name": "John Smith"}),
    ("corporate-body", {"creators": (Actor(8, "Smith, Sons & Co", 131),)}, {}, [], [],
     {"creators.0.nameType": "Organizational", "creators.0.givenName": MISSING}),
    ("family", {"creators": (Actor(8, "Smith family", 133),)}, {}, [], [],
     {"creators.0.nameType": "Organizational"}),
    ("unknown-entity-type", {"creators": (Actor(8, "Jane Doe", None),)}, {}, [],
     ["creators: Jane Doe: unknown entity type None: nameType omitted"],
     {"creators.0.nameType": MISSING}),
    ("duplicate-actor", {"creators": (Actor(7, "Smith, John", 132),) * 2}, {}, [], [],
     {"creators.1": MISSING}),
    ("orcid-bare", {"creators": (Actor(7, "Smith, John", 132, orcid="0000-0002-1825-0097"),)},
     {}, [], [],
     {"creators.0.nameIdentifiers": [{"nameIdentifier": "https://orcid.org/0000-0002-1825-0097",
                                      "nameIdentifierScheme": "ORCID",
                                      "schemeUri": "https://orcid.org"}]}),
    ("orcid-http-url",
     {"creators": (Actor(7, "Smith, John", 132, orcid=" http://orcid.org/0000-0002-1825-0097 "),)},
     {}, [], [],
     {"creators.0.nameIdentifiers.0.nameIdentifier": "https://orcid.org/0000-0002-1825-0097"}),
    ("orcid-compact-lower-x",
     {"creators": (Actor(7, "Smith, John", 132, orcid="000000021694233x"),)}, {}, [], [],
     {"creators.0.nameIdentifiers.0.nameIdentifier": "https://orcid.org/0000-0002-1694-233X"}),
    ("orcid-bad-checksum",
     {"creators": (Actor(7, "Smith, John", 132, orcid="0000-0002-1825-0098"),)}, {}, [],
     ["creators: Smith, John: ORCID '0000-0002-1825-0098' is not a valid ORCID iD "
      "(format or checksum): dropped"],
     {"creators.0.nameIdentifiers": MISSING}),
    ("orcid-garbage", {"creators": (Actor(7, "Smith, John", 132, orcid="n/a"),)}, {}, [],
     ["creators: Smith, John: ORCID 'n/a' is not a valid ORCID iD (format or checksum): dropped"],
     {"creators.0.nameIdentifiers": MISSING}),
    ("orcid-blank", {"creators": (Actor(7, "Smith, John", 132, orcid="   "),)}, {}, [], [],
     {"creators.0.nameIdentifiers": MISSING}),
    ("isni-valid", {"creators": (Actor(8, "Acme", 131, isni="0000 0001 2103 2683"),)}, {}, [], [],
     {"creators.0.nameIdentifiers.0.nameIdentifier": "0000000121032683",
      "creators.0.nameIdentifiers.0.nameIdentifierScheme": "ISNI"}),
    ("isni-bad-checksum", {"creators": (Actor(8, "Acme", 131, isni="0000000121032684"),)}, {}, [],
     ["creators: Acme: ISNI '0000000121032684' is not a valid ISNI (format or checksum): dropped"],
     {"creators.0.nameIdentifiers": MISSING}),
    # --- publisher, types -------------------------------------------------------------------
    ("publisher-empty", {}, {"publisher": " "},
     ["publisher: no publisher configured (default_publisher is empty)"], [], {}),
    ("publisher-per-repository", {}, {"publisher_by_repository": {5: "Archives Nationales"}},
     [], [], {"publisher": "Archives Nationales"}),
    ("resource-type-case", {}, {"resource_type_general": "text"}, [], [],
     {"types": {"resourceTypeGeneral": "Text", "resourceType": "Fonds"}}),
    ("resource-type-unknown", {}, {"resource_type_general": "Archive"},
     ["types: resourceTypeGeneral 'Archive' is not a DataCite 4.7 resource type"], [], {}),
    ("level-missing", {"level_of_description": None}, {}, [], [],
     {"types": {"resourceTypeGeneral": "Text"}}),
    # --- dates and publicationYear ----------------------------------------------------------
    ("date-partial-month", {"events": _creation("1890-05-00")}, {}, [], [],
     {"dates": [{"date": "1890-05", "dateType": "Created"}], "publicationYear": 1890}),
    ("date-all-zero", {"events": _creation("0000-00-00", "0000-00-00")}, {}, [], [],
     {"dates": MISSING, "publicationYear": 2026}),
    ("date-end-before-start", {"events": _creation("1900-00-00", "1890-00-00")}, {}, [],
     ["dates (Created): end 1890 is before start 1900: swapped"],
     {"dates.0.date": "1890/1900", "publicationYear": 1890}),
    ("date-circa-display", {"events": _creation(None, None, "ca. 1900")}, {}, [], [],
     {"dates": [{"date": "1900", "dateType": "Created", "dateInformation": "circa"}]}),
    ("date-open-century", {"events": _creation(None, None, "[19--]")}, {}, [], [],
     {"dates.0.date": "1900/1999", "publicationYear": 1900}),
    ("date-display-range", {"events": _creation(None, None, "1890-1900")}, {}, [], [],
     {"dates.0.date": "1890/1900"}),
    ("date-gibberish", {"events": _creation(None, None, "sometime in spring")}, {}, [],
     ["dates (Created): date 'sometime in spring' not understood: dropped"],
     {"dates": MISSING, "publicationYear": 2026}),
    ("date-impossible-day", {"events": _creation("1890-02-30")}, {}, [],
     ["dates (Created): day 30 in '1890-02-30' is impossible: kept year-month"],
     {"dates.0.date": "1890-02"}),
    ("date-messy-column", {"events": _creation("ca. 1890", None)}, {}, [], [],
     {"dates.0.date": "1890"}),
    ("date-publication-event",
     {"events": _creation("1890-00-00") + (CatalogueEvent(114, None, "1885-03-02", None, None),)},
     {}, [], [],
     {"dates.1": {"date": "1885-03-02", "dateType": "Issued"}, "publicationYear": 1885}),
    ("date-other-event-types", {"events": (CatalogueEvent(113, 7, "1950-00-00", None, None),)},
     {}, [], [], {"dates": MISSING, "publicationYear": 2026}),
    ("date-duplicates", {"events": _creation("1890-00-00") * 3}, {}, [], [],
     {"dates": [{"date": "1890", "dateType": "Created"}]}),
    ("date-undated", {"events": _creation(None, None, "n.d.")}, {}, [], [], {"dates": MISSING}),
    # --- descriptions, subjects, language, identifiers --------------------------------------
    ("description-html",
     {"scope_and_content": "<p>Letters &amp; diaries.</p><script>alert(1)</script><p>Two</p>"},
     {}, [], [],
     {"descriptions": [{"description": "Letters & diaries.\nTwo", "descriptionType": "Abstract",
                        "lang": "en"}]}),
    ("description-empty-markup", {"scope_and_content": "<p> </p>\x00"}, {}, [], [],
     {"descriptions": MISSING}),
    ("description-other-notes", {"archival_history": "Kept by the family.",
                                 "acquisition": "Donated in 1950."}, {}, [], [],
     {"descriptions.0.descriptionType": "Other", "descriptions.1.description": "Donated in 1950."}),
    ("subjects-duplicates", {"subjects": ("Maps", " maps ", "MAPS", "Letters", "", "<b></b>")},
     {}, [], [], {"subjects": [{"subject": "Maps"}, {"subject": "Letters"}]}),
    ("language-name", {"languages": ("English",)}, {}, [], [], {"language": "en"}),
    ("language-three-letter", {"languages": ("fre",)}, {}, [], [], {"language": "fr"}),
    ("language-unknown-then-known", {"languages": ("Gibberishese", "fr")}, {}, [],
     ["language: 'Gibberishese' is not a known language: dropped"], {"language": "fr"}),
    ("language-unknown-only", {"languages": ("xx",)}, {}, [],
     ["language: 'xx' is not a known language: dropped"], {"language": MISSING}),
    ("language-fallback", {"languages": ()}, {"language_fallback": "de"}, [], [],
     {"language": "de"}),
    ("reference-code-fallback", {"reference_code": None}, {}, [], [],
     {"identifiers": [{"identifier": "F1", "identifierType": "Reference code"}]}),
    ("no-reference-code", {"reference_code": " ", "identifier": None}, {}, [], [],
     {"identifiers": MISSING}),
    # --- related identifiers ----------------------------------------------------------------
    ("parent-doi-url", {"parent_doi": "https://doi.org/10.5072/AN/2026/1"}, {}, [], [],
     {"relatedIdentifiers": [{"relatedIdentifier": "10.5072/an/2026/1",
                              "relatedIdentifierType": "DOI", "relationType": "IsPartOf"}]}),
    ("parent-doi-invalid", {"parent_doi": "not-a-doi"}, {}, [],
     ["relatedIdentifiers: parent DOI 'not-a-doi' is not a DOI: dropped"],
     {"relatedIdentifiers": MISSING}),
    ("derivative", {"digital_objects": _derivative()}, {}, [], [],
     {"relatedIdentifiers.0": {
         "relatedIdentifier": "https://archive.example.org/uploads/r/an/1/x_141.jpg",
         "relatedIdentifierType": "URL", "relationType": "IsVariantFormOf"}}),
    ("derivative-no-path", {"digital_objects": _derivative(path=None)}, {}, [],
     ["relatedIdentifiers: digital object 2 has no usable path: dropped"],
     {"relatedIdentifiers": MISSING}),
    ("derivative-thumbnail", {"digital_objects": _derivative(usage_id=142)}, {}, [], [],
     {"relatedIdentifiers": MISSING}),
    ("master-object", {"digital_objects": _derivative(usage_id=140, parent_id=None)}, {}, [], [],
     {"relatedIdentifiers": MISSING}),
    ("derivative-external",
     {"digital_objects": _derivative(path="https://cdn.example.org/a b.jpg", name=None)}, {},
     [], [], {"relatedIdentifiers.0.relatedIdentifier": "https://cdn.example.org/a%20b.jpg"}),
    ("exhibition-relative", {"exhibition_urls": ("/exhibitions/cape",)}, {}, [], [],
     {"relatedIdentifiers.0": {"relatedIdentifier": "https://archive.example.org/exhibitions/cape",
                               "relatedIdentifierType": "URL",
                               "relationType": "IsReferencedBy"}}),
    ("exhibition-script", {"exhibition_urls": ("javascript:alert(1)",)}, {}, [],
     ["relatedIdentifiers: exhibition link 'javascript:alert(1)' is not an http(s) URL: dropped"],
     {"relatedIdentifiers": MISSING}),
    # --- geolocations -----------------------------------------------------------------------
    ("geo-point", {"geolocation": GeoPoint(-33.9, 18.4, "Cape Town")}, {}, [], [],
     {"geoLocations": [{"geoLocationPlace": "Cape Town",
                        "geoLocationPoint": {"pointLatitude": -33.9, "pointLongitude": 18.4}}]}),
    ("geo-swapped", {"geolocation": GeoPoint(123.4, 45.0, None)}, {}, [],
     ["geoLocationPoint: latitude 123.4 out of range [-90, 90] while longitude 45.0 fits: "
      "latitude and longitude swapped"],
     {"geoLocations.0.geoLocationPoint": {"pointLatitude": 45.0, "pointLongitude": 123.4}}),
    ("geo-latitude-out-of-range", {"geolocation": GeoPoint(123.4, 100.0, None)}, {},
     ["geoLocationPoint: latitude 123.4 out of range [-90, 90]"], [], {}),
    ("geo-longitude-out-of-range", {"geolocation": GeoPoint(10.0, 200.0, None)}, {},
     ["geoLocationPoint: longitude 200.0 out of range [-180, 180]"], [], {}),
    ("geo-half-point", {"geolocation": GeoPoint(10.0, None, "Cape")}, {}, [],
     ["geoLocationPoint: longitude missing or not a number: point dropped"],
     {"geoLocations": [{"geoLocationPlace": "Cape"}]}),
    ("geo-nan", {"geolocation": GeoPoint(math.nan, 18.4, None)}, {}, [],
     ["geoLocationPoint: latitude missing or not a number: point dropped"],
     {"geoLocations": MISSING}),
    ("geo-merged-with-place", {"places": _place(name="Cape Town"),
                               "geolocation": GeoPoint(-33.9, 18.4, "cape town")}, {}, [], [],
     {"geoLocations": [{"geoLocationPlace": "Cape Town",
                        "geoLocationPoint": {"pointLatitude": -33.9, "pointLongitude": 18.4}}]}),
    ("place-duplicates", {"places": _place() + _place(name=" cape ")}, {}, [], [],
     {"geoLocations": [{"geoLocationPlace": "Cape"}]}),
    ("place-empty", {"places": _place(name="  ")}, {}, [], [], {"geoLocations": MISSING}),
    ("polygon-open", {"places": _place(polygon=((0, 0), (1, 0), (1, 1)))}, {}, [],
     [f"{CAPE} geoLocationPolygon: polygon not closed: first point appended to close it"],
     {"geoLocations.0.geoLocationPolygon.3.polygonPoint":
      {"pointLatitude": 0.0, "pointLongitude": 0.0}}),
    ("polygon-too-few", {"places": _place(polygon=((0, 0), (1, 0), (0, 0)))}, {}, [],
     [f"{CAPE} geoLocationPolygon: 2 distinct points, a polygon needs at least 3: dropped"],
     {"geoLocations": [{"geoLocationPlace": "Cape"}]}),
    ("polygon-out-of-range", {"places": _place(polygon=((0, 0), (1, 95), (1, 1), (0, 0)))}, {},
     [f"{CAPE} geoLocationPolygon: point 2 latitude 95.0 out of range [-90, 90]"], [], {}),
    ("box-south-north-swapped", {"places": _place(box=(18.0, 19.0, -33.0, -34.0))}, {}, [],
     [f"{CAPE} geoLocationBox: southBoundLatitude -33.0 is north of northBoundLatitude -34.0: "
      "swapped"],
     {"geoLocations.0.geoLocationBox": {"westBoundLongitude": 18.0, "eastBoundLongitude": 19.0,
                                        "southBoundLatitude": -34.0,
                                        "northBoundLatitude": -33.0}}),
    ("box-out-of-range", {"places": _place(box=(18.0, 19.0, -34.0, 95.0))}, {},
     [f"{CAPE} geoLocationBox: northBoundLatitude 95.0 out of range [-90, 90]"], [], {}),
    ("box-antimeridian", {"places": _place(box=(170.0, -170.0, -10.0, 10.0))}, {}, [], [],
     {"geoLocations.0.geoLocationBox.westBoundLongitude": 170.0}),
    # --- funding ----------------------------------------------------------------------------
    ("funding-no-name", {"funding": _fund(funder_name="  ")}, {}, [],
     ["fundingReferences (row 1): no funderName: dropped"], {"fundingReferences": MISSING}),
    ("funding-ror-lowercase-type",
     {"funding": _fund(funder_identifier="05s0g1g46", funder_identifier_type="ror")}, {}, [], [],
     {"fundingReferences.0": {"funderName": "NRF",
                              "funderIdentifier": "https://ror.org/05s0g1g46",
                              "funderIdentifierType": "ROR"}}),
    ("funding-unknown-type",
     {"funding": _fund(funder_identifier="WT-1", funder_identifier_type="Wellcome")}, {}, [],
     [f"{FUND}: funderIdentifierType 'Wellcome' is not one of ISNI, GRID, ROR, "
      "Crossref Funder ID, Other: Other used"],
     {"fundingReferences.0.funderIdentifierType": "Other"}),
    ("funding-invalid-ror",
     {"funding": _fund(funder_identifier="https://ror.org/xyz", funder_identifier_type="ROR")},
     {}, [], [f"{FUND}: funderIdentifier 'https://ror.org/xyz' is not a valid ROR: dropped"],
     {"fundingReferences": [{"funderName": "NRF"}]}),
    ("funding-crossref-number",
     {"funding": _fund(funder_identifier="501100000780",
                       funder_identifier_type="Crossref Funder ID")}, {}, [], [],
     {"fundingReferences.0.funderIdentifier": "https://doi.org/10.13039/501100000780"}),
    ("funding-fundref-alias",
     {"funding": _fund(funder_identifier="10.13039/501100000780",
                       funder_identifier_type="FundRef")},
     {}, [], [], {"fundingReferences.0.funderIdentifierType": "Crossref Funder ID"}),
    ("funding-crossref-wrong-prefix",
     {"funding": _fund(funder_identifier="10.5072/1", funder_identifier_type="Crossref Funder ID")},
     {}, [], [f"{FUND}: funderIdentifier '10.5072/1' is not a valid Crossref Funder ID: dropped"],
     {"fundingReferences.0.funderIdentifier": MISSING}),
    ("funding-type-detected", {"funding": _fund(funder_identifier="https://ror.org/05s0g1g46")},
     {}, [], [f"{FUND}: funderIdentifierType missing: ROR assumed"],
     {"fundingReferences.0.funderIdentifierType": "ROR"}),
    ("funding-isni-bad",
     {"funding": _fund(funder_identifier="0000000121032684", funder_identifier_type="ISNI")}, {},
     [], [f"{FUND}: funderIdentifier '0000000121032684' is not a valid ISNI: dropped"], {}),
    ("funding-grid", {"funding": _fund(funder_identifier="GRID.5335.0",
                                       funder_identifier_type="grid")}, {}, [], [],
     {"fundingReferences.0.funderIdentifier": "grid.5335.0"}),
    ("funding-award-uri-bad", {"funding": _fund(award_number="A-1", award_uri="not a url")}, {},
     [], [f"{FUND}: awardUri 'not a url' is not an http(s) URL: dropped"],
     {"fundingReferences": [{"funderName": "NRF", "awardNumber": "A-1"}]}),
    ("funding-duplicates", {"funding": _fund(award_title="Grant") * 2}, {}, [], [],
     {"fundingReferences": [{"funderName": "NRF", "awardTitle": "Grant"}]}),
    # --- DOI --------------------------------------------------------------------------------
    ("repository-code-messy", {"repository_code": " Archives Nationales / AN "}, {}, [], [],
     {"doi": "10.5072/archives-nationales-an/2026/123"}),
    ("repository-code-missing", {"repository_code": None}, {}, [], [],
     {"doi": "10.5072/r5/2026/123"}),
    ("no-repository", {"repository_code": None, "repository_id": None}, {}, [], [],
     {"doi": "10.5072/r0/2026/123"}),
    ("huge-title", {"title": "Letters " * 20000}, {}, [], [],
     {"titles.0.title": ("Letters " * 20000).strip()}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "ctx_changes", "errors", "warnings", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_malformed_record(
    changes: dict, ctx_changes: dict, errors: list, warnings: list, expected: dict
) -> None:
    payload = build_payload(record(**changes), context(**ctx_changes))
    assert payload.errors == errors
    assert payload.warnings == warnings
    for path, value in expected.items():
        assert _get(payload.attributes, path) == value, path
    if not errors:
        assert payload.xml is not None
        assert validate_xml(payload.xml) == []
        payload_for_send(payload, event="publish", xml_mode=False)  # sendable
    else:
        with pytest.raises(ValueError, match="must not be sent"):
            payload_for_send(payload, event="publish", xml_mode=False)


def test_table_has_at_least_fifty_cases() -> None:
    assert len(CASES) >= 50
    assert len({case[0] for case in CASES}) == len(CASES)


def test_the_clean_base_record_has_no_messages() -> None:
    payload = build_payload(record(), context())
    assert (payload.errors, payload.warnings) == ([], [])
    assert payload.target_state == "findable"


def test_draft_registered_when_configured_targets_registered() -> None:
    payload = build_payload(record(publication_status="draft"), context(register_drafts=True))
    assert payload.target_state == "registered"
