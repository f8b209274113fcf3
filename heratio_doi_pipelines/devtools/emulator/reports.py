"""``/reports``: COUNTER (SUSHI JSON) usage reports, how DataCite really receives usage.

Two shapes are taken: release ``rd1`` of the Code of Practice for Research Data (hyphenated
keys, ``report-header`` and ``report-datasets``) and COUNTER Release 5.1 (``Report_Header``
with ``Release: "5.1"`` and ``Report_Items``, whose items are kept as the report's datasets).
DataCite may answer 202 ("accepted, pending validation") and settle the report later; the
emulator models that with ``report_mode`` and a number of status polls before it settles.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import uuid
import zlib
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from heratio_doi_pipelines.devtools.emulator.auth import Caller
from heratio_doi_pipelines.devtools.emulator.context import EmulatorContext
from heratio_doi_pipelines.devtools.emulator.responses import (
    BAD_CREDENTIALS,
    NOT_AUTHORIZED,
    NOT_FOUND,
    JsonApiResponse,
    error_response,
    parse_json,
    validation_response,
)
from heratio_doi_pipelines.devtools.emulator.store import ReportRecord, utc_now

REQUIRED_HEADER = ("report-name", "report-id", "release", "created-by")
R51_HEADER = "Report_Header"
R51_RELEASE = "5.1"
R51_REQUIRED_HEADER = ("Report_Name", "Report_ID", "Release", "Institution_Name", "Created_By")
PENDING_MESSAGE = "accepted, pending validation"


class MalformedReport(ValueError):
    """The body could not be read as a (possibly gzipped) SUSHI report."""


def _gunzip(data: bytes) -> bytes:
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise MalformedReport("Is invalid: not gzip data") from exc


def decode_report(
    raw: bytes, content_type: str, content_encoding: str
) -> tuple[dict[str, Any], bool]:
    """(report JSON, whether it arrived compressed) from a plain, gzipped or ``compressed`` body."""
    compressed = False
    if "gzip" in content_encoding.lower() or "gzip" in content_type.lower():
        raw = _gunzip(raw)
        compressed = True
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise MalformedReport("Is invalid: not a JSON object")
    data = body.get("data")
    if isinstance(data, dict) and isinstance(data.get("attributes"), dict):
        body = dict(data["attributes"])
    if "compressed" in body:
        try:
            inner = parse_json(_gunzip(base64.b64decode(str(body.pop("compressed")))))
        except binascii.Error as exc:
            raise MalformedReport("Is invalid: compressed is not base64") from exc
        if not isinstance(inner, dict):
            raise MalformedReport("Is invalid: compressed content is not a JSON object")
        body = {**body, **inner}
        compressed = True
    return body, compressed


def _blank(source: str) -> dict[str, str]:
    return {"source": source, "title": "Can't be blank"}


def _missing(obj: Any, where: str, keys: Iterable[str]) -> list[dict[str, str]]:
    """A blank error for each of ``keys`` the object at ``where`` lacks, or one for the
    object itself when it is not an object."""
    if not isinstance(obj, dict):
        return [_blank(where)]
    return [_blank(f"{where}.{key}") for key in keys if not obj.get(key)]


def _rd1_errors(report: dict[str, Any]) -> list[dict[str, str]]:
    header = report.get("report-header")
    if not isinstance(header, dict):
        return [_blank("report-header")]
    errors = _missing(header, "report-header", REQUIRED_HEADER)
    errors += _missing(
        header.get("reporting-period"), "report-header.reporting-period", ("begin-date", "end-date")
    )
    datasets = report.get("report-datasets", [])
    if not isinstance(datasets, list):
        errors.append({"source": "report-datasets", "title": "Must be an array"})
    return errors


def _r51_errors(report: dict[str, Any]) -> list[dict[str, str]]:
    header = report[R51_HEADER]
    if not isinstance(header, dict):
        return [_blank(R51_HEADER)]
    errors = _missing(header, R51_HEADER, R51_REQUIRED_HEADER)
    release = header.get("Release")
    if release and release != R51_RELEASE:
        errors.append(
            {"source": f"{R51_HEADER}.Release", "title": f"Is not a supported release: {release}"}
        )
    errors += _missing(
        header.get("Report_Filters"), f"{R51_HEADER}.Report_Filters", ("Begin_Date", "End_Date")
    )
    groups = report.get("Report_Items", [])
    if not isinstance(groups, list) or not all(
        isinstance(g, dict) and isinstance(g.get("Items"), list) for g in groups
    ):
        errors.append({"source": "Report_Items", "title": "Must be an array of Items"})
    return errors


def header_errors(report: dict[str, Any]) -> list[dict[str, str]]:
    """422 entries for a report header lacking COUNTER's required fields (either release)."""
    return _r51_errors(report) if R51_HEADER in report else _rd1_errors(report)


