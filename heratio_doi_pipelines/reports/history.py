"""Per-DOI history, the browse list and the queue list: Heratio's DOI view, browse and
queue screens.

Each is one page of rows from the ahg_* tables plus one batched title lookup in the
catalogue, so the terminal views stay fast on a large archive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa

from heratio_doi_pipelines.queue.actions import IN_FLIGHT, action_of
from heratio_doi_pipelines.reports.dashboard import titles_if_available
from heratio_doi_pipelines.store.tables import ahg_doi, ahg_doi_log, ahg_doi_queue

PAGE_SIZE = 20
_DOI_PREFIXES = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", re.IGNORECASE)

T = TypeVar("T")


@dataclass(frozen=True)
class LogEntry:
    id: int
    performed_at: datetime | None
    action: str
    status_before: str | None
    status_after: str | None
    details: Any
    performed_by: int | None


@dataclass(frozen=True)
class DoiHistory:
    id: int
    doi: str
    information_object_id: int
    title: str | None
    status: str
    datacite_state: str | None
    url: str | None
    created_at: datetime | None
    minted_at: datetime | None
    updated_at: datetime | None
    last_sync_at: datetime | None
    last_error: str | None
    log: list[LogEntry] = field(default_factory=list)


@dataclass(frozen=True)
class BrowseRow:
    id: int
    doi: str
    information_object_id: int
    title: str | None
    status: str
    minted_at: datetime | None
    updated_at: datetime | None


@dataclass(frozen=True)
class QueueRow:
    id: int
    information_object_id: int
    title: str | None
    action: str
    status: str
    attempts: int
    max_attempts: int
    scheduled_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int
    requested_page: int = 0  # the page asked for, when past the last one (then clamped)

    @property
    def pages(self) -> int:
        return pages_for(self.total, self.per_page)

    @property
    def clamped(self) -> bool:
        return self.requested_page > self.page


def pages_for(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def normalise_doi(text: str) -> str:
    """A DOI as stored: without the resolver URL or ``doi:`` prefix, surrounding space."""
    return _DOI_PREFIXES.sub("", text.strip())


def _find_doi(conn: sa.Connection, doi_or_id: str) -> sa.Row | None:
    cols = [
        ahg_doi.c.id,
        ahg_doi.c.doi,
        ahg_doi.c.information_object_id,
        ahg_doi.c.status,
        ahg_doi.c.datacite_state,
        ahg_doi.c.url,
        ahg_doi.c.created_at,
        ahg_doi.c.minted_at,
        ahg_doi.c.updated_at,
        ahg_doi.c.last_sync_at,
        ahg_doi.c.last_error,
    ]
    text = normalise_doi(doi_or_id)
    if text.isdigit():  # Heratio's /admin/doi/view/{id}: a DOI always contains a slash
        return conn.execute(sa.select(*cols).where(ahg_doi.c.id == int(text))).first()
    row = conn.execute(sa.select(*cols).where(ahg_doi.c.doi == text)).first()
    if row is None:  # DOIs are case-insensitive; the exact match above uses the index
        row = conn.execute(
            sa.select(*cols).where(sa.func.lower(ahg_doi.c.doi) == text.lower())
        ).first()
    return row


def doi_history(
    engine: sa.Engine,
    doi_or_id: str,
    catalogue_engine: sa.Engine | None = None,
    fallback_culture: str = "en",
) -> DoiHistory | None:
    """A DOI with its record, state, timestamps and full activity log (oldest first).

    The log includes rows written before the DOI row existed (a failed first mint is
    logged against the record only), matched by the record id.
    """
    with engine.connect() as conn:
        row = _find_doi(conn, doi_or_id)
        if row is None:
            return None
        log_rows = conn.execute(
            sa.select(
                ahg_doi_log.c.id,
                ahg_doi_log.c.performed_at,
                ahg_doi_log.c.action,
                ahg_doi_log.c.status_before,
                ahg_doi_log.c.status_after,
                ahg_doi_log.c.details,
                ahg_doi_log.c.performed_by,
            )
            .where(
                sa.or_(
                    ahg_doi_log.c.doi_id == row.id,
                    sa.and_(
                        ahg_doi_log.c.doi_id.is_(None),
                        ahg_doi_log.c.information_object_id == row.information_object_id,
                    ),
                )
            )
            .order_by(ahg_doi_log.c.performed_at, ahg_doi_log.c.id)
        ).all()
    titles = titles_if_available(catalogue_engine, [row.information_object_id], fallback_culture)
    return DoiHistory(
        id=row.id,
        doi=row.doi,
        information_object_id=row.information_object_id,
        title=titles.get(row.information_object_id),
        status=row.status,
        datacite_state=row.datacite_state,
        url=row.url,
        created_at=row.created_at,
        minted_at=row.minted_at,
        updated_at=row.updated_at,
        last_sync_at=row.last_sync_at,
        last_error=row.last_error,
        log=[LogEntry(**entry._asdict()) for entry in log_rows],
    )


def _page_bounds(page: int, per_page: int, total: int) -> tuple[int, int]:
    """The page to show (past the last one: the last one) and its row offset."""
    if page < 1:
        raise ValueError("page numbers start at 1")
    if per_page < 1:
        raise ValueError("per_page must be at least 1")
    page = min(page, pages_for(total, per_page))
    return page, (page - 1) * per_page


def _one_page(
    engine: sa.Engine,
    table: sa.Table,
    where: list[sa.ColumnElement[bool]],
    query: sa.Select,
    page: int,
    per_page: int,
) -> tuple[list[sa.Row], int, int]:
    """The rows of one page of ``query`` (ordered) filtered by ``where``: rows, page, total."""
    with engine.connect() as conn:
        count = sa.select(sa.func.count()).select_from(table).where(*where)
        total = int(conn.execute(count).scalar_one())
        page, offset = _page_bounds(page, per_page, total)
        rows = conn.execute(query.where(*where).limit(per_page).offset(offset)).all()
    return list(rows), page, total


def browse_dois(
    engine: sa.Engine,
    *,
    state: str | None = None,
    page: int = 1,
    per_page: int = PAGE_SIZE,
    catalogue_engine: sa.Engine | None = None,
    fallback_culture: str = "en",
) -> Page[BrowseRow]:
    """One page of DOIs, most recently minted first (never-minted ones last)."""
    requested = page
    where = [ahg_doi.c.status == state] if state else []
    query = sa.select(
        ahg_doi.c.id,
        ahg_doi.c.doi,
        ahg_doi.c.information_object_id,
        ahg_doi.c.status,
        ahg_doi.c.minted_at,
        ahg_doi.c.updated_at,
    ).order_by(
        # NULLS LAST spelled portably: MySQL has no NULLS LAST clause.
        sa.case((ahg_doi.c.minted_at.is_(None), 1), else_=0),
        ahg_doi.c.minted_at.desc(),
        ahg_doi.c.id.desc(),
    )
    rows, page, total = _one_page(engine, ahg_doi, where, query, page, per_page)
    titles = titles_if_available(
        catalogue_engine, [row.information_object_id for row in rows], fallback_culture
    )
    items = [
        BrowseRow(**row._asdict(), title=titles.get(row.information_object_id)) for row in rows
    ]
    return Page(items=items, page=page, per_page=per_page, total=total, requested_page=requested)


def list_queue(
    engine: sa.Engine,
    *,
    status: str | None = None,
    page: int = 1,
    per_page: int = PAGE_SIZE,
    catalogue_engine: sa.Engine | None = None,
    fallback_culture: str = "en",
) -> Page[QueueRow]:
    """One page of queue items, newest first.

    ``processing`` also lists Heratio's ``in_progress`` items: both mean a worker holds them.
    """
    requested = page
    q = ahg_doi_queue
    where: list[sa.ColumnElement[bool]] = []
    if status in IN_FLIGHT:
        where.append(q.c.status.in_(IN_FLIGHT))
    elif status:
        where.append(q.c.status == status)
    query = sa.select(
        q.c.id,
        q.c.information_object_id,
        q.c.action,
        q.c.pipeline_action,
        q.c.status,
        q.c.attempts,
        q.c.max_attempts,
        q.c.scheduled_at,
        q.c.last_error,
    ).order_by(q.c.id.desc())
    rows, page, total = _one_page(engine, q, where, query, page, per_page)
    titles = titles_if_available(
        catalogue_engine, [row.information_object_id for row in rows], fallback_culture
    )
    items = [
        QueueRow(
            id=row.id,
            information_object_id=row.information_object_id,
            title=titles.get(row.information_object_id),
            action=action_of(row.action, row.pipeline_action),
            status=row.status,
            attempts=row.attempts,
            max_attempts=row.max_attempts,
            scheduled_at=row.scheduled_at,
            last_error=row.last_error,
        )
        for row in rows
    ]
    return Page(items=items, page=page, per_page=per_page, total=total, requested_page=requested)
