"""Reading and writing ``heratio_doi_landing_check``: the last landing-page check per DOI."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from heratio_doi_pipelines.store.tables import ahg_doi, heratio_doi_landing_check

t = heratio_doi_landing_check


@dataclass(frozen=True)
class DueDoi:
    """A confirmed DOI to check, with what the pipeline registered for it."""

    doi_id: int
    doi: str
    information_object_id: int
    status: str
    registered_url: str | None
    checked_at: datetime | None


@dataclass(frozen=True)
class LandingCheck:
    doi_id: int
    doi: str
    information_object_id: int | None
    status: str | None
    registered_url: str | None
    handle_target: str | None
    catalogue_url: str | None
    http_status: int | None
    final_url: str | None
    shows_doi: bool | None
    elapsed_ms: int | None
    problem: str | None
    detail: str | None
    repair: str | None
    checked_at: datetime

    @classmethod
    def from_mapping(cls, row: Any) -> LandingCheck:
        values = {name: row[name] for name in cls.__dataclass_fields__}
        if values["shows_doi"] is not None:
            values["shows_doi"] = bool(values["shows_doi"])
        return cls(**values)


def due_dois(
    engine: sa.Engine, states: Sequence[str], limit: int | None = None, chunk: int = 500
) -> Iterator[list[DueDoi]]:
    """Confirmed DOIs in ``states``, never checked first, then the oldest check first, in
    chunks: the order is fixed once (ids only), each chunk's rows are read when it is due."""
    order = (
        sa.select(ahg_doi.c.id)
        .outerjoin(t, t.c.doi_id == ahg_doi.c.id)
        .where(ahg_doi.c.status.in_(list(states)), ahg_doi.c.confirmed_at.is_not(None))
        .order_by(sa.case((t.c.checked_at.is_(None), 0), else_=1), t.c.checked_at, ahg_doi.c.id)
    )
    if limit is not None:
        order = order.limit(limit)
    with engine.connect() as conn:
        ids = list(conn.execute(order).scalars())
    for start in range(0, len(ids), chunk):
        wanted = ids[start : start + chunk]
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    ahg_doi.c.id,
                    ahg_doi.c.doi,
                    ahg_doi.c.information_object_id,
                    ahg_doi.c.status,
                    ahg_doi.c.url,
                    t.c.checked_at,
                )
                .outerjoin(t, t.c.doi_id == ahg_doi.c.id)
                .where(ahg_doi.c.id.in_(wanted))
            ).all()
        by_id = {row[0]: DueDoi(*row) for row in rows}
        yield [by_id[i] for i in wanted if i in by_id]


def save_checks(engine: sa.Engine, checks: Iterable[LandingCheck]) -> int:
    """Replace the stored check of each DOI (one transaction for the lot)."""
    rows = [asdict(check) for check in checks]
    if not rows:
        return 0
    with engine.begin() as conn:
        ids = [row["doi_id"] for row in rows]
        for start in range(0, len(ids), 500):
            conn.execute(t.delete().where(t.c.doi_id.in_(ids[start : start + 500])))
        conn.execute(t.insert(), rows)
    return len(rows)


def _on_record(states: Sequence[str]) -> sa.ColumnElement[bool]:
    """Checks of DOIs still in one of ``states`` (a DOI deleted since keeps no report row)."""
    return t.c.doi_id.in_(sa.select(ahg_doi.c.id).where(ahg_doi.c.status.in_(list(states))))


def problem_counts(engine: sa.Engine, states: Sequence[str]) -> dict[str | None, int]:
    """Checked DOIs by problem (None: healthy)."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.c.problem, sa.func.count()).where(_on_record(states)).group_by(t.c.problem)
        )
        return {problem: int(n) for problem, n in rows}


def checks_with_problems(
    engine: sa.Engine,
    states: Sequence[str],
    kinds: Iterable[str] | None = None,
    limit: int | None = None,
) -> list[LandingCheck]:
    """Checks that found a problem (of ``kinds``, if given), by DOI."""
    query = sa.select(t).where(_on_record(states), t.c.problem.is_not(None)).order_by(t.c.doi)
    if kinds is not None:
        query = query.where(t.c.problem.in_(list(kinds)))
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as conn:
        return [LandingCheck.from_mapping(row) for row in conn.execute(query).mappings()]


def iter_check_rows(
    engine: sa.Engine, states: Sequence[str], columns: Sequence[str], chunk: int = 5000
) -> Iterator[list[tuple[Any, ...]]]:
    """Every stored check's ``columns``, by DOI, a chunk at a time (for the CSV report)."""
    query = sa.select(*[t.c[name] for name in columns]).where(_on_record(states)).order_by(t.c.doi)
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=chunk).execute(query)
        for part in result.partitions(chunk):
            yield [tuple(row) for row in part]


def check_for_doi(conn: sa.Connection, doi_id: int) -> LandingCheck | None:
    """The last check of one DOI (``heratio-doi show``); None when never checked."""
    row = conn.execute(sa.select(t).where(t.c.doi_id == doi_id)).mappings().first()
    return LandingCheck.from_mapping(row) if row else None
