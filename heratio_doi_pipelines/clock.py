"""One notion of "now": naive UTC, as Heratio's MySQL DATETIME columns store it."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
