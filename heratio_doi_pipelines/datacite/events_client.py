"""Client for DataCite's ``/events`` and ``/reports``: usage and relations, not DOIs.

It is the DOI client with other endpoints: the same pooled session, typed errors (401, 403,
422, 5xx), Retry-After handling of 429s and a shared rate limiter, which here enforces the
events per-minute cap (``RateLimiter(per_minute, 60 s)``), so no burst can exceed it.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from typing import Any

import requests

from heratio_doi_pipelines.datacite.client import JSON_API, DataCiteClient
from heratio_doi_pipelines.datacite.rate_limit import RateLimiter

# DataCite's Events API answers (and reads) camelCase keys with this Accept header.
EVENTS_V2_ACCEPT = f"{JSON_API}; version=2"
REPORT_PENDING = "pending"
REPORT_ACCEPTED = "accepted"
REPORT_REJECTED = "rejected"


@dataclass(frozen=True)
class EventResult:
    status: int
    created: bool
    body: str = field(repr=False)


@dataclass(frozen=True)
class ReportResult:
    """DataCite's answer about a usage report: HTTP status and the report's own status."""

    http_status: int
    status: str  # pending | accepted | rejected
    message: str = ""
    errors: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_response(cls, resp: requests.Response) -> ReportResult:
        try:
            body = resp.json()
        except ValueError:
            body = {}
        report = body.get("report") if isinstance(body, dict) else None
        report = report if isinstance(report, dict) else {}
        status = str(report.get("status") or "")
        if not status:
            # DataCite documents 201/200 for a stored report and 202 for one still validating.
            status = REPORT_PENDING if resp.status_code == 202 else REPORT_ACCEPTED
        errors = report.get("errors") or (body.get("errors") if isinstance(body, dict) else None)
        return cls(
            http_status=resp.status_code,
            status=status,
            message=str(body.get("message") or "") if isinstance(body, dict) else "",
            errors=errors if isinstance(errors, list) else [],
        )


class EventsClient(DataCiteClient):
    """``PUT /events/{uuid}`` and ``PUT|GET /reports/{id}``; see the module docstring."""

    def __init__(
        self,
        url: str,
        *,
        repository_id: str = "",
        password: str = "",
        api_token: str = "",
        per_minute: int = 30,
        camel_case: bool = False,
        contact_email: str = "",
        rate_limiter: RateLimiter | None = None,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 30.0,
        max_rate_limit_retries: int = 3,
    ):
        super().__init__(
            url,
            repository_id,
            password,
            rate_limiter=rate_limiter or RateLimiter(per_minute, 60.0),
            connect_timeout_s=connect_timeout_s,
            read_timeout_s=read_timeout_s,
            max_rate_limit_retries=max_rate_limit_retries,
            contact_email=contact_email,
            pool_size=4,
            bearer_token=api_token or None,
        )
        self.camel_case = camel_case
        if camel_case:
            self.session.headers["Accept"] = EVENTS_V2_ACCEPT

    def put_event(self, event_id: str, attributes: dict[str, Any]) -> EventResult:
        """Create or update the event ``event_id`` (DataCite's upsert by id): 201 or 200."""
        body = {"data": {"type": "events", "id": event_id, "attributes": attributes}}
        resp = self._request("PUT", f"/events/{event_id}", json=body)
        return EventResult(status=resp.status_code, created=resp.status_code == 201, body=resp.text)

    def put_report(
        self, report_id: str, report: dict[str, Any], *, compress: bool = True
    ) -> ReportResult:
        """Send a SUSHI report under ``report_id`` (gzip: ``application/gzip`` + ``gzip``)."""
        data = json.dumps(report, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        headers = {"Accept": "application/json"}
        if compress:
            data = gzip.compress(data, mtime=0)
            headers.update({"Content-Type": "application/gzip", "Content-Encoding": "gzip"})
        else:
            headers["Content-Type"] = "application/json"
        resp = self._request("PUT", f"/reports/{report_id}", data=data, headers=headers)
        return ReportResult.from_response(resp)

    def get_report(self, report_id: str) -> ReportResult:
        """The report's current status (a 202'd report settles to accepted or rejected)."""
        resp = self._request("GET", f"/reports/{report_id}", headers={"Accept": "application/json"})
        return ReportResult.from_response(resp)
