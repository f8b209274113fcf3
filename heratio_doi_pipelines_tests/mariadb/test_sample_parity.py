"""The same sample archive gives the same records and DataCite metadata on MariaDB and SQLite.

On MariaDB the catalogue has AtoM's real column types and collation (DATE event dates holding
zero-filled partial dates, a Unicode accent-insensitive utf8mb4 collation), so anything the
reader left to the database (date conversion, text comparison, ordering) would show here.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from heratio_doi_pipelines.catalogue.reader import CatalogueReader
from heratio_doi_pipelines.catalogue.records import CatalogueRecord
from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.devtools.sample_archive import generate_sample_archive
from heratio_doi_pipelines.metadata import MetadataContext, build_payload
from heratio_doi_pipelines_tests.support.atom_ddl import create_atom_tables

RECORDS = 150
SEED = 23
CONTEXT = MetadataContext(
    prefix="10.5072", publisher="Parity Archive", base_url="https://archive.example.org", year=2026
)


def _records(engine: sa.Engine) -> list[CatalogueRecord]:
    reader = CatalogueReader(engine)
    return [record for batch in reader.iter_records(reader.all_record_ids()) for record in batch]


def test_sample_archive_metadata_is_identical_on_mariadb_and_sqlite(
    mariadb_engine: sa.Engine, tmp_path: Path
) -> None:
    create_atom_tables(mariadb_engine)
    sqlite = make_engine(f"sqlite:///{tmp_path / 'parity.db'}")
    try:
        on_mariadb = generate_sample_archive(mariadb_engine, records=RECORDS, seed=SEED)
        on_sqlite = generate_sample_archive(sqlite, records=RECORDS, seed=SEED)
        mariadb_records, sqlite_records = _records(mariadb_engine), _records(sqlite)
    finally:
        sqlite.dispose()

    with mariadb_engine.connect() as conn:
        types = dict(
            conn.exec_driver_sql(
                "SELECT CONCAT(table_name, '.', column_name), "
                "CONCAT(data_type, ' ', COALESCE(collation_name, '')) "
                "FROM information_schema.columns WHERE table_schema = DATABASE() "
                "AND table_name IN ('event', 'information_object_i18n')"
            ).all()
        )
    assert types["event.start_date"].strip() == "date"
    assert types["information_object_i18n.title"].split()[1] in (
        "utf8mb4_0900_ai_ci",
        "utf8mb4_uca1400_ai_ci",
        "utf8mb4_unicode_ci",
    )
    assert on_mariadb == on_sqlite
    assert len(mariadb_records) == RECORDS
    # zero-filled partial dates came back from DATE columns as AtoM stored them
    dates = {e.start_date for r in mariadb_records for e in r.events if e.start_date}
    assert any(d.endswith("-00-00") for d in dates), dates
    assert "0000-00-00" in dates
    # non-Latin scripts survived utf8mb4 unchanged
    assert any(r.title and not r.title.isascii() for r in mariadb_records)

    assert mariadb_records == sqlite_records
    for on_maria, on_lite in zip(mariadb_records, sqlite_records, strict=True):
        a, b = build_payload(on_maria, CONTEXT), build_payload(on_lite, CONTEXT)
        assert (a.doi, a.attributes, a.xml, a.errors, a.warnings) == (
            b.doi,
            b.attributes,
            b.xml,
            b.errors,
            b.warnings,
        ), on_maria.id
        assert a.payload_hash == b.payload_hash
