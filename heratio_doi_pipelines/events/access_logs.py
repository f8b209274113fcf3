"""Metrics backfill: record views and downloads from web-server access logs.

Logs are in the combined format (Apache ``combined``, nginx's default), plain or gzip
(detected by content, not name). A line counts when it is a ``GET`` answered 200 or 304 for
a path in the ``UsageMap`` (a show page or a download of a record with a DOI), from a client
that is not a robot. Hits then go through the COUNTER aggregation (double-click filter,
unique sessions) into daily totals per DOI, which replace the log's earlier contribution
(see ``usage``): re-running over the same logs changes nothing.

Robots: a user agent on COUNTER's robots or machines list (the ``counter-robots`` package,
version ``ROBOTS_LIST_VERSION``), or an empty one (``-``), is skipped and counted as ``bots``.

Speed: one compiled regular expression on undecoded bytes per line, dictionary lookups for
paths, cached robot decisions per user agent and cached day arithmetic for timestamps; only
lines that hit a record go further than the regex. Lines that are not in the combined
format are ``malformed`` and skipped.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import BinaryIO

import counter_robots
import sqlalchemy as sa

from heratio_doi_pipelines.events.aggregate import DailyUsage, UsageAggregator, UsageKey
from heratio_doi_pipelines.events.identity import DOWNLOAD, VIEW
from heratio_doi_pipelines.events.store import RecordSummary
from heratio_doi_pipelines.events.targets import UsageMap, load_usage_map
from heratio_doi_pipelines.events.usage import refresh_usage_events, replace_contributions
from heratio_doi_pipelines.store.schema import require_tables

ROBOTS_LIST_VERSION = counter_robots.__version__


def is_robot_agent(agent: bytes) -> bool:
    """True for COUNTER's robots and machines (the COUNTER-Robots lists), and for no agent."""
    text = agent.decode("utf-8", "replace").strip()
    return text in ("", "-") or counter_robots.is_robot_or_machine(text)


