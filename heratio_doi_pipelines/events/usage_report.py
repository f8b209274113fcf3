"""Monthly COUNTER usage report (SUSHI JSON), the way DataCite really takes usage.

DataCite does not let repositories write usage events; it takes a monthly dataset report
following the Code of Practice for Research Data Usage Metrics (release ``rd1``) at
``/reports`` with a Bearer token, and turns it into ``datacite-usage`` events. The report is
built from the same daily usage totals the events flush sends, gzip-compressed (with the
code-69 "compressed" exception DataCite asks for in the header), and sent with
``PUT /reports/{id}`` under a UUID derived from the repository and month, kept in
``heratio_doi_usage_report``: re-running a month updates the same report. A 202 means
"accepted, pending validation"; the report is then polled until accepted or rejected.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
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
from heratio_doi_pipelines.datacite.shapes import publisher_name
from heratio_doi_pipelines.errors import HeratioDoiError
from heratio_doi_pipelines.events.access_logs import ROBOTS_LIST_VERSION
from heratio_doi_pipelines.events.config import EventsConfig
from heratio_doi_pipelines.events.identity import USAGE_RELATION_TYPES, bare_doi
from heratio_doi_pipelines.reports.months import add_months, as_datetime, month_label
from heratio_doi_pipelines.store.schema import require_tables
from heratio_doi_pipelines.store.tables import (
    ahg_datacite_event,
    ahg_doi,
    heratio_doi_usage_report,
)

REPORT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://heratio.org/ns/counter-usage-report")
MAX_DATASETS = 50_000  # DataCite's limit per report
PLATFORM = "Heratio"
COMPRESSED_EXCEPTION = {
    "code": 69,
    "severity": "warning",
    "message": "Report is compressed using gzip",
    "help-url": "https://github.com/datacite/sashimi",
    "data": "usage data needs to be uncompressed",
}
# Events API relation type → COUNTER metric type (access method "regular").
METRIC_TYPES = {
    "total-dataset-investigations-regular": "total-dataset-investigations",
    "unique-dataset-investigations-regular": "unique-dataset-investigations",
    "total-dataset-requests-regular": "total-dataset-requests",
    "unique-dataset-requests-regular": "unique-dataset-requests",
}
BEARER_NEEDED = (
    "usage reports need a DataCite Bearer token (datacite_api_token / DATACITE_API_TOKEN): "
    "DataCite does not accept repository credentials at /reports"
)

ROBOTS_LIST = f"COUNTER-Robots {ROBOTS_LIST_VERSION}"


class UsageReportError(HeratioDoiError):
    """The report cannot be sent as configured (no Bearer token, too many datasets)."""


@dataclass
class UsageReportResult:
    month: str
    report_id: str
    status: str  # empty | unchanged | pending | accepted | rejected | failed
    datasets: int
    http_status: int | None = None
    polls: int = 0
    message: str = ""
    report: dict[str, Any] = field(default_factory=dict, repr=False)

    def summary(self) -> str:
        text = (
            f"usage report {self.month} ({self.report_id}): {self.status}, {self.datasets} datasets"
        )
        return f"{text}; {self.message}" if self.message else text


def report_id_for(repository_id: str, month: date) -> str:
    """A UUID (DataCite requires one) that is the same for a repository and month forever."""
    return str(
        uuid.uuid5(REPORT_NAMESPACE, f"{repository_id.strip().lower()}|{month_label(month)}")
    )


def month_period(month: date) -> dict[str, str]:
    first = date(month.year, month.month, 1)
    last = add_months(first, 1) - timedelta(days=1)
    return {"begin-date": first.isoformat(), "end-date": last.isoformat()}


def _usage_totals(conn: sa.Connection, month: date) -> dict[str, dict[str, int]]:
    t = ahg_datacite_event
    when = sa.func.coalesce(t.c.occurred_at, t.c.created_at)
    first = date(month.year, month.month, 1)
    rows = conn.execute(
        sa.select(t.c.subj_id, t.c.relation_type_id, sa.func.sum(sa.func.coalesce(t.c.total, 1)))
        .where(
            t.c.relation_type_id.in_(USAGE_RELATION_TYPES),
            when >= as_datetime(first),
            when < as_datetime(add_months(first, 1)),
        )
        .group_by(t.c.subj_id, t.c.relation_type_id)
    )
    totals: dict[str, dict[str, int]] = defaultdict(dict)
    for subj, relation, count in rows:
        doi = bare_doi(subj)
        metric = METRIC_TYPES[relation]
        totals[doi][metric] = totals[doi].get(metric, 0) + int(count or 0)
    return totals


def _dataset_details(conn: sa.Connection, dois: list[str]) -> dict[str, dict[str, Any]]:
    """Title, year, landing page and publisher from what DataCite was last sent for each DOI."""
    details: dict[str, dict[str, Any]] = {}
    for start in range(0, len(dois), 500):
        chunk = dois[start : start + 500]
        rows = conn.execute(
            sa.select(
                ahg_doi.c.doi, ahg_doi.c.metadata_json, ahg_doi.c.url, ahg_doi.c.minted_at
            ).where(sa.func.lower(ahg_doi.c.doi).in_(chunk))
        )
        for doi, meta, url, minted_at in rows:
            meta = meta if isinstance(meta, dict) else (json.loads(meta) if meta else {})
            titles = meta.get("titles") or []
            publisher = publisher_name(meta.get("publisher"))
            details[bare_doi(doi)] = {
                "title": (titles[0].get("title") if titles else None),
                "yop": meta.get("publicationYear") or (minted_at.year if minted_at else None),
                "uri": meta.get("url") or url,
                "publisher": publisher,
            }
    return details


def build_usage_report(
    doi_engine: sa.Engine,
    config: EventsConfig,
    month: date,
    *,
    compress: bool = True,
    created: date | None = None,
) -> dict[str, Any]:
    """The SUSHI dataset report (DSR, rd1) for ``month`` from the daily usage totals."""
    period = month_period(month)
    with doi_engine.connect() as conn:
        totals = _usage_totals(conn, month)
        details = _dataset_details(conn, sorted(totals))
    datasets = []
    publisher_id = (
        [{"type": "client-id", "value": config.repository_id.lower()}]
        if config.repository_id
        else []
    )
    for doi in sorted(totals):
        info = details.get(doi, {})
        instances = [
            {"access-method": "regular", "metric-type": metric, "count": count}
            for metric, count in sorted(totals[doi].items())
            if count > 0
        ]
        if not instances:
            continue
        datasets.append(
            {
                "dataset-id": [{"type": "DOI", "value": doi}],
                "dataset-title": info.get("title") or doi,
                "yop": str(info.get("yop") or month.year),
                "uri": info.get("uri") or f"https://doi.org/{doi}",
                "publisher": info.get("publisher") or config.publisher,
                # required by DataCite's rd1 schema: the repository's DataCite client id
                "publisher-id": publisher_id,
                "platform": PLATFORM,
                "data-type": "dataset",
                "performance": [{"period": period, "instance": instances}],
            }
        )
    return {
        "report-header": {
            "report-name": "dataset report",
            "report-id": "DSR",
            "release": "rd1",
            "created": (created or utcnow().date()).isoformat(),
            "created-by": config.repository_id or PLATFORM,
            "reporting-period": period,
            "report-filters": [],
            # which robots list filtered the counts (COUNTER-Robots, as the Code of Practice asks)
            "report-attributes": [{"name": "robots_list", "value": ROBOTS_LIST}],
            "exceptions": [COMPRESSED_EXCEPTION] if compress else [],
        },
        "report-datasets": datasets,
    }


def _content_hash(report: dict[str, Any]) -> str:
    """What DataCite would see change (the header's ``created`` date does not count)."""
    body = {"period": report["report-header"]["reporting-period"], "d": report["report-datasets"]}
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
    if not config.uses_bearer:
        raise UsageReportError(BEARER_NEEDED)
    report = build_usage_report(doi_engine, config, month, compress=compress)
    datasets = len(report["report-datasets"])
    if datasets > MAX_DATASETS:
        raise UsageReportError(
            f"{datasets} datasets had usage in {month_label(month)}; DataCite takes at most "
            f"{MAX_DATASETS} per report"
        )
    with doi_engine.begin() as conn:
        row = _report_row(conn, month, report_id_for(config.repository_id, month))
    result = UsageReportResult(month_label(month), row.report_id, "built", datasets, report=report)
    content = _content_hash(report)
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
