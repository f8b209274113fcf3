"""A tiny AtoM catalogue builder: exact rows, so each test shows the data it asserts on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa

from heratio_doi_pipelines.catalogue import atom_tables as t
from heratio_doi_pipelines.catalogue import constants as c
from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.store import tables as ahg

SIDECARS = (
    ahg.ahg_actor_identifier,
    ahg.ahg_io_geolocation,
    ahg.ahg_io_funding,
    ahg.ahg_place_coords,
    ahg.ahg_doi,
)
STAMP = datetime(2025, 1, 1, 12, 0, 0)


class AtomBuilder:
    """Writes AtoM rows with explicit ids; the root description (id 1) exists from the start."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        t.create_catalogue_tables(engine)
        self._serial = 0
        self._insert("object", id=1, class_name=c.CLASS_INFORMATION_OBJECT)
        self._insert("information_object", id=1, parent_id=None, lft=1, rgt=2, source_culture="en")

    def with_sidecars(self) -> AtomBuilder:
        ahg.metadata.create_all(self.engine, tables=list(SIDECARS), checkfirst=True)
        return self

    def _insert(self, table: str, **values: Any) -> None:
        target = t.metadata.tables.get(table)
        if target is None:
            target = ahg.metadata.tables[table]
        if table == "object":
            values.setdefault("created_at", STAMP)
            values.setdefault("updated_at", STAMP)
        with self.engine.begin() as conn:
            conn.execute(target.insert().values(**values))

    def _next_serial(self) -> int:
        self._serial += 1
        return self._serial

    def setting(self, name: str, value: str) -> None:
        setting_id = self._next_serial()
        self._insert("setting", id=setting_id, name=name, scope=None, source_culture="en")
        self._insert("setting_i18n", id=setting_id, culture="en", value=value)

    def repository(
        self, repo_id: int, code: str | None, name: str, country: str | None = None
    ) -> None:
        self._insert("object", id=repo_id, class_name=c.CLASS_REPOSITORY)
        self._insert("actor", id=repo_id, source_culture="en")
        self._insert("actor_i18n", id=repo_id, culture="en", authorized_form_of_name=name)
        self._insert("repository", id=repo_id, identifier=code, source_culture="en")
        if country is not None:
            self._insert(
                "contact_information",
                id=self._next_serial(),
                actor_id=repo_id,
                primary_contact=1,
                country_code=country,
                created_at=STAMP,
                updated_at=STAMP,
                source_culture="en",
            )

    def actor(
        self,
        actor_id: int,
        names: dict[str, str],
        entity_type: int = c.ENTITY_PERSON,
        source_culture: str = "en",
    ) -> None:
        self._insert("object", id=actor_id, class_name=c.CLASS_ACTOR)
        self._insert(
            "actor", id=actor_id, entity_type_id=entity_type, source_culture=source_culture
        )
        for culture, name in names.items():
            self._insert("actor_i18n", id=actor_id, culture=culture, authorized_form_of_name=name)

    def term(self, term_id: int, taxonomy: int, names: dict[str, str], source: str = "en") -> None:
        self._insert("object", id=term_id, class_name=c.CLASS_TERM)
        self._insert("term", id=term_id, taxonomy_id=taxonomy, source_culture=source)
        for culture, name in names.items():
            self._insert("term_i18n", id=term_id, culture=culture, name=name)

    def description(
        self,
        io_id: int,
        parent: int = c.ROOT_INFORMATION_OBJECT_ID,
        identifier: str | None = None,
        repository: int | None = None,
        level: int | None = None,
        source_culture: str = "en",
        titles: dict[str, str | None] | None = None,
        status: int | None = c.PUBLICATION_STATUS_PUBLISHED,
        updated_at: datetime = STAMP,
        slug: str | None = None,
    ) -> None:
        self._insert(
            "object", id=io_id, class_name=c.CLASS_INFORMATION_OBJECT, updated_at=updated_at
        )
        self._insert(
            "information_object",
            id=io_id,
            parent_id=parent,
            identifier=identifier,
            repository_id=repository,
            level_of_description_id=level,
            lft=io_id * 10,
            rgt=io_id * 10 + 1,
            source_culture=source_culture,
        )
        for culture, title in (titles if titles is not None else {"en": f"Title {io_id}"}).items():
            self._insert("information_object_i18n", id=io_id, culture=culture, title=title)
        self._insert("slug", id=self._next_serial(), object_id=io_id, slug=slug or f"d-{io_id}")
        if status is not None:
            self._insert(
                "status",
                id=self._next_serial(),
                object_id=io_id,
                type_id=c.STATUS_TYPE_PUBLICATION,
                status_id=status,
            )

    def event(
        self,
        event_id: int,
        object_id: int,
        type_id: int = c.EVENT_CREATION,
        actor_id: int | None = None,
        start: str | None = None,
        end: str | None = None,
        display: dict[str, str] | None = None,
    ) -> None:
        self._insert("object", id=event_id, class_name=c.CLASS_EVENT)
        self._insert(
            "event",
            id=event_id,
            object_id=object_id,
            type_id=type_id,
            actor_id=actor_id,
            start_date=start,
            end_date=end,
            source_culture="en",
        )
        for culture, text in (display or {}).items():
            self._insert("event_i18n", id=event_id, culture=culture, date=text)

    def relate(self, relation_id: int, object_id: int, term_id: int) -> None:
        self._insert("object", id=relation_id, class_name=c.CLASS_OBJECT_TERM_RELATION)
        self._insert("object_term_relation", id=relation_id, object_id=object_id, term_id=term_id)

    def property(self, object_id: int, name: str, value: str, culture: str = "en") -> None:
        property_id = self._next_serial()
        self._insert(
            "property", id=property_id, object_id=object_id, name=name, source_culture=culture
        )
        self._insert("property_i18n", id=property_id, culture=culture, value=value)

    def note(self, object_id: int, type_id: int, content: str, culture: str = "en") -> None:
        note_id = self._next_serial()
        self._insert(
            "note", id=note_id, object_id=object_id, type_id=type_id, source_culture=culture
        )
        self._insert("note_i18n", id=note_id, culture=culture, content=content)

    def digital_object(
        self,
        do_id: int,
        object_id: int | None,
        usage: int,
        parent: int | None = None,
        mime: str = "image/jpeg",
    ) -> None:
        self._insert("object", id=do_id, class_name=c.CLASS_DIGITAL_OBJECT)
        self._insert(
            "digital_object",
            id=do_id,
            object_id=object_id,
            usage_id=usage,
            mime_type=mime,
            name=f"file-{do_id}.jpg",
            path=f"/uploads/r/{do_id}/",
            parent_id=parent,
        )

    def sidecar(self, table: str, **values: Any) -> None:
        self._insert(table, **values)

    def user(self, user_id: int, username: str, email: str | None, active: int = 1) -> None:
        """An AtoM user account: an actor (no entity type) with a ``user`` row."""
        self._insert("object", id=user_id, class_name=c.CLASS_USER)
        self._insert("actor", id=user_id, source_culture="en")
        self._insert("actor_i18n", id=user_id, culture="en", authorized_form_of_name=username)
        self._insert("user", id=user_id, username=username, email=email, active=active)

    def with_heratio_tables(self) -> AtomBuilder:
        """Heratio's catalogue-side tables (exhibitions, the audit log) beside AtoM's."""
        t.create_catalogue_tables(self.engine, t.HERATIO_CATALOGUE_TABLES)
        return self

    def exhibition(self, exhibition_id: int, title: str, *record_ids: int) -> None:
        self._insert("exhibition", id=exhibition_id, title=title, slug=f"ex-{exhibition_id}")
        for record_id in record_ids:
            self._insert(
                "exhibition_object", exhibition_id=exhibition_id, information_object_id=record_id
            )


@pytest.fixture
def catalogue_engine(db_url: str) -> Iterator[sa.Engine]:
    """An engine on a fresh, empty database (no ahg_* tables unless a test creates them)."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def atom(catalogue_engine: sa.Engine) -> AtomBuilder:
    return AtomBuilder(catalogue_engine)
