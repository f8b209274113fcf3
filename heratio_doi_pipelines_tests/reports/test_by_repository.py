"""DOIs per holding repository: state split, inherited repositories, separate catalogue DB."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from heratio_doi_pipelines.catalogue.atom_tables import (
    actor,
    actor_i18n,
    create_catalogue_tables,
    information_object,
    information_object_i18n,
    repository,
)
from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.reports.by_repository import (
    NO_REPOSITORY_NAME,
    REPOSITORY_COLUMNS,
    repository_report,
    same_database,
)
from heratio_doi_pipelines.reports.catalogue_lookup import CatalogueMissingError
from heratio_doi_pipelines.reports.export import REPOSITORY_CSV, export_repository_report
from heratio_doi_pipelines_tests.reports.conftest import Archive

CATALOGUE_COPY = (information_object, information_object_i18n, repository, actor, actor_i18n)


def _two_repositories(archive: Archive) -> None:
    archive.repository(100, "MA", {"en": "Municipal Archive"})
    archive.repository(
        200,
        "UL",
        {"fr": "Bibliothèque universitaire", "en": "University Library"},
        source_culture="fr",
    )
    # Municipal Archive: a fonds holds the repository; its series and items inherit it.
    archive.record(10, repository_id=100, title="Town council fonds")
    archive.record(11, parent_id=10, title="Minutes")
    for item in (12, 13, 14, 15, 16):
        archive.record(item, parent_id=11, title=f"Minute book {item}")
    # University Library: set on the item itself, and a file below a fonds without one.
    archive.record(20, repository_id=None, title="Loose papers")
    archive.record(21, parent_id=20, repository_id=200, title="Letter")
    archive.record(22, parent_id=20, title="Postcard")
    states = {
        10: "findable",
        12: "findable",
        13: "registered",
        14: "draft",
        15: "failed",
        16: "tombstone",
        11: "deleted",
        21: "findable",
        22: "draft",
    }
    for record_id, state in states.items():
        archive.doi(record_id, status=state)
    archive.doi(999, status="findable")  # its record is gone from the catalogue


def test_state_split_with_inherited_repositories(archive: Archive) -> None:
    _two_repositories(archive)

    report = repository_report(archive.doi_engine, archive.catalogue_engine)

    assert list(report.columns) == REPOSITORY_COLUMNS
    rows = {
        row["repository_code"] if pd.notna(row["repository_code"]) else None: row
        for row in report.to_dict("records")
    }
    archive_row = rows["MA"]
    assert archive_row["repository_id"] == 100
    assert archive_row["repository_name"] == "Municipal Archive"
    assert [
        archive_row[s] for s in ("findable", "registered", "draft", "failed_dois", "tombstone")
    ] == [
        2,
        1,
        1,
        1,
        2,
    ]  # 'deleted' is reported as tombstone
    assert archive_row["total"] == 7
    library = rows["UL"]
    assert library["repository_name"] == "Bibliothèque universitaire"  # source culture first
    assert (library["findable"], library["total"]) == (1, 1)
    nowhere = rows[None]
    assert pd.isna(nowhere["repository_id"])
    assert nowhere["repository_name"] == NO_REPOSITORY_NAME
    assert (nowhere["findable"], nowhere["draft"], nowhere["total"]) == (1, 1, 2)
    assert report["total"].tolist() == [7, 1, 2]  # most DOIs first, unassigned last


def test_separate_catalogue_database_gives_the_same_report(engine: sa.Engine, tmp_path) -> None:
    catalogue = make_engine(f"sqlite:///{tmp_path / 'atom.db'}")
    _two_repositories(Archive(doi_engine=engine, catalogue_engine=catalogue).catalogue())
    assert not same_database(engine, catalogue)

    across = repository_report(engine, catalogue)

    # The same catalogue rows next to the DOIs: the one-query join must agree.
    create_catalogue_tables(engine)
    with catalogue.connect() as source, engine.begin() as target:
        for table in CATALOGUE_COPY:
            rows = [dict(r) for r in source.execute(sa.select(table)).mappings()]
            if rows:
                target.execute(table.insert(), rows)
    joined = repository_report(engine, engine)
    pd.testing.assert_frame_equal(across, joined)
    catalogue.dispose()


def _stored_and_unstored(archive: Archive) -> None:
    """DOIs the pipeline wrote (repository stored on the row) beside ones Heratio wrote."""
    archive.repository(100, "MA", {"en": "Municipal Archive"})
    archive.repository(200, "UL", {"en": "University Library"})
    archive.record(10, repository_id=100, title="Town council fonds")
    archive.record(11, parent_id=10, title="Minutes")
    archive.record(12, parent_id=11, title="Minute book")
    archive.record(20, repository_id=200, title="Letters")
    archive.record(21, parent_id=20, title="Letter")
    # Stored on the row: counted under it without reading the catalogue, even where the
    # record has since moved (11 now sits in the Municipal Archive) or is gone (999).
    archive.doi(11, status="findable", repository_id=200)
    archive.doi(21, status="registered", repository_id=200)
    archive.doi(999, status="deleted", repository_id=200)
    # Not stored: resolved through the catalogue (12 inherits 100 from its fonds, 998 is gone).
    archive.doi(12, status="findable")
    archive.doi(10, status="draft")
    archive.doi(998, status="failed")


def test_stored_repository_counts_under_it_and_the_rest_falls_back_to_the_catalogue(
    archive: Archive,
) -> None:
    _stored_and_unstored(archive)

    report = repository_report(archive.doi_engine, archive.catalogue_engine)

    counts = {
        None if pd.isna(row["repository_id"]) else row["repository_id"]: (
            row["findable"],
            row["registered"],
            row["draft"],
            row["failed_dois"],
            row["tombstone"],
            row["total"],
        )
        for row in report.to_dict("records")
    }
    assert counts == {
        200: (1, 1, 0, 0, 1, 3),
        100: (1, 0, 1, 0, 0, 2),
        None: (0, 0, 0, 1, 0, 1),
    }
    assert report["repository_code"].tolist()[:2] == ["UL", "MA"]


def test_stored_repository_is_used_with_a_separate_catalogue_too(
    engine: sa.Engine, tmp_path
) -> None:
    catalogue = make_engine(f"sqlite:///{tmp_path / 'atom.db'}")
    _stored_and_unstored(Archive(doi_engine=engine, catalogue_engine=catalogue).catalogue())

    across = repository_report(engine, catalogue)

    create_catalogue_tables(engine)
    with catalogue.connect() as source, engine.begin() as target:
        for table in CATALOGUE_COPY:
            rows = [dict(r) for r in source.execute(sa.select(table)).mappings()]
            if rows:
                target.execute(table.insert(), rows)
    joined = repository_report(engine, engine)
    pd.testing.assert_frame_equal(across, joined)
    assert across["total"].tolist() == [3, 2, 1]
    catalogue.dispose()


def test_export_writes_the_csv_contract(archive: Archive, tmp_path) -> None:
    _two_repositories(archive)

    result = export_repository_report(archive.doi_engine, tmp_path, archive.catalogue_engine)

    assert result.path == tmp_path / REPOSITORY_CSV
    lines = result.path.read_text().splitlines()
    assert lines[0] == (
        "repository_id,repository_code,repository_name,findable,registered,draft,failed_dois,"
        "tombstone,total"
    )
    assert lines[1] == "100,MA,Municipal Archive,2,1,1,1,2,7"
    assert lines[3] == f",,{NO_REPOSITORY_NAME},1,0,1,0,0,2"


def test_empty_database_gives_an_empty_report(archive: Archive) -> None:
    report = repository_report(archive.doi_engine)
    assert report.empty and list(report.columns) == REPOSITORY_COLUMNS


def test_missing_catalogue_is_a_plain_error(engine: sa.Engine) -> None:
    with pytest.raises(CatalogueMissingError, match="HERATIO_CATALOGUE_DB_URL"):
        repository_report(engine)
