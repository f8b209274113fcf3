"""Archival dates (AtoM's zero-padded partial dates and free-text display dates) as DataCite dates.

AtoM stores ``event.start_date``/``end_date`` as text with zeros for unknown parts and keeps a
free-text display date in ``event_i18n.date``. DataCite wants W3CDTF dates, ranges as
``start/end`` (RKMS-ISO8601). Rules:

- ``1890-05-17`` kept; ``1890-05-00`` -> ``1890-05``; ``1890-00-00`` -> ``1890``;
  ``0000-00-00`` (any year 0000), ``n.d.``, ``undated`` -> no date, silently; a time part
  (``1890-05-17 00:00:00``) is cut;
- an impossible day or month (``1890-02-30``, ``1890-13-01``) is cut back to what is valid
  (``1890-02``, ``1890``) with a warning;
- start and end both present -> ``start/end``; equal -> one date; end before start -> the two
  are swapped, with a warning; only one present -> that date;
- when the normalised columns are empty, the display date is read:
  ``1890``, ``[1890]``, ``1890-05``, ``1890-05-17`` -> that date;
  ``1890-1900``, ``1890 - 1900``, ``1890–1900``, ``1890 to 1900`` -> ``1890/1900``;
  ``12 May 1890``, ``May 12, 1890`` -> ``1890-05-12``; ``May 1890`` -> ``1890-05``;
  ``1890s`` -> ``1890/1899``; ``[189-]`` -> ``1890/1899``; ``[19--]`` -> ``1900/1999``;
  ``ca. 1900``, ``c. 1900``, ``circa 1900``, ``approx. 1900``, ``about 1900`` -> ``1900`` with
  dateInformation ``circa`` (also for ranges); a trailing ``?`` or ``[1890?]`` -> dateInformation
  ``uncertain``; anything else is dropped with a warning;
- a display date that says "circa" also marks a date taken from the normalised columns.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from functools import lru_cache

CIRCA = "circa"
UNCERTAIN = "uncertain"

_ISO = re.compile(r"^\s*(\d{1,4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[T ]\d{1,2}:\d{2}\S*)?\s*$")
_CIRCA = re.compile(
    r"^\s*[\[(]?\s*(?:ca\.?|c\.|c(?=\d)|circa|approx\.?|approximately|about|around)\s*",
    re.IGNORECASE,
)
_SINGLE = r"\d{4}(?:-\d{1,2}(?:-\d{1,2})?)?"
_RANGE = re.compile(
    rf"^({_SINGLE})\s*(?:-|–|—|/|\bto\b|\buntil\b)\s*(?:ca\.?\s*|c\.\s*|circa\s*)?({_SINGLE})$",
    re.IGNORECASE,
)
_DECADE = re.compile(r"^(\d{3})0'?s$", re.IGNORECASE)
_OPEN_DIGITS = re.compile(r"^(\d{2,3})(-{1,2}|\?{1,2}|[xu]{1,2})$", re.IGNORECASE)
_CENTURY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)\s+(?:century|c\.?)$", re.IGNORECASE)
_MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
MONTHS = (
    {name: i for i, name in enumerate(_MONTH_NAMES, start=1)}
    | {name[:3]: i for i, name in enumerate(_MONTH_NAMES, start=1)}
    | {"sept": 9}
)
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})$", re.I)
_MONTH_DAY_YEAR = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$", re.I)
_MONTH_YEAR = re.compile(r"^([a-z]+)\.?,?\s+(\d{4})$", re.I)
_ALL_ZERO = re.compile(r"^[0\s/-]+$")
_NO_DATE = frozenset(
    {"n.d.", "n.d", "nd", "s.d.", "s.d", "undated", "no date", "unknown", "sans date"}
)


@dataclass(frozen=True)
class DateValue:
    """A cleaned DataCite date: ``value`` is ``YYYY[-MM[-DD]]`` or ``start/end``."""

    value: str
    information: str | None = None


@dataclass(frozen=True)
class _Bound:
    year: int
    month: int | None = None
    day: int | None = None

    def text(self) -> str:
        out = f"{self.year:04d}"
        if self.month:
            out += f"-{self.month:02d}"
            if self.day:
                out += f"-{self.day:02d}"
        return out

    def lower(self) -> tuple[int, int, int]:
        return (self.year, self.month or 1, self.day or 1)

    def upper(self) -> tuple[int, int, int]:
        month = self.month or 12
        return (self.year, month, self.day or calendar.monthrange(self.year, month)[1])


def _iso_bound(text: str, label: str, warnings: list[str]) -> _Bound | None:
    """Parse ``YYYY[-MM[-DD]]`` with AtoM's zeros for unknown parts; None when no date."""
    match = _ISO.match(text)
    if not match:
        return None
    year = int(match.group(1))
    month = int(match.group(2) or 0)
    day = int(match.group(3) or 0)
    if year == 0:
        return None
    if month > 12:
        warnings.append(f"{label}: month {month} in '{text.strip()}' is impossible: kept the year")
        return _Bound(year)
    if not month:
        return _Bound(year)
    if day > calendar.monthrange(year, month)[1]:
        warnings.append(f"{label}: day {day} in '{text.strip()}' is impossible: kept year-month")
        return _Bound(year, month)
    return _Bound(year, month, day or None)


