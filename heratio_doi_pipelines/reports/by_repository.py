"""Repository report: DOIs per holding repository, split by state.

A record's holding repository is its own ``information_object.repository_id`` or, when
that is empty (AtoM usually sets it only on the top-level description), its nearest
ancestor's. DOIs whose record has none, or whose record is missing from the catalogue,
are reported on one row without a repository id.

The pipeline stores that repository on each DOI row it reserves or changes
(``ahg_doi.repository_id``), so most rows are counted with one group-by over an index of
``ahg_doi`` alone. Only rows without it (written by Heratio itself, or before the column
existed) are resolved through the catalogue: when the catalogue shares the DOI database,
in one statement; when it lives elsewhere (``HERATIO_CATALOGUE_DB_URL``), the rows are
streamed in chunks, each chunk's records are looked up with one catalogue query, and only
the distinct parents are walked up the tree.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd
import sqlalchemy as sa

from heratio_doi_pipelines.catalogue.atom_tables import information_object
from heratio_doi_pipelines.reports.catalogue_lookup import (
    MAX_DEPTH,
    inherit_repositories,
    merge_counts,
    repository_names,
    require_catalogue,
)
from heratio_doi_pipelines.reports.connection import report_connection
from heratio_doi_pipelines.reports.dashboard import DOI_STATE_LABELS
from heratio_doi_pipelines.store.tables import ahg_doi

STATE_COLUMNS = ["findable", "registered", "draft", "failed", "tombstone"]
# The report's column per state: ``failed_dois``, never a bare ``failed`` that reads like
# failed queue items.
STATE_COLUMN_NAMES = {state: DOI_STATE_LABELS.get(state, state) for state in STATE_COLUMNS}
REPOSITORY_COLUMNS = [
    "repository_id",
    "repository_code",
    "repository_name",
    *STATE_COLUMN_NAMES.values(),
    "total",
]
# Heratio's enum spells a deactivated DOI 'deleted' as well as 'tombstone'.
STATE_ALIASES = {"deleted": "tombstone"}
NO_REPOSITORY_NAME = "(no repository)"

# (own repository id, parent id when the record has no repository of its own) -> counts
_Key = tuple[int | None, int | None]
# Rows the split path reads from ahg_doi per catalogue lookup.
STREAM_CHUNK = 20_000


def same_database(first: sa.Engine, second: sa.Engine) -> bool:
    """Whether two engines reach the same database, so one SQL join can span both."""
    return first is second or first.url == second.url


def _state_sums(status: sa.ColumnElement[str]) -> list[sa.Label[int]]:
    """One count column per report state (aliases folded in) plus ``total``."""
    sums = []
    for state in STATE_COLUMNS:
        spellings = [state, *(alias for alias, name in STATE_ALIASES.items() if name == state)]
        hit = sa.case((status.in_(spellings), sa.literal_column("1")), else_=sa.literal_column("0"))
        sums.append(sa.func.sum(hit).label(state))
    sums.append(sa.func.count().label("total"))
    return sums


def _add_state(counts: Counter[str], status: str, n: int) -> None:
    counts[STATE_ALIASES.get(status, status)] += n
    counts["total"] += n


def _stored_counts(conn: sa.Connection) -> dict[int | None, Counter[str]]:
    """Counts of the DOIs whose row carries its holding repository, from ahg_doi alone.

    Grouped on (repository_id, status), the leading columns of
    ``idx_ahg_doi_repository_status_record``, so the database reads that index, never the rows.
    """
    stmt = (
        sa.select(ahg_doi.c.repository_id, ahg_doi.c.status, sa.func.count())
        .where(ahg_doi.c.repository_id.is_not(None))
        .group_by(ahg_doi.c.repository_id, ahg_doi.c.status)
    )
    counts: dict[int | None, Counter[str]] = {}
    for repository_id, status, n in conn.execute(stmt):
        _add_state(counts.setdefault(repository_id, Counter()), status, int(n))
    return counts


def _counts_in_one_database(engine: sa.Engine) -> dict[int | None, Counter[str]]:
    """The rows without a stored repository in one statement: join, inheritance, grouping.

    ``grouped`` counts DOIs per own repository, or per parent for records without one;
    ``climb`` walks those parents up the tree (a recursive CTE, one step per level) until
    an ancestor has a repository; the outer query adds the parents' counts to it.
    """
    io = information_object
    parent_when_unassigned = sa.case((io.c.repository_id.is_(None), io.c.parent_id))
    grouped = (
        sa.select(
            io.c.repository_id.label("repository_id"),
            parent_when_unassigned.label("parent_id"),
            *_state_sums(ahg_doi.c.status),
        )
        .select_from(ahg_doi.outerjoin(io, io.c.id == ahg_doi.c.information_object_id))
        .where(ahg_doi.c.repository_id.is_(None))
        .group_by(io.c.repository_id, parent_when_unassigned)
        .cte("grouped")
    )
    unresolved_parents = sa.select(grouped.c.parent_id).where(
        grouped.c.repository_id.is_(None), grouped.c.parent_id.is_not(None)
    )
    climb = (
        sa.select(
            io.c.id.label("start_id"),
            io.c.parent_id.label("next_id"),
            io.c.repository_id.label("repository_id"),
            sa.literal_column("0").label("depth"),
        )
        .where(io.c.id.in_(unresolved_parents))
        .cte("climb", recursive=True)
    )
    ancestor = io.alias("ancestor")
    climb = climb.union_all(
        sa.select(
            climb.c.start_id,
            ancestor.c.parent_id,
            ancestor.c.repository_id,
            climb.c.depth + sa.literal_column("1"),
        )
        .select_from(climb.join(ancestor, ancestor.c.id == climb.c.next_id))
        .where(climb.c.repository_id.is_(None), climb.c.depth < sa.literal_column(str(MAX_DEPTH)))
    )
    resolved = (
        sa.select(climb.c.start_id, sa.func.max(climb.c.repository_id).label("repository_id"))
        .where(climb.c.repository_id.is_not(None))
        .group_by(climb.c.start_id)
        .cte("resolved")
    )
    holder = sa.func.coalesce(grouped.c.repository_id, resolved.c.repository_id)
    stmt = (
        sa.select(
            holder.label("holder"),
            *(sa.func.sum(grouped.c[name]).label(name) for name in [*STATE_COLUMNS, "total"]),
        )
        .select_from(
            grouped.outerjoin(
                resolved,
                sa.and_(
                    grouped.c.repository_id.is_(None), resolved.c.start_id == grouped.c.parent_id
                ),
            )
        )
        .group_by(holder)
    )
    with report_connection(engine) as conn:
        counts = _stored_counts(conn)
        for row in conn.execute(stmt).mappings():
            merge_counts(
                counts,
                row["holder"],
                Counter({name: int(row[name] or 0) for name in [*STATE_COLUMNS, "total"]}),
            )
    return counts


def _counts_across_databases(
    doi_engine: sa.Engine, catalogue_engine: sa.Engine
) -> dict[int | None, Counter[str]]:
    """Rows without a stored repository streamed in record-id order; each chunk's records
    read with one range query.

    A range (rather than an IN list) keeps one cached statement; it may read records
    without a DOI in between, at most the catalogue once over.
    """
    io = information_object
    tally: Counter[tuple[_Key, str]] = Counter()
    stmt = (
        sa.select(ahg_doi.c.information_object_id, ahg_doi.c.status)
        .where(ahg_doi.c.repository_id.is_(None))
        .order_by(ahg_doi.c.information_object_id)
    )
    lookup = sa.select(io.c.id, io.c.repository_id, io.c.parent_id).where(
        io.c.id.between(sa.bindparam("low"), sa.bindparam("high"))
    )
    missing: _Key = (None, None)
    with doi_engine.connect() as conn, catalogue_engine.connect() as catalogue:
        resolved = _stored_counts(conn)
        result = conn.execution_options(yield_per=STREAM_CHUNK).execute(stmt)
        for part in result.partitions():
            bounds = {"low": part[0][0], "high": part[-1][0]}
            keys: dict[int, _Key] = {
                record_id: (repository_id, None if repository_id is not None else parent_id)
                for record_id, repository_id, parent_id in catalogue.execute(lookup, bounds)
            }
            tally.update((keys.get(record_id, missing), status) for record_id, status in part)
    grouped: dict[_Key, Counter[str]] = {}
    for (key, status), n in tally.items():
        _add_state(grouped.setdefault(key, Counter()), status, n)
    by_parent: dict[int, Counter[str]] = {}
    for (repository_id, parent_id), counts in grouped.items():
        if repository_id is not None or parent_id is None:
            merge_counts(resolved, repository_id, counts)
        else:
            merge_counts(by_parent, parent_id, counts)
    for repository_id, counts in inherit_repositories(catalogue_engine, by_parent).items():
        merge_counts(resolved, repository_id, counts)
    return resolved


def repository_counts(
    doi_engine: sa.Engine, catalogue_engine: sa.Engine | None = None
) -> dict[int | None, Counter[str]]:
    """Counts per report column (states and ``total``) for each holding repository id.

    ``None`` holds the DOIs without a holding repository.
    """
    catalogue_engine = catalogue_engine or doi_engine
    require_catalogue(catalogue_engine)
    if same_database(doi_engine, catalogue_engine):
        return _counts_in_one_database(doi_engine)
    return _counts_across_databases(doi_engine, catalogue_engine)


def repository_report(
    doi_engine: sa.Engine,
    catalogue_engine: sa.Engine | None = None,
    fallback_culture: str = "en",
) -> pd.DataFrame:
    """One row per holding repository with its DOIs per state; most DOIs first.

    DOIs without a holding repository come last, on one row with no repository id.

    Columns: repository_id, repository_code, repository_name, findable, registered, draft,
    failed_dois, tombstone, total. ``total`` counts every DOI, including states outside the
    five columns (Heratio's ``deleted`` is counted as ``tombstone``).
    """
    catalogue_engine = catalogue_engine or doi_engine
    counts = repository_counts(doi_engine, catalogue_engine)
    names = repository_names(
        catalogue_engine, [rid for rid in counts if rid is not None], fallback_culture
    )
    rows = []
    for repository_id, by_state in counts.items():
        name = names.get(repository_id) if repository_id is not None else None
        rows.append(
            {
                "repository_id": repository_id,
                "repository_code": name.code if name else None,
                "repository_name": (name.name if name else None)
                or (NO_REPOSITORY_NAME if repository_id is None else None),
                **{column: by_state.get(state, 0) for state, column in STATE_COLUMN_NAMES.items()},
                "total": by_state.get("total", 0),
            }
        )
    frame = pd.DataFrame(rows, columns=REPOSITORY_COLUMNS)
    frame["repository_id"] = frame["repository_id"].astype("Int64")
    for column in [*STATE_COLUMN_NAMES.values(), "total"]:
        frame[column] = frame[column].astype("int64")
    frame["_unassigned"] = frame["repository_id"].isna()
    frame["_sort_name"] = frame["repository_name"].fillna("").str.casefold()
    frame = frame.sort_values(
        ["_unassigned", "total", "_sort_name"], ascending=[True, False, True], kind="stable"
    )
    return frame.drop(columns=["_unassigned", "_sort_name"]).reset_index(drop=True)
