"""A database built with Heratio's own install SQL (its rows included): the reader takes
exhibitions from Heratio's exhibition tables and owners from its audit log, on every backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from lxml import etree

from heratio_doi_pipelines.catalogue.owners import RecordOwners
from heratio_doi_pipelines.catalogue.reader import CatalogueReader
from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.metadata import build_payload, validate_xml
from heratio_doi_pipelines.metadata.kernel_xml import NS
from heratio_doi_pipelines_tests.catalogue.conftest import AtomBuilder
from heratio_doi_pipelines_tests.metadata.factories import context
from heratio_doi_pipelines_tests.support.heratio_ddl import create_heratio_tables

FONDS, ITEM = 10, 11


@pytest.fixture
def heratio_site(db_url: str) -> Iterator[AtomBuilder]:
    engine = make_engine(db_url)
    create_heratio_tables(engine)
    yield AtomBuilder(engine)
    engine.dispose()


def test_install_sql_rows_are_there(heratio_site: AtomBuilder) -> None:
    with heratio_site.engine.connect() as conn:
        mapping = conn.exec_driver_sql(
            "SELECT datacite_field FROM ahg_doi_mapping ORDER BY sort_order"
        ).scalars()
        config = conn.exec_driver_sql(
            "SELECT repository_id, datacite_repo_id, datacite_prefix, datacite_url, environment,"
            " default_publisher, default_resource_type, is_active FROM ahg_doi_config"
        ).all()
        assert list(mapping)[:5] == [
            "creators",
            "title",
            "publisher",
            "publicationYear",
            "resourceType",
        ]
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM ahg_doi_mapping").scalar() == 15
    assert [tuple(row) for row in config] == [
        (
            None,
            "DATACITE.EXAMPLE",
            "10.12345",
            "https://api.test.datacite.org",
            "test",
            "Archive Repository",
            "Text",
            1,
        )
    ]


def test_exhibitions_parent_page_and_owner_from_heratios_tables(
    heratio_site: AtomBuilder,
) -> None:
    atom = heratio_site
    atom.description(FONDS, slug="harbour-board-fonds")
    atom.description(ITEM, parent=FONDS, slug="harbour-plan-1890")
    atom.user(500, "archivist", "archivist@archive.example.org")
    with atom.engine.begin() as conn:
        for exhibition_id, title in ((4, "Sea and Shore"), (9, "Paper Trails")):
            conn.exec_driver_sql(
                "INSERT INTO exhibition (id, title, slug, status) VALUES "
                f"({exhibition_id}, '{title}', 'ex-{exhibition_id}', 'open')"
            )
        conn.exec_driver_sql(
            "INSERT INTO exhibition_object (exhibition_id, information_object_id, status) "
            f"VALUES (9, {ITEM}, 'installed'), (4, {ITEM}, 'installed'), (4, {FONDS}, 'proposed')"
        )
        conn.exec_driver_sql(
            "INSERT INTO security_audit_log (object_id, object_type, user_id, user_name, action,"
            f" action_category) VALUES ({ITEM}, 'information_object', 500, 'archivist',"
            " 'create', 'admin')"
        )

    reader = CatalogueReader(atom.engine)
    records = {r.id: r for r in reader.read_records([FONDS, ITEM])}
    assert records[ITEM].exhibition_ids == (4, 9)
    assert records[FONDS].exhibition_ids == (4,)
    assert records[ITEM].parent_slug == "harbour-board-fonds"

    payload = build_payload(records[ITEM], context())
    relations = [
        (r["relatedIdentifier"], r["relatedIdentifierType"], r["relationType"])
        for r in payload.attributes["relatedIdentifiers"]
    ]
    assert relations == [
        ("https://archive.example.org/harbour-board-fonds", "URL", "IsPartOf"),
        ("https://archive.example.org/exhibitions/4", "URL", "IsReferencedBy"),
        ("https://archive.example.org/exhibitions/9", "URL", "IsReferencedBy"),
    ]
    assert payload.xml is not None and validate_xml(payload.xml) == []
    xml_relations = [
        (node.text, node.get("relatedIdentifierType"), node.get("relationType"))
        for node in etree.fromstring(payload.xml).iter(f"{{{NS}}}relatedIdentifier")
    ]
    assert xml_relations == relations

    assert RecordOwners(atom.engine)([FONDS, ITEM]) == {ITEM: "archivist@archive.example.org"}
    with atom.engine.connect() as conn:
        assert "ahg_audit_log" not in sa.inspect(conn).get_table_names()