# host ident user [time] "request" status bytes "referer" "user agent"
_LINE = re.compile(
    rb"(\S+) \S+ \S+ \[(\d\d/\w\w\w/\d{4}:\d\d:\d\d):(\d\d) ([+-]\d{4})\] "
    rb'"(?:(\S+) (\S+)[^"]*|[^"]*)" (\d{3}) \S+ "[^"]*" "(.*)"'
)
_MONTHS = {
    m.encode(): i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_ROBOT_CACHE_MAX = 200_000
PROGRESS_EVERY_LINES = 65_536
GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class LogStats:
    """What one pass over a log found; every line lands in exactly one of the first five."""

    lines: int = 0
    malformed: int = 0
    bots: int = 0
    counted: int = 0
    double_clicks: int = 0
    other: int = 0  # well-formed lines that are not a hit on a record with a DOI
    out_of_range: int = 0  # hits outside --since/--until (part of ``other``)
    views: int = 0
    downloads: int = 0
    first_day: date | None = None
    last_day: date | None = None

    def __iadd__(self, other: LogStats) -> LogStats:
        for name in (
            "lines",
            "malformed",
            "bots",
            "counted",
            "double_clicks",
            "other",
            "out_of_range",
            "views",
            "downloads",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        days = [d for d in (self.first_day, self.last_day, other.first_day, other.last_day) if d]
        self.first_day, self.last_day = (min(days), max(days)) if days else (None, None)
        return self


@dataclass
class ParsedLog:
    path: str
    source_key: str
    stats: LogStats
    daily: dict[UsageKey, DailyUsage]


class _Minutes:
    """``10/Oct/2026:13:55`` + zone ``-0700`` → epoch seconds of that minute, cached."""

    __slots__ = ("_cache",)

    def __init__(self) -> None:
        self._cache: dict[bytes, tuple[bytes, int]] = {}

    def epoch(self, minute: bytes, zone: bytes) -> int | None:
        cached = self._cache.get(minute)
        if cached is not None and cached[0] == zone:
            return cached[1]
        try:
            ordinal = date(int(minute[7:11]), _MONTHS[minute[3:6]], int(minute[0:2])).toordinal()
            offset = int(zone[1:3]) * 3600 + int(zone[3:5]) * 60
            value = (
                (ordinal - _EPOCH_ORDINAL) * 86400
                + int(minute[12:14]) * 3600
                + int(minute[15:17]) * 60
                - (-offset if zone[:1] == b"-" else offset)
            )
        except (KeyError, ValueError):
            return None
        self._cache[minute] = (zone, value)
        return value


def open_log(path: Path | str) -> tuple[BinaryIO, BinaryIO]:
    """(line stream, raw file): gzip is detected by its magic bytes, whatever the name."""
    raw = open(path, "rb")  # noqa: SIM115 - closed by the caller with the stream
    magic = raw.read(2)
    raw.seek(0)
    if magic == GZIP_MAGIC:
        stream: BinaryIO = io.BufferedReader(gzip.GzipFile(fileobj=raw), buffer_size=1 << 20)
        return stream, raw
    return raw, raw


def log_source_key(path: Path | str) -> str | None:
    """``log:<sha256 of the first line>``: the same for a log after rotation and gzip."""
    stream, raw = open_log(path)
    try:
        first = stream.readline()
    finally:
        stream.close()
        raw.close()
    if not first.strip():
        return None
    return "log:" + hashlib.sha256(first.rstrip(b"\r\n")).hexdigest()


def _epoch_bound(day: date | None, *, end: bool = False) -> float | None:
    if day is None:
        return None
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
    return moment + 86400 if end else moment


def parse_lines(
    lines: Iterable[bytes],
    usage_map: UsageMap,
    *,
    since: date | None = None,
    until: date | None = None,
    aggregator: UsageAggregator | None = None,
    on_lines: Callable[[int], None] | None = None,
) -> tuple[LogStats, UsageAggregator]:
    """Count the hits in ``lines``; ``on_lines(n)`` is called every 65,536 lines."""
    agg = aggregator or UsageAggregator()
    add = agg.add_hit
    match = _LINE.match
    views_get = usage_map.views.get
    downloads_get = usage_map.downloads.get
    minute_epoch = _Minutes().epoch
    robots: dict[bytes, bool] = {}
    start = _epoch_bound(since)
    stop = _epoch_bound(until, end=True)
    lo = start if start is not None else float("-inf")
    hi = stop if stop is not None else float("inf")
    n = malformed = bots = other = out_of_range = views = downloads = 0
    for line in lines:
        n += 1
        if not n & 0xFFFF and on_lines is not None:
            on_lines(PROGRESS_EVERY_LINES)
        m = match(line)
        if m is None:
            if line.strip():
                malformed += 1
            else:
                other += 1
            continue
        host, minute, second, zone, method, path, status, agent = m.groups()
        if method != b"GET" or (status != b"200" and status != b"304"):
            other += 1
            continue
        q = path.find(b"?")
        if q >= 0:
            path = path[:q]
        if len(path) > 1 and path[-1] == 47:  # trailing "/"
            path = path[:-1]
        doi = views_get(path)
        if doi is not None:
            kind = VIEW
        else:
            doi = downloads_get(path)
            if doi is None:
                other += 1
                continue
            kind = DOWNLOAD
        is_robot = robots.get(agent)
        if is_robot is None:
            if len(robots) > _ROBOT_CACHE_MAX:
                robots.clear()
            is_robot = robots[agent] = is_robot_agent(agent)
        if is_robot:
            bots += 1
            continue
        base = minute_epoch(minute, zone)
        if base is None:
            malformed += 1
            continue
        ts = base + int(second)
        if ts < lo or ts >= hi:
            other += 1
            out_of_range += 1
            continue
        if kind == VIEW:
            views += 1
        else:
            downloads += 1
        add((doi, kind, host, agent), doi, kind, ts)
    if on_lines is not None and n & 0xFFFF:
        on_lines(n & 0xFFFF)
    stats = LogStats(
        lines=n,
        malformed=malformed,
        bots=bots,
        counted=0,
        other=other,
        out_of_range=out_of_range,
        views=views,
        downloads=downloads,
    )
    return stats, agg


def parse_access_log(
    path: Path | str,
    usage_map: UsageMap,
    *,
    since: date | None = None,
    until: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> ParsedLog:
    """Parse one log; ``progress(n)`` receives bytes read from disk (compressed for gzip)."""
    source_key = log_source_key(path) or f"log:empty:{Path(path).name}"
    stream, raw = open_log(path)
    position = [0]

    def on_lines(_count: int) -> None:
        if progress is not None:
            now = raw.tell()
            progress(now - position[0])
            position[0] = now

    try:
        stats, agg = parse_lines(stream, usage_map, since=since, until=until, on_lines=on_lines)
    finally:
        if progress is not None:
            size = Path(path).stat().st_size
            progress(max(0, size - position[0]))
        stream.close()
        raw.close()
    daily = agg.daily()
    stats.counted = agg.counted
    stats.double_clicks = agg.double_clicks
    if daily:
        stats.first_day = min(day for _, _, day in daily)
        stats.last_day = max(day for _, _, day in daily)
    return ParsedLog(str(path), source_key, stats, daily)


@dataclass
class BackfillReport:
    files: list[ParsedLog] = field(default_factory=list)
    stats: LogStats = field(default_factory=LogStats)
    events: RecordSummary = field(default_factory=RecordSummary)
    contributions_changed: int = 0
    seconds: float = 0.0
    dois_mapped: int = 0

    @property
    def lines_per_second(self) -> float:
        return self.stats.lines / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        s = self.stats
        return (
            f"{s.lines} lines in {len(self.files)} file(s): {s.views} views and "
            f"{s.downloads} downloads of records with a DOI ({s.counted} counted after "
            f"{s.double_clicks} double-clicks), {s.bots} robot hits skipped, {s.malformed} "
            f"malformed lines skipped; usage events: {self.events.created} new, "
            f"{self.events.updated} changed, {self.events.unchanged} unchanged"
        )


def backfill_metrics(
    doi_engine: sa.Engine,
    catalogue_engine: sa.Engine,
    paths: Sequence[Path | str],
    *,
    since: date | None = None,
    until: date | None = None,
    usage_map: UsageMap | None = None,
    progress: Callable[[int], None] | None = None,
) -> BackfillReport:
    """Parse each log and write its daily usage (one transaction per file)."""
    require_tables(doi_engine, ("ahg_datacite_event", "heratio_doi_usage_count"))
    started = time.perf_counter()
    usage_map = usage_map if usage_map is not None else load_usage_map(doi_engine, catalogue_engine)
    report = BackfillReport(dois_mapped=usage_map.dois)
    for path in paths:
        parsed = parse_access_log(path, usage_map, since=since, until=until, progress=progress)
        report.files.append(parsed)
        report.stats += parsed.stats
        with doi_engine.begin() as conn:
            change = replace_contributions(
                conn, parsed.source_key, parsed.daily, since=since, until=until
            )
            report.contributions_changed += len(change.affected)
            report.events += refresh_usage_events(conn, change.affected)
    report.seconds = time.perf_counter() - started
    return report
