"""Monthly COUNTER usage report (SUSHI JSON), the way DataCite really takes usage.

DataCite does not let repositories write usage events; it takes a monthly report at
``/reports`` with a Bearer token and turns it into ``datacite-usage`` events. The report is
built from the same daily usage totals the events flush sends (``usage_month``), in the
release ``doi_usage_report_release`` names (``RELEASES``): ``rd1``, the Code of Practice for
Research Data Usage Metrics (the default, ``counter_rd1``), or ``r5.1``, COUNTER Release 5.1's
Item Report (``counter_r51``). It is gzip-compressed (with the code-69 "compressed" exception
DataCite asks for in the header) and sent with ``PUT /reports/{id}`` under a UUID derived from
the repository and month, kept in ``heratio_doi_usage_report``: re-running a month updates the
same report, whichever release it is in. A 202 means "accepted, pending validation"; the
report is then polled until accepted or rejected.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from heratio_doi_pipelines.clock import utcnow
from heratio_doi_pipelines.datacite.errors import DataCiteError, describe_errors
from heratio_doi_pipelines.datacite.events_client import (
    REPORT_ACCEPTED,
    REPORT_PENDING,
    REPORT_REJECTED,
    EventsClient,
)
from heratio_doi_pipelines.errors import HeratioDoiError
from heratio_doi_pipelines.events import counter_r51, counter_rd1
from heratio_doi_pipelines.events.config import EventsConfig
from heratio_doi_pipelines.events.usage_month import MonthUsage, month_usage
from heratio_doi_pipelines.reports.months import month_label
from heratio_doi_pipelines.store.schema import require_tables
from heratio_doi_pipelines.store.tables import heratio_doi_usage_report

REPORT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://heratio.org/ns/counter-usage-report")
MAX_DATASETS = 50_000  # DataCite's limit per report
BEARER_NEEDED = (
    "usage reports need a DataCite Bearer token (datacite_api_token / DATACITE_API_TOKEN): "
    "DataCite does not accept repository credentials at /reports"
)


class UsageReportError(HeratioDoiError):
    """The report cannot be sent as configured (no Bearer token, too many datasets, a release
    the pipeline cannot write)."""


@dataclass(frozen=True)
class ReportRelease:
    """How one COUNTER release shapes the month's usage, counts its items and tells a change."""

    name: str  # as ``doi_usage_report_release`` names it
    build: Callable[..., dict[str, Any]]  # (MonthUsage, EventsConfig, compress=, created=)
    datasets: Callable[[dict[str, Any]], int]
    content: Callable[[dict[str, Any]], Any]  # what DataCite would see change


RELEASES: dict[str, ReportRelease] = {
    "rd1": ReportRelease(
        "rd1", counter_rd1.dataset_report, counter_rd1.datasets, counter_rd1.content
    ),
    "r5.1": ReportRelease(
        "r5.1", counter_r51.item_report, counter_r51.datasets, counter_r51.content
    ),
}
DEFAULT_RELEASE = "rd1"


def report_release(value: str | None) -> ReportRelease:
    """The release ``doi_usage_report_release`` names (``rd1`` when unset); any other value
    is an error naming the choices."""
    text = (value or DEFAULT_RELEASE).strip().lower()
    if text not in RELEASES:
        raise UsageReportError(
            f"doi_usage_report_release {value!r} is not a usage report release the pipeline "
            f"writes: choose one of {', '.join(RELEASES)}"
        )
    return RELEASES[text]


@dataclass
class UsageReportResult:
    month: str
    report_id: str
    status: str  # empty | unchanged | pending | accepted | rejected | failed
    datasets: int
    http_status: int | None = None
    polls: int = 0
    message: str = ""
    release: str = ""  # the release built (a follow-up builds nothing)
    report: dict[str, Any] = field(default_factory=dict, repr=False)

    def summary(self) -> str:
        built = f"{self.release}, " if self.release else ""
        text = (
            f"usage report {self.month} ({built}{self.report_id}): {self.status}, "
            f"{self.datasets} datasets"
        )
        return f"{text}; {self.message}" if self.message else text


def report_id_for(repository_id: str, month: date) -> str:
    """A UUID (DataCite requires one) that is the same for a repository and month forever."""
    return str(
        uuid.uuid5(REPORT_NAMESPACE, f"{repository_id.strip().lower()}|{month_label(month)}")
    )


def build_usage_report(
    doi_engine: sa.Engine,
    config: EventsConfig,
    month: date,
    *,
    compress: bool = True,
    created: date | datetime | None = None,
    usage: MonthUsage | None = None,
) -> dict[str, Any]:
    """The report of ``month`` in the configured release (``config.usage_report_release``)."""
    release = report_release(config.usage_report_release)
    if created is None:
        created = utcnow()
    elif not isinstance(created, datetime):
        created = datetime(created.year, created.month, created.day)
    usage = usage or month_usage(doi_engine, month)
    return release.build(usage, config, compress=compress, created=created)


