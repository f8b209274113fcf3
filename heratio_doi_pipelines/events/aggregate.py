"""Daily usage totals per DOI, counted the COUNTER way.

DataCite should receive a few aggregated events (one per DOI, metric and day), not one per
hit. Two COUNTER rules (Code of Practice for Research Data Usage Metrics) apply:

- double-click filtering: repeat hits on the same DOI (and kind) by the same client within
  30 seconds count once; each repeat restarts the 30 seconds, so a burst of reloads is one hit;
- unique counts: one per user-session, a session being one client within one clock hour.

A client is whatever identifies a user to the caller: IP address plus user agent for access
logs, a session id for the web layer. Days and hours are UTC.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date

DOUBLE_CLICK_SECONDS = 30.0
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

UsageKey = tuple[str, str, date]  # (doi, kind, day)

# What ``UsageAggregator.add`` says about a hit (falsy only for a double-click).
DOUBLE_CLICK, COUNTED, NEW_SESSION = 0, 1, 2


def day_of(epoch_seconds: float) -> date:
    return date.fromordinal(_EPOCH_ORDINAL + int(epoch_seconds // 86400))


@dataclass(frozen=True)
class DailyUsage:
    total: int
    unique: int


class UsageAggregator:
    """Feeds hits in time order; ``daily()`` gives totals per (doi, kind, day).

    Per client and DOI it keeps only the last hit's time and the hour of the last counted
    session, so the memory is one small list per (doi, kind, client).
    """

    __slots__ = ("window", "double_clicks", "counted", "_last", "_cells")

    def __init__(self, double_click_seconds: float = DOUBLE_CLICK_SECONDS) -> None:
        self.window = double_click_seconds
        self.double_clicks = 0
        self.counted = 0
        self._last: dict[Hashable, list[float]] = {}
        self._cells: dict[tuple[str, str, int], list[int]] = {}

    def add(self, doi: str, kind: str, client: Hashable, ts: float) -> int:
        """Count one hit at ``ts`` (epoch seconds): DOUBLE_CLICK, COUNTED or NEW_SESSION."""
        return self.add_hit((doi, kind, client), doi, kind, ts)

    def add_hit(self, key: Hashable, doi: str, kind: str, ts: float) -> int:
        """``add`` with the caller's own key for (doi, kind, client), saving a nested tuple."""
        hour = ts // 3600
        seen = self._last.get(key)
        if seen is None:
            self._last[key] = [ts, hour]
            outcome = NEW_SESSION
        else:
            previous = seen[0]
            seen[0] = ts
            if -self.window <= ts - previous <= self.window:
                self.double_clicks += 1
                return DOUBLE_CLICK
            if seen[1] == hour:
                outcome = COUNTED
            else:
                seen[1] = hour
                outcome = NEW_SESSION
        self.counted += 1
        cell_key = (doi, kind, int(ts // 86400))
        cell = self._cells.get(cell_key)
        if cell is None:
            cell = self._cells[cell_key] = [0, 0]
        cell[0] += 1
        if outcome == NEW_SESSION:
            cell[1] += 1
        return outcome

    def prune(self, before_ts: float) -> None:
        """Forget clients idle since ``before_ts`` and days before it (web processes)."""
        day = int(before_ts // 86400)
        self._last = {k: v for k, v in self._last.items() if v[0] >= before_ts}
        self._cells = {k: v for k, v in self._cells.items() if k[2] >= day}

    def daily(self) -> dict[UsageKey, DailyUsage]:
        return {
            (doi, kind, date.fromordinal(_EPOCH_ORDINAL + day)): DailyUsage(cell[0], cell[1])
            for (doi, kind, day), cell in self._cells.items()
        }
