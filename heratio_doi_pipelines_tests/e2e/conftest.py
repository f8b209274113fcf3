"""A sample archive in the test database and a DataCite emulator on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from heratio_doi_pipelines.devtools.emulator import EmulatorConfig, EmulatorHandle, running_emulator
from heratio_doi_pipelines.devtools.sample_archive import generate_sample_archive

REPOSITORY_ID = "HERATIO.TEST"
PASSWORD = "s3cret-pa55word-for-tests"
PREFIX = "10.5072"


@pytest.fixture(scope="session")
def _emulator() -> Iterator[EmulatorHandle]:
    config = EmulatorConfig(prefix=PREFIX, repository_id=REPOSITORY_ID, password=PASSWORD)
    with running_emulator(config) as handle:
        yield handle


@pytest.fixture
def emulator(_emulator: EmulatorHandle) -> Iterator[EmulatorHandle]:
    _emulator.reset()
    yield _emulator
    _emulator.reset()


@pytest.fixture
def overrides(emulator: EmulatorHandle) -> dict[str, str]:
    """Settings as a deployment passes them (environment / Dagster resource)."""
    return {
        "datacite_url": emulator.url,
        "repository_id": REPOSITORY_ID,
        "password": PASSWORD,
        "prefix": PREFIX,
        "base_url": "https://archive.example.org",
    }


@pytest.fixture
def archive(engine: sa.Engine) -> sa.Engine:
    """The engine, holding a small deterministic sample archive beside the ahg_* tables."""
    generate_sample_archive(engine, records=40, seed=11)
    return engine
