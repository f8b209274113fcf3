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

Months are calendar months of the stored (naive UTC) timestamps. The counting happens in
the database (GROUP BY on a month bucket); Python only fills in the months with no rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
import sqlalchemy as sa

from heratio_doi_pipelines.reports.months import (
    add_months,
    as_datetime,
    last_months,
    month_bucket,
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


def _counts_by_month(
    conn: sa.Connection,
    timestamp: sa.ColumnElement,
    where: Sequence[sa.ColumnElement[bool]],
    start: datetime,
    end: datetime,
) -> dict[str, int]:
    """Rows per ``YYYY-MM`` of ``timestamp`` in ``[start, end)``, grouped by the database.

    The bucket is labelled in a subquery and grouped outside it, because PostgreSQL and
    MySQL reject a GROUP BY whose format argument is a second bound parameter.
    """
    inner = (
        sa.select(month_bucket(timestamp, conn.dialect.name).label("month"))
        .where(timestamp >= start, timestamp < end, *where)
        .subquery("rows_in_range")
    )
    rows = conn.execute(
        sa.select(inner.c.month, sa.func.count().label("n")).group_by(inner.c.month)
    )
    return {str(row.month): int(row.n) for row in rows}


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
    start = as_datetime(months[0])
    end = as_datetime(add_months(months[-1], 1))
    with engine.connect() as conn:
        minted = _counts_by_month(conn, ahg_doi.c.minted_at, [], start, end)
        updated = _counts_by_month(
            conn, ahg_doi_log.c.performed_at, [successful_update()], start, end
        )
    labels = [month_label(m) for m in months]
    return pd.DataFrame(
        {
            "month": labels,
            "minted": [minted.get(label, 0) for label in labels],
            "updated": [updated.get(label, 0) for label in labels],
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
    """The last ``months`` months up to the current one: the seed's monthly statistics."""
    window = last_months(months, today)
    return monthly_counts(engine, window[0], window[-1])
