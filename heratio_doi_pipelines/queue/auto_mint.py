"""Auto-mint: records created or edited in the catalogue are queued for mint or update.

Heratio's ``auto_mint`` setting (``ahg_settings`` or ``ahg_doi_config``) turns this on. The
catalogue's ``object.updated_at`` is the change marker: each pass remembers the newest
timestamp it has seen, so every edit is picked up once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from heratio_doi_pipelines.catalogue import atom_tables
from heratio_doi_pipelines.catalogue.reader import CatalogueReader
from heratio_doi_pipelines.queue.actions import MINT, UPDATE
from heratio_doi_pipelines.queue.enqueue import enqueue
from heratio_doi_pipelines.settings import SettingsResolver
from heratio_doi_pipelines.store.dois import dois_for_records


@dataclass(frozen=True)
class AutoMintResult:
    enabled: bool
    minted: int = 0
    updated: int = 0
    cursor: str | None = None  # ISO timestamp of the newest change seen


def latest_change(catalogue_engine: sa.Engine) -> datetime | None:
    """The newest ``object.updated_at`` of anything in the catalogue (descriptions, actors,
    terms, digital objects): one look at the top of AtoM's index. A description changed
    later is newer than this, so it is a sound cursor, and the next tick does not walk past
    every newer object that is not a description."""
    obj = atom_tables.object_
    with catalogue_engine.connect() as conn:
        value = conn.execute(sa.select(sa.func.max(obj.c.updated_at))).scalar()
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def queue_catalogue_changes(
    doi_engine: sa.Engine,
    catalogue_engine: sa.Engine,
    cursor: str | None,
    *,
    overrides: Mapping[str, Any] | None = None,
) -> AutoMintResult:
    """Queue mint (no DOI yet) or update (has a DOI) for descriptions changed after ``cursor``.

    The first pass (no cursor) only records where the catalogue stands: switching auto-mint on
    does not queue the whole archive (use batch minting for that).
    """
    if not SettingsResolver(doi_engine, overrides).global_settings().auto_mint:
        return AutoMintResult(enabled=False, cursor=cursor)
    if cursor is None:
        newest = latest_change(catalogue_engine)
        return AutoMintResult(enabled=True, cursor=newest.isoformat() if newest else None)
    # The next cursor is the newest change found, of a description or anything else: a
    # cursor left at the newest description would make every tick walk the index past the
    # newer objects that are not descriptions (actors, terms, digital objects) again.
    reader = CatalogueReader(catalogue_engine, doi_engine=doi_engine)
    changed, newest = reader.changes_since(cursor)
    new_cursor = newest.isoformat() if newest else cursor
    with doi_engine.connect() as conn:
        has_doi = dois_for_records(conn, changed)
    to_mint = [rid for rid in changed if rid not in has_doi]
    to_update = [rid for rid in changed if rid in has_doi and has_doi[rid].confirmed_at]
    minted = enqueue(doi_engine, MINT, to_mint).count if to_mint else 0
    updated = enqueue(doi_engine, UPDATE, to_update).count if to_update else 0
    return AutoMintResult(enabled=True, minted=minted, updated=updated, cursor=new_cursor)