def _combine(start: _Bound | None, end: _Bound | None, label: str, warnings: list[str]) -> str:
    if start and end:
        if start.lower() > end.upper():
            warnings.append(f"{label}: end {end.text()} is before start {start.text()}: swapped")
            start, end = end, start
        if start == end:
            return start.text()
        return f"{start.text()}/{end.text()}"
    bound = start or end
    assert bound is not None
    return bound.text()


def _has_circa(text: str | None) -> bool:
    return bool(text and _CIRCA.match(text))


def parse_display_date(text: str, label: str, warnings: list[str]) -> DateValue | None:
    """Read a free-text display date; None (with a warning) when it is not understood."""
    raw = " ".join(text.split())
    if not raw:
        return None
    information: str | None = None
    body = raw
    circa = _CIRCA.match(body)
    if circa:
        information = CIRCA
        body = body[circa.end() :]
    body = body.strip().strip("[]()").strip()
    if body.lower() in _NO_DATE or _ALL_ZERO.match(body):
        return None
    body = body.rstrip(".").strip()
    local: list[str] = []
    value = _parse_body(body, label, local)
    if value is None and body.endswith("?"):
        information = information or UNCERTAIN
        value = _parse_body(body.rstrip("?").strip().strip("[]()").strip(), label, local)
    if value is None:
        warnings.append(f"{label}: date '{raw}' not understood: dropped")
        return None
    warnings.extend(local)
    return DateValue(value, information)


def _parse_body(body: str, label: str, warnings: list[str]) -> str | None:
    if re.fullmatch(_SINGLE, body):
        bound = _iso_bound(body, label, warnings)
        return bound.text() if bound else None
    match = _RANGE.match(body)
    if match:
        start = _iso_bound(match.group(1), label, warnings)
        end = _iso_bound(match.group(2), label, warnings)
        if not start and not end:
            return None
        return _combine(start, end, label, warnings)
    match = _DECADE.match(body)
    if match:
        decade = int(match.group(1)) * 10
        return f"{decade:04d}/{decade + 9:04d}" if decade else None
    match = _OPEN_DIGITS.match(body)
    if match:
        digits, unknown = match.group(1), match.group(2)
        if len(digits) + len(unknown) != 4:
            return None
        first = int(digits + "0" * len(unknown))
        last = int(digits + "9" * len(unknown))
        return f"{first:04d}/{last:04d}" if last else None
    written = _written_date(body)
    if written:
        bound = _iso_bound(written, label, warnings)
        return bound.text() if bound else None
    match = _CENTURY.match(body)
    if match and int(match.group(1)) > 0:
        first = (int(match.group(1)) - 1) * 100
        return f"{max(first, 1):04d}/{first + 99:04d}"
    return None


def _written_date(body: str) -> str | None:
    """``12 May 1890``, ``May 12, 1890``, ``May 1890`` (English month names) as ISO text."""
    match = _DAY_MONTH_YEAR.match(body)
    if match and match.group(2).lower() in MONTHS:
        return f"{match.group(3)}-{MONTHS[match.group(2).lower()]:02d}-{int(match.group(1)):02d}"
    match = _MONTH_DAY_YEAR.match(body)
    if match and match.group(1).lower() in MONTHS:
        return f"{match.group(3)}-{MONTHS[match.group(1).lower()]:02d}-{int(match.group(2)):02d}"
    match = _MONTH_YEAR.match(body)
    if match and match.group(1).lower() in MONTHS:
        return f"{match.group(2)}-{MONTHS[match.group(1).lower()]:02d}"
    return None


def event_date(
    start_date: str | None,
    end_date: str | None,
    display: str | None,
    label: str,
    warnings: list[str],
) -> DateValue | None:
    """The DataCite date for one catalogue event, or None when it has no usable date."""
    value, notes = _cached_event_date(start_date, end_date, display, label)
    warnings.extend(notes)
    return value


@lru_cache(maxsize=8192)  # a catalogue repeats the same few thousand dates in many records
def _cached_event_date(
    start_date: str | None, end_date: str | None, display: str | None, label: str
) -> tuple[DateValue | None, tuple[str, ...]]:
    """``event_date``'s value and warnings (DateValue is frozen, so sharing it is safe)."""
    warnings: list[str] = []
    value = _event_date(start_date, end_date, display, label, warnings)
    return value, tuple(warnings)


def _event_date(
    start_date: str | None,
    end_date: str | None,
    display: str | None,
    label: str,
    warnings: list[str],
) -> DateValue | None:
    start = _column_bound(start_date, label, warnings)
    end = _column_bound(end_date, label, warnings)
    if start or end:
        information = CIRCA if _has_circa(display) else None
        return DateValue(_combine(start, end, label, warnings), information)
    if display and display.strip():
        return parse_display_date(display, label, warnings)
    return None


def _column_bound(text: str | None, label: str, warnings: list[str]) -> _Bound | None:
    """A normalised date column; messy text in it goes through the display-date reader."""
    if text is None or not str(text).strip():
        return None
    text = str(text)
    if _ISO.match(text):
        return _iso_bound(text, label, warnings)
    parsed = parse_display_date(text, label, warnings)
    if parsed is None:
        return None
    first = parsed.value.split("/")[0]
    return _iso_bound(first, label, warnings)


def earliest_year(value: str) -> int | None:
    """The first year of a cleaned date or range (for publicationYear)."""
    head = value.split("/")[0]
    return int(head[:4]) if head[:4].isdigit() else None
