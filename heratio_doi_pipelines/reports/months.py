"""Calendar months as report buckets: ``YYYY-MM`` labels and their timestamp ranges.

A month is the half-open range ``[first day 00:00, first day of the next month 00:00)`` of
the stored naive-UTC timestamps, so the database can count it on an index with the same
SQL on every backend.
"""

from __future__ import annotations

from datetime import date, datetime

from heratio_doi_pipelines.clock import utcnow


def month_start(day: date | datetime) -> date:
    """The first day of the month ``day`` falls in."""
    return date(day.year, day.month, 1)


def add_months(month: date, count: int) -> date:
    """The first day of the month ``count`` months after (or before) ``month``."""
    index = month.year * 12 + (month.month - 1) + count
    return date(index // 12, index % 12 + 1, 1)


def month_label(month: date) -> str:
    """``YYYY-MM``: the month key used in SQL buckets, CSV rows and file names."""
    return f"{month.year:04d}-{month.month:02d}"


def month_range(first: date, last: date) -> list[date]:
    """Every month from ``first`` to ``last`` inclusive, oldest first."""
    first, last = month_start(first), month_start(last)
    months = []
    while first <= last:
        months.append(first)
        first = add_months(first, 1)
    return months


def last_months(count: int = 24, today: date | datetime | None = None) -> list[date]:
    """The ``count`` months ending with the current one (which may still be in progress)."""
    current = month_start(today or utcnow())
    return month_range(add_months(current, -(count - 1)), current)


def as_datetime(day: date) -> datetime:
    """Midnight at the start of ``day``: the bound for timestamp range filters."""
    return datetime(day.year, day.month, day.day)
