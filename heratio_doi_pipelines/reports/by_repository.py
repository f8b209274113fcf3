"""Repository report: DOIs per holding repository, split by state.

A record's holding repository is its own ``information_object.repository_id`` or, when
that is empty (AtoM usually sets it only on the top-level description), its nearest
ancestor's. DOIs whose record has none, or whose record is missing from the catalogue,
are reported on one row without a repository id.

When the catalogue shares the DOI database, the database joins and groups in one query.
When it lives elsewhere (``HERATIO_CATALOGUE_DB_URL``), the DOI rows are streamed in
chunks and each chunk's records are looked up with one catalogue query.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd
import sqlalchemy as sa

from heratio_doi_pipelines.catalogue.atom_tables import information_object
from heratio_doi_pipelines.reports.catalogue_lookup import (
    LOOKUP_CHUNK,
    inherit_repositories,
    merge_counts,
    record_repositories,
    repository_names,
    require_catalogue,
)
from heratio_doi_pipelines.store.tables import ahg_doi

STATE_COLUMNS = ["findable", "registered", "draft", "failed", "tombstone"]
REPOSITORY_COLUMNS = [
    "repository_id",
    "repository_code",
    "repository_name",
    *STATE_COLUMNS,
    "total",
]
# Heratio's enum spells a deactivated DOI 'deleted' as well as 'tombstone'.
STATE_ALIASES = {"deleted": "tombstone"}
NO_REPOSITORY_NAME = "(no repository)"

# (own repository id, parent id when the record has no repository of its own) -> states
_Key = tuple[int | None, int | None]


def same_database(first: sa.Engine, second: sa.Engine) -> bool:
    """Whether two engines reach the same database, so one SQL join can span both."""
    return first is second or first.url == second.url


def _grouped_in_one_database(engine: sa.Engine) -> dict[_Key, Counter[str]]:
    io = information_object
    parent_when_unassigned = sa.case((io.c.repository_id.is_(None), io.c.parent_id))
    stmt = (
        sa.select(
            io.c.repository_id,
            parent_when_unassigned.label("parent_id"),
            ahg_doi.c.status,
            sa.func.count().label("n"),
        )
        .select_from(ahg_doi.outerjoin(io, io.c.id == ahg_doi.c.information_object_id))
        .group_by(io.c.repository_id, parent_when_unassigned, ahg_doi.c.status)
    )
    grouped: dict[_Key, Counter[str]] = {}
    with engine.connect() as conn:
        for row in conn.execute(stmt):
            key = (row.repository_id, row.parent_id)
            grouped.setdefault(key, Counter())[row.status] += int(row.n)
    return grouped


def _grouped_across_databases(
    doi_engine: sa.Engine, catalogue_engine: sa.Engine
) -> dict[_Key, Counter[str]]:
    grouped: dict[_Key, Counter[str]] = {}
    stmt = sa.select(ahg_doi.c.information_object_id, ahg_doi.c.status)
    with doi_engine.connect() as conn:
        result = conn.execution_options(yield_per=LOOKUP_CHUNK).execute(stmt)
        for part in result.partitions():
            records = record_repositories(catalogue_engine, [row[0] for row in part])
            for record_id, status in part:
                repository_id, parent_id = records.get(record_id, (None, None))
                key = (repository_id, parent_id if repository_id is None else None)
                grouped.setdefault(key, Counter())[status] += 1
    return grouped


def repository_counts(
    doi_engine: sa.Engine, catalogue_engine: sa.Engine | None = None
) -> dict[int | None, Counter[str]]:
    """DOI counts by ``ahg_doi.status`` for each holding repository id (``None``: none)."""
    catalogue_engine = catalogue_engine or doi_engine
    require_catalogue(catalogue_engine)
    if same_database(doi_engine, catalogue_engine):
        grouped = _grouped_in_one_database(doi_engine)
    else:
        grouped = _grouped_across_databases(doi_engine, catalogue_engine)
    resolved: dict[int | None, Counter[str]] = {}
    by_parent: dict[int, Counter[str]] = {}
    for (repository_id, parent_id), counts in grouped.items():
        if repository_id is not None or parent_id is None:
            merge_counts(resolved, repository_id, counts)
        else:
            merge_counts(by_parent, parent_id, counts)
    for repository_id, counts in inherit_repositories(catalogue_engine, by_parent).items():
        merge_counts(resolved, repository_id, counts)
    return resolved


def repository_report(
    doi_engine: sa.Engine,
    catalogue_engine: sa.Engine | None = None,
    fallback_culture: str = "en",
) -> pd.DataFrame:
    """One row per holding repository with its DOIs per state; most DOIs first.

    DOIs without a holding repository come last, on one row with no repository id.

    Columns: repository_id, repository_code, repository_name, findable, registered, draft,
    failed, tombstone, total. ``total`` counts every DOI, including states outside the
    five columns (Heratio's ``deleted`` is counted as ``tombstone``).
    """
    catalogue_engine = catalogue_engine or doi_engine
    counts = repository_counts(doi_engine, catalogue_engine)
    names = repository_names(
        catalogue_engine, [rid for rid in counts if rid is not None], fallback_culture
    )
    rows = []
    for repository_id, by_state in counts.items():
        states: Counter[str] = Counter()
        for state, n in by_state.items():
            states[STATE_ALIASES.get(state, state)] += n
        name = names.get(repository_id) if repository_id is not None else None
        rows.append(
            {
                "repository_id": repository_id,
                "repository_code": name.code if name else None,
                "repository_name": (name.name if name else None)
                or (NO_REPOSITORY_NAME if repository_id is None else None),
                **{state: states.get(state, 0) for state in STATE_COLUMNS},
                "total": sum(by_state.values()),
            }
        )
    frame = pd.DataFrame(rows, columns=REPOSITORY_COLUMNS)
    frame["repository_id"] = frame["repository_id"].astype("Int64")
    for column in [*STATE_COLUMNS, "total"]:
        frame[column] = frame[column].astype("int64")
    frame["_unassigned"] = frame["repository_id"].isna()
    frame["_sort_name"] = frame["repository_name"].fillna("").str.casefold()
    frame = frame.sort_values(
        ["_unassigned", "total", "_sort_name"], ascending=[True, False, True], kind="stable"
    )
    return frame.drop(columns=["_unassigned", "_sort_name"]).reset_index(drop=True)
