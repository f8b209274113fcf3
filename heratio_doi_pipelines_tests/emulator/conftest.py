"""Fixtures for the emulator tests: one emulator per module, reset before every test."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from heratio_doi_pipelines.devtools.emulator import EmulatorConfig, EmulatorHandle, running_emulator

REPOSITORY_AUTH = ("HERATIO.DEMO", "demo-password")
TOKEN_HEADERS = {"Authorization": "Bearer demo-token"}
PREFIXES = ["10.5072", "10.80001"]

COMPLETE_METADATA: dict[str, Any] = {
    "url": "https://archive.example.org/index.php/letters-home",
    "creators": [{"name": "Mbeki, Thandi", "nameType": "Personal"}],
    "titles": [{"title": "Letters home, 1914-1918"}],
    "publisher": "Heratio Demo Archive",
    "publicationYear": 2024,
    "types": {"resourceTypeGeneral": "Collection", "resourceType": "Fonds"},
}


@pytest.fixture(scope="module")
def module_emulator() -> Iterator[EmulatorHandle]:
    with running_emulator(EmulatorConfig(prefix=PREFIXES)) as handle:
        yield handle


@pytest.fixture
def emulator(module_emulator: EmulatorHandle) -> EmulatorHandle:
    """A running emulator with no DOIs, counters, faults or changed settings."""
    module_emulator.reset()
    return module_emulator


@pytest.fixture
def api() -> Iterator[requests.Session]:
    """A session with the repository's basic-auth credentials."""
    with requests.Session() as session:
        session.auth = REPOSITORY_AUTH
        yield session


@pytest.fixture
def metadata() -> Callable[..., dict[str, Any]]:
    """Complete metadata for a findable DOI, with overrides as keyword arguments."""

    def build(**overrides: Any) -> dict[str, Any]:
        attributes = copy.deepcopy(COMPLETE_METADATA)
        attributes.update(overrides)
        return attributes

    return build


def doi_body(**attributes: Any) -> dict[str, Any]:
    return {"data": {"type": "dois", "attributes": attributes}}


@pytest.fixture
def body() -> Callable[..., dict[str, Any]]:
    """Wrap attributes in DataCite's JSON:API body."""
    return doi_body
