"""One notion of "now": naive UTC, as Heratio's MySQL DATETIME columns store it."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)