def report_parts(report: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    """(header, datasets) of a valid report: an R5.1 report's items are its datasets."""
    if R51_HEADER in report:
        groups = report.get("Report_Items", [])
        return report[R51_HEADER], [item for group in groups for item in group["Items"]]
    return report["report-header"], report.get("report-datasets", [])


class ReportRoutes:
    """Handlers for ``/reports``."""

    def __init__(self, ctx: EmulatorContext) -> None:
        self.ctx = ctx

    def routes(self) -> list[Route]:
        return [
            Route("/reports", self.create, methods=["POST"]),
            Route("/reports", self.list_reports, methods=["GET"]),
            Route("/reports/{report_id}", self.upsert, methods=["PUT"]),
            Route("/reports/{report_id}", self.show, methods=["GET"]),
        ]

    @staticmethod
    def resource(record: ReportRecord, *, include_datasets: bool) -> dict[str, Any]:
        resource: dict[str, Any] = {
            "id": record.id,
            "report-header": record.header,  # as sent: rd1's report-header or R5.1's
            "release": record.header.get("release") or record.header.get("Release"),
            "status": record.status,
            "compressed": record.compressed,
            "dataset-count": len(record.datasets),
            "created": record.created,
            "updated": record.updated,
        }
        if record.status == "rejected":
            resource["errors"] = [{"title": "The report failed validation"}]
        if include_datasets:
            resource["report-datasets"] = record.datasets
        return resource

    def _denied(self, request: Request) -> Response | None:
        caller = self.ctx.caller(request)
        if caller is Caller.TOKEN:
            return None
        if caller is Caller.REPOSITORY:
            self.ctx.stats.count_report("forbidden")
            return error_response(403, NOT_AUTHORIZED)
        self.ctx.stats.count_report("unauthorized")
        return error_response(401, BAD_CREDENTIALS)

    async def _store(self, request: Request, report_id: str) -> Response:
        if (denied := self._denied(request)) is not None:
            return denied
        try:
            report, compressed = decode_report(
                await request.body(),
                request.headers.get("content-type", ""),
                request.headers.get("content-encoding", ""),
            )
        except MalformedReport as exc:
            self.ctx.stats.count_report("invalid")
            return validation_response([{"source": "report", "title": str(exc)}])
        if errors := header_errors(report):
            self.ctx.stats.count_report("invalid")
            return validation_response(errors)

        mode = self.ctx.report_mode
        final = "rejected" if mode == "reject" else "accepted"
        status = "accepted" if mode == "immediate" else "pending"
        state = self.ctx.state
        with state.lock:
            record = state.reports.get(report_id)
            created = record is None
            if record is None:
                record = ReportRecord(
                    id=report_id, header={}, datasets=[], status=status, final_status=final
                )
                state.reports[report_id] = record
            else:
                record.submissions += 1
                record.updated = utc_now()
            record.header, record.datasets = report_parts(report)
            record.compressed = compressed
            record.status, record.final_status = status, final
            record.pending_polls_left = self.ctx.report_pending_polls
            state.dirty = True
        self.ctx.stats.count_report("created" if created else "updated")
        body: dict[str, Any] = {"report": self.resource(record, include_datasets=False)}
        if status == "pending":
            self.ctx.stats.count_report("pending")
            body["message"] = PENDING_MESSAGE
            return JsonApiResponse(body, status_code=202)
        self.ctx.stats.count_report("accepted")
        return JsonApiResponse(body, status_code=201 if created else 200)

    async def create(self, request: Request) -> Response:
        """POST always files a new report under a new id."""
        return await self._store(request, str(uuid.uuid4()))

    async def upsert(self, request: Request) -> Response:
        """PUT /reports/{id}: re-submitting a month updates the same report."""
        return await self._store(request, request.path_params["report_id"])

    async def show(self, request: Request) -> Response:
        """Report status; a pending report settles after the configured number of polls."""
        state = self.ctx.state
        with state.lock:
            record = state.reports.get(request.path_params["report_id"])
            if record is None:
                return error_response(404, NOT_FOUND)
            if record.status == "pending":
                if record.pending_polls_left > 0:
                    record.pending_polls_left -= 1
                else:
                    record.status = record.final_status
                    record.updated = utc_now()
                    self.ctx.stats.count_report(record.status)
                    state.dirty = True
            body = {"report": self.resource(record, include_datasets=True)}
        return JsonApiResponse(body)

    async def list_reports(self, request: Request) -> Response:
        with self.ctx.state.lock:
            reports = [
                self.resource(r, include_datasets=False) for r in self.ctx.state.reports.values()
            ]
        return JsonApiResponse({"reports": reports, "meta": {"total": len(reports)}})
