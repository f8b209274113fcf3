"""Heratio's linear back-off: the next try is 5 minutes times the attempt number away."""

from __future__ import annotations

from datetime import datetime, timedelta

BACKOFF_STEP = timedelta(minutes=5)


def next_attempt_at(now: datetime, attempt: int) -> datetime:
    """When a transiently failed item is due again (attempt 1 → +5 min, 2 → +10 min, ...)."""
    return now + BACKOFF_STEP * max(1, attempt)