def _content_hash(release: ReportRelease, report: dict[str, Any]) -> str:
    """What DataCite would see change (the creation time does not count)."""
    body = release.content(report)
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _report_row(conn: sa.Connection, month: date, report_id: str) -> Any:
    t = heratio_doi_usage_report
    label = month_label(month)
    row = conn.execute(sa.select(t).where(t.c.month == label)).first()
    if row is None:
        now = utcnow()
        conn.execute(
            t.insert().values(
                month=label, report_id=report_id, status="built", created_at=now, updated_at=now
            )
        )
        row = conn.execute(sa.select(t).where(t.c.month == label)).first()
    return row


def _save(engine: sa.Engine, month: date, **values: Any) -> None:
    t = heratio_doi_usage_report
    with engine.begin() as conn:
        conn.execute(
            t.update().where(t.c.month == month_label(month)).values(updated_at=utcnow(), **values)
        )


def submit_usage_report(
    doi_engine: sa.Engine,
    config: EventsConfig,
    month: date,
    *,
    compress: bool = True,
    force: bool = False,
    max_polls: int = 12,
    poll_interval_s: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
) -> UsageReportResult:
    """Build, send and follow up the report of ``month``; see the module docstring.

    Unless ``force``: an unchanged report DataCite accepted is not sent again, and an
    unchanged one it is still validating is only followed up.
    """
    require_tables(doi_engine, ("ahg_datacite_event", "heratio_doi_usage_report"))
    release = report_release(config.usage_report_release)
    if not config.uses_bearer:
        raise UsageReportError(BEARER_NEEDED)
    report = build_usage_report(doi_engine, config, month, compress=compress)
    datasets = release.datasets(report)
    if datasets > MAX_DATASETS:
        raise UsageReportError(
            f"{datasets} datasets had usage in {month_label(month)}; DataCite takes at most "
            f"{MAX_DATASETS} per report"
        )
    with doi_engine.begin() as conn:
        row = _report_row(conn, month, report_id_for(config.repository_id, month))
    result = UsageReportResult(
        month_label(month), row.report_id, "built", datasets, release=release.name, report=report
    )
    content = _content_hash(release, report)
    if datasets == 0:
        result.status, result.message = "empty", "no usage recorded for the month; nothing sent"
        _save(doi_engine, month, status="empty", datasets=0, payload_hash=content)
        return result
    if not force and row.status == REPORT_ACCEPTED and row.payload_hash == content:
        result.status, result.message = "unchanged", "DataCite already accepted this report"
        return result
    client = config.open_client()
    try:
        if not force and row.status == REPORT_PENDING and row.payload_hash == content:
            result.status = REPORT_PENDING
            return _follow_up(doi_engine, client, month, result, max_polls, poll_interval_s, sleep)
        try:
            answer = client.put_report(row.report_id, report, compress=compress)
        except DataCiteError as exc:
            result.status, result.http_status, result.message = "failed", exc.status, str(exc)
            _save(
                doi_engine,
                month,
                status="failed",
                last_error=str(exc)[:2000],
                response_status=exc.status,
                datasets=datasets,
            )
            return result
        now = utcnow()
        result.status, result.http_status = answer.status, answer.http_status
        result.message = answer.message
        _save(
            doi_engine,
            month,
            status=answer.status,
            response_status=answer.http_status,
            datasets=datasets,
            payload_hash=content,
            submitted_at=now,
            checked_at=now,
            last_error=None,
        )
        return _follow_up(doi_engine, client, month, result, max_polls, poll_interval_s, sleep)
    finally:
        client.close()


def follow_up_usage_report(
    doi_engine: sa.Engine,
    config: EventsConfig,
    month: date,
    *,
    max_polls: int = 1,
    poll_interval_s: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
) -> UsageReportResult | None:
    """Ask DataCite again about a month whose report is still pending (no re-submission)."""
    t = heratio_doi_usage_report
    with doi_engine.connect() as conn:
        row = conn.execute(sa.select(t).where(t.c.month == month_label(month))).first()
    if row is None:
        return None
    result = UsageReportResult(row.month, row.report_id, row.status, row.datasets or 0)
    if row.status != REPORT_PENDING:
        return result
    client = config.open_client()
    try:
        return _follow_up(doi_engine, client, month, result, max_polls, poll_interval_s, sleep)
    finally:
        client.close()


def _follow_up(
    doi_engine: sa.Engine,
    client: EventsClient,
    month: date,
    result: UsageReportResult,
    max_polls: int,
    poll_interval_s: float,
    sleep: Callable[[float], None],
) -> UsageReportResult:
    """Poll a 202'd report until DataCite accepts or rejects it (or the polls run out)."""
    while result.status == REPORT_PENDING and result.polls < max_polls:
        if poll_interval_s > 0:
            sleep(poll_interval_s)
        result.polls += 1
        try:
            answer = client.get_report(result.report_id)
        except DataCiteError as exc:
            result.message = f"status check failed, still pending: {exc}"
            break
        result.status = answer.status
        values: dict[str, Any] = {"status": answer.status, "checked_at": utcnow()}
        if answer.status == REPORT_REJECTED:
            result.message = describe_errors(answer.errors) or "DataCite rejected the report"
            values["last_error"] = result.message[:2000]
        _save(doi_engine, month, **values)
    if result.status == REPORT_PENDING and "status check failed" not in result.message:
        result.message = "DataCite is still validating the report; the next run asks again"
    return result
