"""Monthly report: how many DOIs were minted and how many were updated at DataCite, per month.

Definitions (also in the README's CSV contract):

- ``minted``: DOIs whose ``ahg_doi.minted_at`` falls in the month. Each DOI counts once,
  in the month DataCite first accepted it, whatever its state is now. ``ahg_doi`` is
  used rather than the log because a Heratio site's log may hold retried or
  reconciled mint rows for one DOI, and Heratio's own report counts the same column.
- ``updated``: ``ahg_doi_log`` rows with action ``update`` performed in the month whose
  ``status_after`` is a live DataCite state (draft, registered, findable, tombstone) and
  whose details record neither an error (a failed attempt) nor an unchanged-metadata
  skip. Every metadata update DataCite accepted counts, so one DOI updated twice
  counts twice.

Months are calendar months of the stored (naive UTC) timestamps. The database does the
counting, one indexed range count per month, so a month without rows is simply zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
import sqlalchemy as sa

from heratio_doi_pipelines.reports.connection import report_connection
from heratio_doi_pipelines.reports.months import (
    add_months,
    as_datetime,
    last_months,
    month_label,
    month_range,
    month_start,
)
from heratio_doi_pipelines.store.tables import ahg_doi, ahg_doi_log

MONTHLY_COLUMNS = ["month", "minted", "updated"]
DEFAULT_MONTHS = 24
UPDATE_ACTION = "update"
# status_after values of an update DataCite accepted; a failed attempt on a DOI that
# never reached DataCite is logged with ``failed`` (or nothing).
UPDATE_SUCCESS_STATES = ("draft", "registered", "findable", "tombstone")
# Text in a log row's details that marks an attempt as not an accepted update: a failure
# (``{"error": ...}``, as both Heratio and this pipeline write it) or a skipped update.
NOT_AN_UPDATE_MARKERS = ('%"error"%', "%metadata unchanged%")
# Two counts per month; a statement stays far below every backend's column limit.
STATEMENT_COLUMNS = 240


@dataclass(frozen=True)
class MonthCounts:
    month: str  # YYYY-MM
    minted: int
    updated: int


def successful_update() -> sa.ColumnElement[bool]:
    """The ``ahg_doi_log`` rows the report counts as updates (see the module docstring)."""
    details = sa.cast(ahg_doi_log.c.details, sa.Text)
    return sa.and_(
        ahg_doi_log.c.action == UPDATE_ACTION,
        ahg_doi_log.c.status_after.in_(UPDATE_SUCCESS_STATES),
        sa.or_(
            ahg_doi_log.c.details.is_(None),
            sa.and_(*(details.not_like(marker) for marker in NOT_AN_UPDATE_MARKERS)),
        ),
    )


def _month_count(
    table: sa.Table,
    timestamp: sa.ColumnElement,
    where: Sequence[sa.ColumnElement[bool]],
    month: date,
    label: str,
) -> sa.Label[int]:
    start, end = as_datetime(month), as_datetime(add_months(month, 1))
    return (
        sa.select(sa.func.count())
        .select_from(table)
        .where(timestamp >= start, timestamp < end, *where)
        .scalar_subquery()
        .label(label)
    )


def _counts_per_month(conn: sa.Connection, months: Sequence[date]) -> list[tuple[int, int]]:
    """``(minted, updated)`` for each month, counted by the database in one statement.

    Each month is a range count on the timestamp's index (``minted_at``; ``action,
    performed_at`` for the log), so no per-row date function, sort or temporary table is
    needed, and the SQL is the same on SQLite, PostgreSQL and MySQL.
    """
    columns = []
    for n, month in enumerate(months):
        columns.append(_month_count(ahg_doi, ahg_doi.c.minted_at, [], month, f"minted_{n}"))
        columns.append(
            _month_count(
                ahg_doi_log,
                ahg_doi_log.c.performed_at,
                [successful_update()],
                month,
                f"updated_{n}",
            )
        )
    counts: list[tuple[int, int]] = []
    for first in range(0, len(columns), STATEMENT_COLUMNS):
        row = conn.execute(sa.select(*columns[first : first + STATEMENT_COLUMNS])).one()
        counts.extend(zip(row[0::2], row[1::2], strict=True))
    return [(int(minted), int(updated)) for minted, updated in counts]


def empty_monthly_frame() -> pd.DataFrame:
    """A monthly report with no months, with the report's columns and types."""
    return pd.DataFrame(
        {
            "month": pd.Series(dtype="object"),
            "minted": pd.Series(dtype="int64"),
            "updated": pd.Series(dtype="int64"),
        }
    )


def monthly_counts(engine: sa.Engine, first: date, last: date) -> pd.DataFrame:
    """Minted and updated counts for every month from ``first`` to ``last``, zeros included.

    Columns ``month, minted, updated``; one row per month, oldest first.
    """
    months = month_range(first, last)
    if not months:
        return empty_monthly_frame()
    with report_connection(engine) as conn:
        counts = _counts_per_month(conn, months)
    return pd.DataFrame(
        {
            "month": [month_label(m) for m in months],
            "minted": pd.Series([minted for minted, _ in counts], dtype="int64"),
            "updated": pd.Series([updated for _, updated in counts], dtype="int64"),
        },
        columns=MONTHLY_COLUMNS,
    )


def month_counts(engine: sa.Engine, month: date) -> MonthCounts:
    """One month's counts: what a single monthly partition holds."""
    row = monthly_counts(engine, month_start(month), month_start(month)).iloc[0]
    return MonthCounts(
        month=str(row["month"]), minted=int(row["minted"]), updated=int(row["updated"])
    )


def monthly_report(
    engine: sa.Engine, months: int = DEFAULT_MONTHS, today: date | datetime | None = None
) -> pd.DataFrame:
    """The last ``months`` months up to the current one: the monthly statistics of
    Heratio's DOI report screen."""
    window = last_months(months, today)
    return monthly_counts(engine, window[0], window[-1])
