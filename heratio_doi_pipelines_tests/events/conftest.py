"""Events fixtures: the pipeline's usage tables, a loopback DataCite emulator, a small archive
whose records have findable DOIs, and events settings pointed at the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
import sqlalchemy as sa

from heratio_doi_pipelines.catalogue import atom_tables as atom
from heratio_doi_pipelines.devtools.emulator import (
    DEFAULT_BEARER_TOKEN,
    EmulatorConfig,
    EmulatorHandle,
    running_emulator,
)
from heratio_doi_pipelines.devtools.sample_archive import generate_sample_archive
from heratio_doi_pipelines.events.config import EventsConfig
from heratio_doi_pipelines.store.tables import USAGE_TABLES, ahg_doi

REPOSITORY_ID = "HERATIO.TEST"
PASSWORD = "events-test-password"
TOKEN = DEFAULT_BEARER_TOKEN
DEFAULT_SETTINGS = {
    "events_accept_basic_auth": False,
    "report_mode": "immediate",
    "report_pending_polls": 1,
    "rate_limit": None,
    "latency_ms": 0,
    "stats_window_seconds": None,
}


@pytest.fixture
def events_engine(engine: sa.Engine) -> sa.Engine:
    """The initialised database, with the pipeline's usage tables among the ahg_* ones."""
    assert set(USAGE_TABLES) <= set(sa.inspect(engine).get_table_names())
    return engine


@pytest.fixture(scope="session")
def _emulator() -> Iterator[EmulatorHandle]:
    config = EmulatorConfig(repository_id=REPOSITORY_ID, password=PASSWORD)
    with running_emulator(config) as handle:
        yield handle


@pytest.fixture
def emulator(_emulator: EmulatorHandle) -> Iterator[EmulatorHandle]:
    _emulator.reset()
    _emulator.configure(**DEFAULT_SETTINGS)
    yield _emulator
    _emulator.reset()
    _emulator.configure(**DEFAULT_SETTINGS)


def events_config(
    emulator: EmulatorHandle,
    *,
    token: bool = True,
    camel_case: bool = False,
    per_minute: int = 6000,
) -> EventsConfig:
    return EventsConfig(
        url=emulator.url,
        api_token=TOKEN if token else "",
        repository_id=REPOSITORY_ID,
        password=PASSWORD,
        per_minute=per_minute,
        camel_case=camel_case,
        publisher="Test Archive",
    )


@pytest.fixture
def config(emulator: EmulatorHandle) -> EventsConfig:
    return events_config(emulator)


def give_dois(
    engine: sa.Engine, record_ids: list[int], *, status: str = "findable"
) -> dict[int, str]:
    """Findable, DataCite-confirmed DOIs for ``record_ids`` (as a mint would leave them)."""
    now = datetime(2026, 1, 5, 12, 0, 0)
    dois = {rid: f"10.5072/test/{rid}" for rid in record_ids}
    with engine.begin() as conn:
        conn.execute(
            ahg_doi.insert(),
            [
                {
                    "information_object_id": rid,
                    "doi": doi,
                    "status": status,
                    "minted_at": now,
                    "confirmed_at": now,
                    "url": f"https://archive.example.org/record-{rid}",
                    "metadata_json": {
                        "titles": [{"title": f"Record {rid}"}],
                        "publicationYear": 2024,
                        "publisher": "Test Archive",
                        "url": f"https://archive.example.org/record-{rid}",
                    },
                }
                for rid, doi in dois.items()
            ],
        )
    return dois


@pytest.fixture
def archive(events_engine: sa.Engine) -> sa.Engine:
    """A small sample archive beside the ahg_* tables, the catalogue and DOIs in one database."""
    generate_sample_archive(events_engine, records=30, seed=5)
    return events_engine


def described_records(engine: sa.Engine) -> list[int]:
    """Descriptions (not the root) that have a slug, in id order."""
    io, slug = atom.information_object, atom.slug
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(io.c.id)
                .join(slug, slug.c.object_id == io.c.id)
                .where(io.c.id != 1)
                .order_by(io.c.id)
            ).scalars()
        )
