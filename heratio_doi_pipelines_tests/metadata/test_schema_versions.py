"""Schema versions 4.5, 4.6 and 4.7 side by side, and publisher/creator/affiliation RORs."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa
from lxml import etree

from heratio_doi_pipelines.catalogue.records import Actor
from heratio_doi_pipelines.metadata import MetadataConfigError, build_payload
from heratio_doi_pipelines.metadata.kernel_xml import NS, from_xml, schema_version_of
from heratio_doi_pipelines.metadata.mapping import restrict_to_version
from heratio_doi_pipelines.metadata.schema_versions import SCHEMA_VERSIONS, kernel_version
from heratio_doi_pipelines.metadata.validation import kernel_schema, validate_xml
from heratio_doi_pipelines.settings import SettingsResolver
from heratio_doi_pipelines.store.tables import ahg_settings
from heratio_doi_pipelines_tests.metadata.factories import context, record

PUBLISHER_ROR = "https://ror.org/04wxnsj81"
BODY_ROR = "013meh722"
REPOSITORY_ROR = "ror.org/05s0g1g46"

RICH = record(
    creators=(
        Actor(7, "Smith, John", 132),
        Actor(8, "University of Cambridge", 131, ror=BODY_ROR),
    ),
    repository_ror=REPOSITORY_ROR,
)


def test_every_vendored_version_has_its_xsd_and_readme() -> None:
    assert list(SCHEMA_VERSIONS) == ["4.5", "4.6", "4.7"]
    for version in SCHEMA_VERSIONS:
        kernel = kernel_version(version)
        assert kernel.xsd.is_file() and (kernel.folder / "include" / "xml.xsd").is_file()
        readme = (kernel.folder / "README.txt").read_text(encoding="utf-8")
        assert f"Schema {version}" in readme and "CC BY 4.0" in readme
        for line in readme.splitlines():  # the listed checksums are those of the copies
            parts = line.split()
            if len(parts) == 2 and len(parts[0]) == 64 and parts[1].endswith(".xsd"):
                digest = hashlib.sha256((kernel.folder / parts[1]).read_bytes()).hexdigest()
                assert digest == parts[0], parts[1]


@pytest.mark.parametrize("version", list(SCHEMA_VERSIONS))
def test_a_record_mapped_under_each_version_validates_against_that_xsd(version: str) -> None:
    payload = build_payload(RICH, context(schema_version=version, publisher_ror=PUBLISHER_ROR))
    assert payload.ok, payload.errors
    assert payload.xml is not None
    assert schema_version_of(payload.xml) == version
    assert validate_xml(payload.xml, version) == []
    assert kernel_schema(version).validate(etree.fromstring(payload.xml))

    attrs = payload.attributes
    assert attrs["publisher"] == {
        "name": "Heratio Archive",
        "publisherIdentifier": PUBLISHER_ROR,
        "publisherIdentifierScheme": "ROR",
        "schemeUri": "https://ror.org",
    }
    person, body = attrs["creators"]
    assert body["nameIdentifiers"] == [
        {
            "nameIdentifier": "https://ror.org/013meh722",
            "nameIdentifierScheme": "ROR",
            "schemeUri": "https://ror.org",
        }
    ]
    assert "affiliation" not in body
    assert person["affiliation"] == [
        {
            "name": "Archives Nationales",
            "affiliationIdentifier": "https://ror.org/05s0g1g46",
            "affiliationIdentifierScheme": "ROR",
            "schemeUri": "https://ror.org",
        }
    ]

    root = etree.fromstring(payload.xml)
    publisher = root.find(f"{{{NS}}}publisher")
    assert publisher is not None and publisher.text == "Heratio Archive"
    assert publisher.get("publisherIdentifier") == PUBLISHER_ROR
    assert publisher.get("publisherIdentifierScheme") == "ROR"
    assert publisher.get("schemeURI") == "https://ror.org"
    affiliation = root.find(f"{{{NS}}}creators/{{{NS}}}creator/{{{NS}}}affiliation")
    assert affiliation is not None
    assert affiliation.get("affiliationIdentifier") == "https://ror.org/05s0g1g46"
    assert from_xml(payload.xml)["publisher"] == attrs["publisher"]


@pytest.mark.parametrize(
    ("resource_type", "valid_in"),
    [("Poster", {"4.7"}), ("Presentation", {"4.7"}), ("Award", {"4.6", "4.7"}), ("Text", None)],
)
def test_resource_types_follow_the_chosen_version(resource_type: str, valid_in: set | None) -> None:
    for version in SCHEMA_VERSIONS:
        payload = build_payload(
            record(), context(schema_version=version, resource_type_general=resource_type)
        )
        if valid_in is None or version in valid_in:
            assert payload.ok, payload.errors
        else:
            assert payload.errors == [
                f"types: resourceTypeGeneral {resource_type!r} is not a DataCite "
                f"{version} resource type"
            ]


def test_values_a_version_does_not_know_are_dropped_with_a_warning() -> None:
    def attrs() -> dict:
        return {
            "relatedIdentifiers": [
                {"relatedIdentifier": "10.5072/a", "relatedIdentifierType": "DOI",
                 "relationType": "Other"},
                {"relatedIdentifier": "10.5072/b", "relatedIdentifierType": "DOI",
                 "relationType": "IsPartOf"},
            ],
            "dates": [{"date": "1900", "dateType": "Coverage"}],
            "contributors": [{"name": "X", "contributorType": "Translator"}],
        }  # fmt: skip

    kept = attrs()
    warnings: list[str] = []
    restrict_to_version(kept, kernel_version("4.7"), warnings)
    assert kept == attrs() and warnings == []

    kept, warnings = attrs(), []
    restrict_to_version(kept, kernel_version("4.6"), warnings)
    assert [r["relationType"] for r in kept["relatedIdentifiers"]] == ["IsPartOf"]
    assert kept["dates"] == attrs()["dates"]
    assert warnings == [
        "relatedIdentifiers: relationType 'Other' is not in DataCite schema 4.6: dropped"
    ]

    kept, warnings = attrs(), []
    restrict_to_version(kept, kernel_version("4.5"), warnings)
    assert "dates" not in kept and "contributors" not in kept
    assert len(warnings) == 3


def test_invalid_rors_are_dropped_with_a_reason() -> None:
    bad = record(
        creators=(Actor(8, "Some Body", 131, ror="0iiiiii00"),),
        repository_ror="04wxnsj82",
    )
    payload = build_payload(bad, context(publisher_ror="https://ror.org/04wxnsj82"))
    assert payload.ok
    assert payload.attributes["publisher"] == "Heratio Archive"
    assert "nameIdentifiers" not in payload.attributes["creators"][0]
    assert (
        "publisher: doi_publisher_ror 'https://ror.org/04wxnsj82' is not a ROR id "
        "(its checksum does not match): publisher sent without an identifier"
    ) in payload.warnings
    assert (
        "creators: Some Body: ROR '0iiiiii00' is not a ROR id "
        "(not 0 + 6 base32 characters + 2 check digits): dropped"
    ) in payload.warnings
    assert (
        "creators: repository 5 ROR '04wxnsj82' is not a ROR id "
        "(its checksum does not match): no affiliation"
    ) in payload.warnings


def test_an_unknown_schema_version_is_a_configuration_error() -> None:
    with pytest.raises(MetadataConfigError, match="4.4.*choose one of 4.5, 4.6, 4.7"):
        context(schema_version="4.4")


def test_schema_version_and_publisher_ror_settings_global_and_per_repository(
    engine: sa.Engine,
) -> None:
    with engine.begin() as conn:
        for key, value in (
            ("doi_schema_version", "4.6"),
            ("doi_publisher_ror", PUBLISHER_ROR),
            ("doi_publisher_ror.12", "https://ror.org/013meh722"),
            ("doi_schema_version.12", "4.5"),
        ):
            conn.execute(
                ahg_settings.insert().values(
                    setting_key=key, setting_value=value, setting_group="doi"
                )
            )
    resolver = SettingsResolver(engine, {})
    assert resolver.global_settings().schema_version == "4.6"
    assert resolver.global_settings().publisher_ror == PUBLISHER_ROR
    assert resolver.for_repository(7).publisher_ror == PUBLISHER_ROR
    assert resolver.for_repository(12).publisher_ror == "https://ror.org/013meh722"
    assert resolver.for_repository(12).schema_version == "4.5"
