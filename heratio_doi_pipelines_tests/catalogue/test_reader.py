"""The catalogue reader against hand-built AtoM rows, on every backend."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
import sqlalchemy as sa

from heratio_doi_pipelines.catalogue import constants as c
from heratio_doi_pipelines.catalogue.reader import CatalogueNotFoundError, CatalogueReader
from heratio_doi_pipelines.catalogue.records import CatalogueRecord
from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.store import tables as ahg
from heratio_doi_pipelines_tests.catalogue.conftest import AtomBuilder

FONDS, SERIES, FILE, ITEM, OTHER = 100, 101, 102, 103, 110
LEVEL_FONDS, LEVEL_ITEM = 500, 501
REPO = 200


def _hierarchy(atom: AtomBuilder) -> None:
    """Repository ABC (country CA) > fonds F1 > series S2 > file (no identifier) > item 7."""
    atom.repository(REPO, "ABC", "Archive of British Columbia", country="CA")
    atom.term(LEVEL_FONDS, c.TAXONOMY_LEVEL_OF_DESCRIPTION, {"en": "Fonds", "fr": "Fonds"})
    atom.term(LEVEL_ITEM, c.TAXONOMY_LEVEL_OF_DESCRIPTION, {"fr": "Pièce", "en": "Item"})
    atom.description(FONDS, identifier="F1", repository=REPO, level=LEVEL_FONDS)
    atom.description(SERIES, parent=FONDS, identifier="S2")
    atom.description(FILE, parent=SERIES, identifier=None)
    atom.description(ITEM, parent=FILE, identifier="7", level=LEVEL_ITEM)
    atom.description(OTHER, identifier=None, titles={"en": "No identifier"})


def _one(reader: CatalogueReader, record_id: int) -> CatalogueRecord:
    (record,) = reader.read_records([record_id])
    return record


def test_reference_codes_inherit_like_atom(atom: AtomBuilder) -> None:
    _hierarchy(atom)
    reader = CatalogueReader(atom.engine)
    records = {r.id: r for r in reader.read_records([ITEM, FILE, SERIES, FONDS, OTHER])}
    assert records[FONDS].reference_code == "CA ABC F1"
    assert records[SERIES].reference_code == "CA ABC F1-S2"
    assert records[FILE].reference_code is None  # no own identifier, no reference code
    assert records[ITEM].reference_code == "CA ABC F1-S2-7"  # the file's missing level skipped
    assert records[OTHER].reference_code is None
    # the holding repository is inherited from the fonds
    assert records[ITEM].repository_id == REPO
    assert records[ITEM].repository_code == "ABC"
    assert records[ITEM].repository_name == "Archive of British Columbia"
    assert records[ITEM].parent_id == FILE
    assert records[FONDS].parent_id == c.ROOT_INFORMATION_OBJECT_ID
    assert records[ITEM].level_of_description == "Item"
    assert records[FONDS].level_of_description == "Fonds"
    assert records[SERIES].level_of_description is None
    assert records[ITEM].slug == f"d-{ITEM}"


def test_reference_code_settings(atom: AtomBuilder) -> None:
    _hierarchy(atom)
    atom.setting(c.SETTING_SEPARATOR, "/")
    reader = CatalogueReader(atom.engine)
    assert _one(reader, ITEM).reference_code == "CA ABC F1/S2/7"
    atom.setting(c.SETTING_INHERIT_CODE, "0")
    assert _one(reader, ITEM).reference_code == "CA ABC F1/S2/7"  # settings are read once
    reader.refresh()
    assert _one(reader, ITEM).reference_code == "7"


def test_reference_code_without_country_or_repository_code(atom: AtomBuilder) -> None:
    atom.repository(300, "XYZ", "No country")
    atom.repository(301, None, "No code", country="GB")
    atom.description(10, identifier="A", repository=300)
    atom.description(11, identifier="B", repository=301)
    atom.description(12, identifier="C")
    codes = {
        r.id: r.reference_code for r in CatalogueReader(atom.engine).read_records([10, 11, 12])
    }
    assert codes == {10: "XYZ A", 11: "GB B", 12: "C"}


def test_ids_in_records_out(atom: AtomBuilder) -> None:
    _hierarchy(atom)
    reader = CatalogueReader(atom.engine)
    # the root and unknown ids are left out; order as asked, duplicates once
    assert [r.id for r in reader.read_records([1, ITEM, FONDS, 1, 999_999, ITEM])] == [
        ITEM,
        FONDS,
    ]
    assert reader.read_records([1]) == []
    assert reader.read_records([]) == []
    assert reader.all_record_ids() == [FONDS, SERIES, FILE, ITEM, OTHER]
    batches = list(reader.iter_records(iter([FONDS, SERIES, FILE, ITEM, OTHER]), batch_size=2))
    assert [[r.id for r in batch] for batch in batches] == [
        [FONDS, SERIES],
        [FILE, ITEM],
        [OTHER],
    ]


def test_zero_filled_dates_stay_strings(atom: AtomBuilder) -> None:
    atom.description(10, identifier="A")
    atom.event(20, 10, start="1890-00-00", end="1890-05-00", display={"en": "ca. 1890"})
    atom.event(21, 10, type_id=c.EVENT_PUBLICATION, start="0000-00-00", end="0000-00-00")
    atom.event(22, 10, start="1901-02-03", end=None)
    record = _one(CatalogueReader(atom.engine), 10)
    assert [(e.type_id, e.start_date, e.end_date, e.date_display) for e in record.events] == [
        (c.EVENT_CREATION, "1890-00-00", "1890-05-00", "ca. 1890"),
        (c.EVENT_PUBLICATION, "0000-00-00", "0000-00-00", None),
        (c.EVENT_CREATION, "1901-02-03", None, None),
    ]
    assert all(isinstance(e.start_date, str) for e in record.events)


def test_languages_from_the_php_serialised_property(atom: AtomBuilder) -> None:
    atom.description(10)
    atom.description(11)
    atom.description(12)
    atom.property(10, c.PROPERTY_LANGUAGE, 'a:2:{i:0;s:2:"en";i:1;s:2:"fr";}')
    atom.property(10, c.PROPERTY_SCRIPT, 'a:1:{i:0;s:4:"Latn";}')
    atom.property(11, c.PROPERTY_LANGUAGE, "english")
    atom.property(12, c.PROPERTY_LANGUAGE, 'a:1:{i:0;s:7:"en";')
    languages = {r.id: r.languages for r in CatalogueReader(atom.engine).read_records([10, 11, 12])}
    assert languages == {10: ("en", "fr"), 11: ("english",), 12: ("en",)}


def test_i18n_source_culture_then_fallback_then_any(atom: AtomBuilder) -> None:
    atom.description(10, source_culture="fr", titles={"en": "English", "fr": "Français"})
    atom.description(11, source_culture="de", titles={"fr": "Français", "en": "English"})
    atom.description(12, source_culture="en", titles={"fr": "Seulement français"})
    atom.description(13, source_culture="en", titles={"nl": "Nederlands", "es": "Español"})
    atom.description(14, source_culture="en", titles={})
    atom.description(15, source_culture="en", titles={"en": None, "fr": "Titre"})
    reader = CatalogueReader(atom.engine)
    titles = {r.id: r.title for r in reader.read_records([10, 11, 12, 13, 14, 15])}
    assert titles == {
        10: "Français",  # the record's source culture
        11: "English",  # no German row: the fallback culture
        12: "Seulement français",  # neither: any row there is
        13: "Español",  # deterministic: the first culture alphabetically
        14: None,
        15: None,  # the source-culture row wins even when its title is empty
    }
    french = CatalogueReader(atom.engine, culture_fallback="fr")
    assert _one(french, 11).title == "Français"


def test_creators_and_their_inheritance(atom: AtomBuilder) -> None:
    _hierarchy(atom)
    atom.with_sidecars()
    atom.actor(300, {"en": "Jane Doe"})
    atom.actor(301, {"en": "Doe family"}, entity_type=c.ENTITY_FAMILY)
    atom.actor(302, {"fr": "Société X", "en": "Society X"}, c.ENTITY_CORPORATE_BODY, "fr")
    atom.event(400, FONDS, actor_id=300, start="1900-00-00")
    atom.event(401, FONDS, actor_id=301)
    atom.event(402, FONDS, type_id=c.EVENT_CUSTODY, actor_id=302)  # custody: not a creator
    atom.event(403, FILE, actor_id=302)
    atom.event(404, ITEM, start="1950-00-00")  # a dated creation event without an actor
    atom.sidecar(
        "ahg_actor_identifier",
        actor_id=300,
        identifier_type="orcid",
        identifier_value="https://orcid.org/0000-0002-1825-0097",
    )
    atom.sidecar(
        "ahg_actor_identifier",
        actor_id=302,
        identifier_type="ISNI",
        identifier_value="0000 0001 2146 438X",
    )
    atom.sidecar(
        "ahg_actor_identifier", actor_id=301, identifier_type="viaf", identifier_value="123"
    )
    atom.sidecar(
        "ahg_actor_identifier",
        actor_id=302,
        identifier_type="ror",
        identifier_value="https://ror.org/013meh722",
    )
    atom.sidecar(
        "ahg_actor_identifier", actor_id=REPO, identifier_type="ROR", identifier_value="05s0g1g46"
    )
    reader = CatalogueReader(atom.engine)
    records = {r.id: r for r in reader.read_records([FONDS, SERIES, FILE, ITEM, OTHER])}

    fonds = records[FONDS]
    assert [(a.id, a.name, a.entity_type_id) for a in fonds.creators] == [
        (300, "Jane Doe", c.ENTITY_PERSON),
        (301, "Doe family", c.ENTITY_FAMILY),
    ]
    assert fonds.creators[0].orcid == "https://orcid.org/0000-0002-1825-0097"
    assert fonds.creators[1].orcid is None and fonds.creators[1].isni is None
    assert fonds.creators_inherited_from is None

    assert [a.id for a in records[SERIES].creators] == [300, 301]
    assert records[SERIES].creators_inherited_from == FONDS
    # the nearest ancestor with creators wins
    assert [a.id for a in records[ITEM].creators] == [302]
    assert records[ITEM].creators_inherited_from == FILE
    assert records[ITEM].creators[0].name == "Société X"  # the actor's own source culture
    assert records[ITEM].creators[0].isni == "0000 0001 2146 438X"
    assert records[ITEM].creators[0].ror == "https://ror.org/013meh722"
    assert fonds.creators[0].ror is None
    # the holding repository's ROR, for the creators' affiliation
    assert {records[i].repository_ror for i in (FONDS, ITEM)} == {"05s0g1g46"}
    # no creator anywhere up the tree
    assert records[OTHER].creators == ()
    assert records[OTHER].creators_inherited_from is None


def test_publication_status(atom: AtomBuilder) -> None:
    atom.description(10, status=c.PUBLICATION_STATUS_PUBLISHED)
    atom.description(11, status=c.PUBLICATION_STATUS_DRAFT)
    atom.description(12, status=None)
    statuses = {
        r.id: r.publication_status for r in CatalogueReader(atom.engine).read_records([10, 11, 12])
    }
    assert statuses == {10: "published", 11: "draft", 12: None}


def test_access_points_places_and_sidecars(atom: AtomBuilder) -> None:
    atom.with_sidecars()
    atom.description(10, source_culture="fr", titles={"fr": "Dossier"})
    atom.term(600, c.TAXONOMY_SUBJECT, {"en": "Harbours", "fr": "Ports"})
    atom.term(601, c.TAXONOMY_SUBJECT, {"en": "Mining"})
    atom.term(602, c.TAXONOMY_PLACE, {"en": "Cape Town"})
    atom.term(603, c.TAXONOMY_PLACE, {"en": "Nowhere"})
    atom.term(604, c.TAXONOMY_GENRE, {"en": "Photographs"})
    atom.term(605, c.TAXONOMY_LEVEL_OF_DESCRIPTION, {"en": "File"})  # not an access point
    for relation_id, term_id in enumerate((600, 601, 602, 603, 604, 605), start=700):
        atom.relate(relation_id, 10, term_id)
    polygon = [[18.0, -34.0], [18.5, -34.0], [18.5, -33.5], [18.0, -34.0]]
    atom.sidecar(
        "ahg_place_coords",
        term_id=602,
        latitude=-33.9249,
        longitude=18.4241,
        box_west=18.3,
        box_east=18.9,
        box_south=-34.3,
        box_north=-33.4,
        polygon_json=json.dumps(polygon),
    )
    atom.sidecar(
        "ahg_io_geolocation",
        information_object_id=10,
        latitude=-33.9,
        longitude=18.4,
        place_name="Cape Town harbour",
    )
    atom.sidecar(
        "ahg_io_funding",
        information_object_id=10,
        funder_name="European Commission",
        funder_identifier="https://doi.org/10.13039/501100000780",
        funder_identifier_type="Crossref Funder ID",
        award_number="AW-1",
    )
    atom.sidecar("ahg_io_funding", information_object_id=10, funder_name="Friends")
    record = _one(CatalogueReader(atom.engine), 10)
    assert record.subjects == ("Ports", "Mining")  # the record's culture first
    assert record.genres == ("Photographs",)
    cape_town, nowhere = record.places
    assert (cape_town.term_id, cape_town.name) == (602, "Cape Town")
    assert cape_town.latitude == pytest.approx(-33.9249)
    assert cape_town.longitude == pytest.approx(18.4241)
    assert cape_town.box == pytest.approx((18.3, 18.9, -34.3, -33.4))
    assert cape_town.polygon == tuple(tuple(p) for p in polygon)
    assert (nowhere.name, nowhere.latitude, nowhere.box, nowhere.polygon) == (
        "Nowhere",
        None,
        None,
        None,
    )
    assert record.geolocation is not None
    assert record.geolocation.latitude == pytest.approx(-33.9)
    assert record.geolocation.place_name == "Cape Town harbour"
    assert [(f.funder_name, f.funder_identifier_type, f.award_number) for f in record.funding] == [
        ("European Commission", "Crossref Funder ID", "AW-1"),
        ("Friends", None, None),
    ]


def test_missing_sidecar_tables_are_skipped(atom: AtomBuilder) -> None:
    _hierarchy(atom)
    atom.actor(300, {"en": "Jane Doe"})
    atom.event(400, ITEM, actor_id=300)
    reader = CatalogueReader(atom.engine)
    record = _one(reader, ITEM)
    assert record.creators[0].orcid is None
    assert (record.geolocation, record.funding, record.parent_doi) == (None, (), None)
    assert reader.records_without_doi() == [FONDS, SERIES, FILE, ITEM, OTHER]


def test_digital_objects_with_derivatives(atom: AtomBuilder) -> None:
    atom.description(10)
    atom.description(11)
    atom.digital_object(800, 10, c.USAGE_MASTER, mime="image/tiff")
    atom.digital_object(801, None, c.USAGE_REFERENCE, parent=800)
    atom.digital_object(802, None, c.USAGE_THUMBNAIL, parent=800)
    atom.digital_object(803, 11, c.USAGE_EXTERNAL_URI, mime="text/html")
    records = {r.id: r for r in CatalogueReader(atom.engine).read_records([10, 11])}
    assert [(d.id, d.usage_id, d.parent_id) for d in records[10].digital_objects] == [
        (800, c.USAGE_MASTER, None),
        (801, c.USAGE_REFERENCE, 800),
        (802, c.USAGE_THUMBNAIL, 800),
    ]
    assert records[10].digital_objects[0].mime_type == "image/tiff"
    assert [d.usage_id for d in records[11].digital_objects] == [c.USAGE_EXTERNAL_URI]


def test_exhibitions_from_exhibition_notes(atom: AtomBuilder) -> None:
    atom.description(10)
    atom.term(900, c.TAXONOMY_NOTE_TYPE, {"en": "Exhibition"})
    atom.term(901, c.TAXONOMY_NOTE_TYPE, {"fr": "Exhibitions "})
    atom.note(10, 900, "Shown in: https://museum.example.org/show/1. Also https://x.example/y")
    atom.note(10, 901, "https://museum.example.org/show/1")
    atom.note(10, c.NOTE_GENERAL, "General note https://not-an-exhibition.example")
    record = _one(CatalogueReader(atom.engine), 10)
    assert record.exhibition_urls == (
        "https://museum.example.org/show/1",
        "https://x.example/y",
    )


def test_exhibition_placements_when_heratio_has_the_tables(atom: AtomBuilder) -> None:
    atom.description(10)
    atom.description(11)
    atom.term(900, c.TAXONOMY_NOTE_TYPE, {"en": "Exhibition"})
    atom.note(10, 900, "Shown in: https://museum.example.org/show/1")
    without = CatalogueReader(atom.engine)
    assert [r.exhibition_ids for r in without.read_records([10, 11])] == [(), ()]
    queries_without = without.last_batch_queries

    atom.with_heratio_tables()
    atom.exhibition(7, "Sea and Shore", 10, 11)
    atom.exhibition(3, "Paper Trails", 10)
    atom.sidecar("exhibition_object", exhibition_id=7, information_object_id=10)  # twice
    atom.sidecar("exhibition_object", exhibition_id=99, information_object_id=11)  # no such
    reader = CatalogueReader(atom.engine)
    records = {r.id: r for r in reader.read_records([10, 11])}
    assert records[10].exhibition_ids == (3, 7)
    assert records[11].exhibition_ids == (7,)
    assert records[10].exhibition_urls == ("https://museum.example.org/show/1",)
    assert reader.last_batch_queries == queries_without  # read in the notes' statement


def test_the_parents_slug_and_publication_status(atom: AtomBuilder) -> None:
    _hierarchy(atom)
    atom.description(SERIES + 50, parent=FONDS, status=c.PUBLICATION_STATUS_DRAFT, slug="hidden")
    atom.description(SERIES + 51, parent=SERIES + 50)
    records = {
        r.id: r
        for r in CatalogueReader(atom.engine).read_records([FONDS, SERIES, ITEM, SERIES + 51])
    }
    assert (records[FONDS].parent_slug, records[FONDS].parent_publication_status) == (None, None)
    assert records[SERIES].parent_slug == f"d-{FONDS}"
    assert records[SERIES].parent_publication_status == "published"
    assert records[ITEM].parent_slug == f"d-{FILE}"
    assert records[SERIES + 51].parent_slug == "hidden"
    assert records[SERIES + 51].parent_publication_status == "draft"


def test_parent_doi_only_when_citable(atom: AtomBuilder) -> None:
    _hierarchy(atom)
    atom.with_sidecars()
    atom.sidecar("ahg_doi", information_object_id=FONDS, doi="10.5072/ABC/1", status="findable")
    atom.sidecar("ahg_doi", information_object_id=SERIES, doi="10.5072/ABC/2", status="draft")
    atom.sidecar("ahg_doi", information_object_id=FILE, doi="10.5072/ABC/3", status="registered")
    records = {r.id: r for r in CatalogueReader(atom.engine).read_records([SERIES, FILE, ITEM])}
    assert records[SERIES].parent_doi == "10.5072/ABC/1"
    assert records[FILE].parent_doi is None  # the series' DOI is only a draft
    assert records[ITEM].parent_doi == "10.5072/ABC/3"


def test_records_without_doi_same_database(atom: AtomBuilder) -> None:
    _hierarchy(atom)
    atom.with_sidecars()
    atom.sidecar("ahg_doi", information_object_id=SERIES, doi="10.5072/X/1", status="findable")
    atom.sidecar("ahg_doi", information_object_id=ITEM, doi="10.5072/X/2", status="failed")
    reader = CatalogueReader(atom.engine)
    assert reader.records_without_doi() == [FONDS, FILE, OTHER]
    assert reader.records_without_doi(limit=2) == [FONDS, FILE]


def test_records_without_doi_in_a_separate_database(atom: AtomBuilder, tmp_path) -> None:
    _hierarchy(atom)
    doi_engine = make_engine(f"sqlite:///{tmp_path / 'dois.db'}")
    ahg.metadata.create_all(doi_engine, tables=[ahg.ahg_doi])
    with doi_engine.begin() as conn:
        conn.execute(
            ahg.ahg_doi.insert(),
            [
                {"information_object_id": FONDS, "doi": "10.5072/X/1", "status": "findable"},
                {"information_object_id": FILE, "doi": "10.5072/X/3", "status": "registered"},
            ],
        )
    reader = CatalogueReader(atom.engine, doi_engine=doi_engine)
    assert reader.records_without_doi() == [SERIES, ITEM, OTHER]
    assert reader.records_without_doi(limit=1) == [SERIES]
    # the parent DOI comes from the DOI database too
    assert _one(reader, SERIES).parent_doi == "10.5072/X/1"
    assert _one(reader, ITEM).parent_doi == "10.5072/X/3"
    doi_engine.dispose()


def test_changed_since(atom: AtomBuilder) -> None:
    atom.description(10, updated_at=datetime(2025, 3, 1, 10, 0, 0))
    atom.description(11, updated_at=datetime(2025, 3, 2, 10, 0, 0))
    reader = CatalogueReader(atom.engine)
    assert reader.changed_since(datetime(2025, 3, 1, 12, 0, 0)) == [11]
    assert reader.changed_since("2025-02-01T00:00:00") == [10, 11]
    assert reader.changed_since(datetime(2026, 1, 1)) == []
    assert _one(reader, 11).updated_at == "2025-03-02T10:00:00"


def test_reading_never_writes(atom: AtomBuilder) -> None:
    _hierarchy(atom)
    atom.with_sidecars()
    reader = CatalogueReader(atom.engine)
    reader.statements = []
    reader.read_records([FONDS, SERIES, FILE, ITEM, OTHER])
    reader.records_without_doi()
    reader.changed_since(datetime(2000, 1, 1))
    assert reader.statements
    assert all(s.lstrip().upper().startswith(("SELECT", "WITH")) for s in reader.statements)


def test_an_empty_database_is_reported_clearly(catalogue_engine: sa.Engine) -> None:
    with pytest.raises(CatalogueNotFoundError, match="AtoM catalogue tables not found"):
        CatalogueReader(catalogue_engine).read_records([2])


def test_a_doi_table_created_later_is_noticed(atom: AtomBuilder) -> None:
    _hierarchy(atom)
    reader = CatalogueReader(atom.engine)
    assert reader.records_without_doi() == [FONDS, SERIES, FILE, ITEM, OTHER]
    atom.with_sidecars()
    atom.sidecar("ahg_doi", information_object_id=FONDS, doi="10.5072/X/1", status="findable")
    assert reader.records_without_doi() == [SERIES, FILE, ITEM, OTHER]
    assert _one(reader, SERIES).parent_doi == "10.5072/X/1"


def test_a_creation_event_of_a_deleted_actor_falls_back_to_the_ancestors(
    atom: AtomBuilder,
) -> None:
    _hierarchy(atom)
    atom.actor(300, {"en": "Jane Doe"})
    atom.event(400, FONDS, actor_id=300)
    atom.event(401, ITEM, actor_id=999)  # no such actor any more
    record = _one(CatalogueReader(atom.engine), ITEM)
    assert [a.id for a in record.creators] == [300]
    assert record.creators_inherited_from == FONDS
