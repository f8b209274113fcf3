"""Auto-mint queues new descriptions for mint and edited ones for update, once each."""

from __future__ import annotations

from datetime import datetime, timedelta

import dagster as dg
import sqlalchemy as sa

from heratio_doi_pipelines.catalogue import atom_tables
from heratio_doi_pipelines.catalogue.reader import CatalogueReader
from heratio_doi_pipelines.defs.datacite.sensors import auto_mint_sensor
from heratio_doi_pipelines.defs.shared.resources import DataCite, HeratioDatabase
from heratio_doi_pipelines.devtools.sample_archive import generate_sample_archive
from heratio_doi_pipelines.queue.auto_mint import latest_change, queue_catalogue_changes
from heratio_doi_pipelines.store.tables import ahg_doi, ahg_doi_queue, ahg_settings


def _enable_auto_mint(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            ahg_settings.update()
            .where(ahg_settings.c.setting_key == "auto_mint")
            .values(setting_value="1")
        )


def _touch(engine: sa.Engine, ids: list[int], when: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(
            atom_tables.object_.update()
            .where(atom_tables.object_.c.id.in_(ids))
            .values(updated_at=when)
        )


def _queued(engine: sa.Engine) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        return sorted(
            (r.information_object_id, r.action) for r in conn.execute(sa.select(ahg_doi_queue))
        )


def test_auto_mint_is_off_by_default_and_queues_changes_once_on(engine: sa.Engine) -> None:
    generate_sample_archive(engine, records=12, seed=2)
    assert not queue_catalogue_changes(engine, engine, None).enabled

    _enable_auto_mint(engine)
    first = queue_catalogue_changes(engine, engine, None)
    assert first.enabled and first.cursor and first.minted == 0  # no backlog on switch-on
    minted, edited = CatalogueReader(engine).all_record_ids()[2:4]
    with engine.begin() as conn:
        conn.execute(
            ahg_doi.insert().values(
                information_object_id=minted,
                doi=f"10.5072/x/{minted}",
                status="findable",
                confirmed_at=datetime(2026, 1, 1),
            )
        )
    newest = latest_change(engine)
    assert newest is not None
    _touch(engine, [minted, edited], newest + timedelta(minutes=5))
    second = queue_catalogue_changes(engine, engine, first.cursor)
    assert (second.minted, second.updated) == (1, 1)
    assert _queued(engine) == sorted([(minted, "update"), (edited, "mint")])
    third = queue_catalogue_changes(engine, engine, second.cursor)
    assert (third.minted, third.updated) == (0, 0)


def test_auto_mint_sensor_launches_runs_for_queued_changes(engine: sa.Engine) -> None:
    generate_sample_archive(engine, records=8, seed=2)
    _enable_auto_mint(engine)
    resources = {
        "heratio_db": HeratioDatabase(doi_db_url=engine.url.render_as_string(hide_password=False)),
        "datacite": DataCite(),
    }
    first = auto_mint_sensor(dg.build_sensor_context(resources=resources))
    assert isinstance(first, dg.SensorResult) and not first.run_requests
    newest = latest_change(engine)
    assert newest is not None
    _touch(engine, CatalogueReader(engine).all_record_ids()[:1], newest + timedelta(minutes=1))
    second = auto_mint_sensor(dg.build_sensor_context(cursor=first.cursor, resources=resources))
    assert isinstance(second, dg.SensorResult)
    assert [r.job_name for r in second.run_requests or []] == ["mint_job"]


def test_the_cursor_moves_to_the_newest_change_and_never_back(engine: sa.Engine) -> None:
    generate_sample_archive(engine, records=12, seed=2)
    _enable_auto_mint(engine)
    first = queue_catalogue_changes(engine, engine, None)
    newest = latest_change(engine)
    assert newest is not None and first.cursor == newest.isoformat()
    ids = CatalogueReader(engine).all_record_ids()
    _touch(engine, ids[:2], newest + timedelta(minutes=3))
    _touch(engine, ids[2:3], newest + timedelta(minutes=1))
    second = queue_catalogue_changes(engine, engine, first.cursor)
    assert second.minted == 3 and second.cursor == (newest + timedelta(minutes=3)).isoformat()
    quiet = queue_catalogue_changes(engine, engine, second.cursor)
    assert (quiet.minted, quiet.cursor) == (0, second.cursor)  # nothing changed: it stays


def test_the_cursor_moves_past_changes_that_are_not_descriptions(engine: sa.Engine) -> None:
    """An actor edited after the last description moves the cursor too, so the next tick
    does not walk past it again, and a description edited later is still found."""
    generate_sample_archive(engine, records=6, seed=4)
    _enable_auto_mint(engine)
    descriptions = set(CatalogueReader(engine).all_record_ids())
    with engine.connect() as conn:
        actor = conn.execute(
            sa.select(atom_tables.object_.c.id)
            .where(atom_tables.object_.c.id.not_in(descriptions | {1}))
            .limit(1)
        ).scalar_one()
    start = queue_catalogue_changes(engine, engine, None)
    assert start.cursor is not None
    later = datetime.fromisoformat(start.cursor) + timedelta(minutes=5)
    _touch(engine, [actor], later)
    moved = queue_catalogue_changes(engine, engine, start.cursor)
    assert (moved.minted, moved.updated) == (0, 0)
    assert moved.cursor == later.isoformat()  # past the actor, though nothing was queued
    edited = min(descriptions)
    _touch(engine, [edited], later + timedelta(minutes=1))
    found = queue_catalogue_changes(engine, engine, moved.cursor)
    assert found.minted == 1 and _queued(engine) == [(edited, "mint")]
