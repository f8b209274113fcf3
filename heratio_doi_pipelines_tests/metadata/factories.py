"""Catalogue records and a context for metadata tests: one clean record, varied per test."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from heratio_doi_pipelines.catalogue.records import Actor, CatalogueEvent, CatalogueRecord
from heratio_doi_pipelines.metadata import MetadataContext

DATA_DIR = Path(__file__).parent / "data"
EXAMPLES = sorted(DATA_DIR.glob("datacite-example-*.xml"))

CTX = MetadataContext(
    prefix="10.5072",
    publisher="Heratio Archive",
    base_url="https://archive.example.org",
    year=2026,
)

BASE = CatalogueRecord(
    id=123,
    identifier="F1",
    parent_id=1,
    repository_id=5,
    repository_code="AN",
    repository_name="Archives Nationales",
    level_of_description="Fonds",
    source_culture="en",
    title="Papers of John Smith",
    slug="papers-of-john-smith",
    reference_code="ZA AN F1",
    publication_status="published",
    events=(CatalogueEvent(111, 7, "1890-00-00", "1900-00-00", None),),
    creators=(Actor(7, "Smith, John", 132),),
)


def record(**changes: Any) -> CatalogueRecord:
    """The clean base record with some fields replaced."""
    return replace(BASE, **changes)


def context(**changes: Any) -> MetadataContext:
    return replace(CTX, **changes)
