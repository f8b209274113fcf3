"""Small, exact catalogues and DOI histories for the report tests.

Rows are written directly with known timestamps, so every expected count is visible in
the test that asserts it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
from heratio_doi_pipelines.store.tables import ahg_doi, ahg_doi_log, ahg_doi_queue

TODAY = datetime(2026, 11, 15, 12, 0, 0)


@dataclass
class Archive:
    """Writes catalogue and ahg_* rows; ``doi_engine`` and ``catalogue_engine`` may differ."""

    doi_engine: sa.Engine
    catalogue_engine: sa.Engine

    def catalogue(self) -> Archive:
        create_catalogue_tables(self.catalogue_engine)
        with self.catalogue_engine.begin() as conn:
            conn.execute(
                information_object.insert().values(
                    id=1, parent_id=None, lft=1, rgt=2, source_culture="en"
                )
            )
        return self

    def repository(
        self, repo_id: int, code: str | None, names: dict[str, str], source_culture: str = "en"
    ) -> None:
        with self.catalogue_engine.begin() as conn:
            conn.execute(actor.insert().values(id=repo_id, source_culture=source_culture))
            conn.execute(
                repository.insert().values(
                    id=repo_id, identifier=code, source_culture=source_culture
                )
            )
            for culture, name in names.items():
                conn.execute(
                    actor_i18n.insert().values(
                        id=repo_id, culture=culture, authorized_form_of_name=name
                    )
                )

    def record(
        self,
        record_id: int,
        parent_id: int = 1,
        repository_id: int | None = None,
        title: str | None = None,
        culture: str = "en",
        source_culture: str = "en",
    ) -> None:
        """A description (lft/rgt are placeholders: the reports walk parent_id)."""
        with self.catalogue_engine.begin() as conn:
            conn.execute(
                information_object.insert().values(
                    id=record_id,
                    parent_id=parent_id,
                    repository_id=repository_id,
                    lft=record_id * 2,
                    rgt=record_id * 2 + 1,
                    source_culture=source_culture,
                )
            )
            if title is not None:
                conn.execute(
                    information_object_i18n.insert().values(
                        id=record_id, culture=culture, title=title
                    )
                )

    def doi(
        self,
        record_id: int,
        status: str = "findable",
        minted_at: datetime | None = None,
        created_at: datetime | None = None,
        doi: str | None = None,
        **values: Any,
    ) -> int:
        with self.doi_engine.begin() as conn:
            result = conn.execute(
                ahg_doi.insert().values(
                    information_object_id=record_id,
                    doi=doi or f"10.5072/test/{record_id}",
                    status=status,
                    minted_at=minted_at,
                    created_at=created_at or minted_at or TODAY,
                    **values,
                )
            )
            return int(result.inserted_primary_key[0])  # type: ignore[index]

    def log(
        self,
        doi_id: int | None,
        record_id: int,
        action: str,
        performed_at: datetime,
        status_before: str | None = "findable",
        status_after: str | None = "findable",
        details: Any = None,
    ) -> None:
        with self.doi_engine.begin() as conn:
            conn.execute(
                ahg_doi_log.insert().values(
                    doi_id=doi_id,
                    information_object_id=record_id,
                    action=action,
                    status_before=status_before,
                    status_after=status_after,
                    details=details,
                    performed_at=performed_at,
                )
            )

    def queue_item(self, record_id: int, status: str = "pending", **values: Any) -> int:
        with self.doi_engine.begin() as conn:
            result = conn.execute(
                ahg_doi_queue.insert().values(
                    information_object_id=record_id, status=status, **values
                )
            )
            return int(result.inserted_primary_key[0])  # type: ignore[index]


@pytest.fixture
def archive(engine: sa.Engine) -> Archive:
    """Catalogue and DOI tables in the same database (the default deployment)."""
    return Archive(doi_engine=engine, catalogue_engine=engine).catalogue()
