"""``/events``: DataCite's Event Data API as far as a repository's usage reporting meets it.

Real DataCite only lets staff tokens write events (repository credentials get 403); the
``events_accept_basic_auth`` switch models Heratio's assumption that basic auth works.
"""

from __future__ import annotations

import uuid
from datetime import datetime
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
from heratio_doi_pipelines.devtools.emulator.store import EventRecord, utc_now

# Wire key (per style) → stored key. Keys of the other style are dropped, as DataCite does.
HYPHENATED = {
    "subj-id": "subj_id",
    "obj-id": "obj_id",
    "relation-type-id": "relation_type_id",
    "source-id": "source_id",
    "source-token": "source_token",
    "occurred-at": "occurred_at",
    "message-action": "message_action",
    "total": "total",
    "license": "license",
    "subj": "subj",
    "obj": "obj",
}
CAMEL_CASE = {
    "subjId": "subj_id",
    "objId": "obj_id",
    "relationTypeId": "relation_type_id",
    "sourceId": "source_id",
    "sourceToken": "source_token",
    "occurredAt": "occurred_at",
    "messageAction": "message_action",
    "total": "total",
    "license": "license",
    "subj": "subj",
    "obj": "obj",
}
REQUIRED = ("subj_id", "source_id", "source_token")


def key_style(request: Request) -> dict[str, str]:
    """camelCase with ``Accept: ...; version=2``, hyphenated otherwise."""
    accept = request.headers.get("accept", "").replace(" ", "").lower()
    return CAMEL_CASE if "version=2" in accept else HYPHENATED


def _wire_name(style: dict[str, str], stored: str) -> str:
    return next(wire for wire, key in style.items() if key == stored)


def _valid_timestamp(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


class EventRoutes:
    """Handlers for ``/events``."""

    def __init__(self, ctx: EmulatorContext) -> None:
        self.ctx = ctx

    def routes(self) -> list[Route]:
        return [
            Route("/events", self.create, methods=["POST"]),
            Route("/events", self.list_events, methods=["GET"]),
            Route("/events/{event_id}", self.upsert, methods=["PUT"]),
            Route("/events/{event_id}", self.show, methods=["GET"]),
        ]

    def resource(self, record: EventRecord, style: dict[str, str]) -> dict[str, Any]:
        attributes = {
            wire: record.attributes[key] for wire, key in style.items() if key in record.attributes
        }
        attributes["timestamp"] = record.updated
        return {"id": record.id, "type": "events", "attributes": attributes}

    def _denied(self, request: Request) -> Response | None:
        caller = self.ctx.caller(request)
        if caller is Caller.TOKEN:
            return None
        if caller is Caller.REPOSITORY:
            if self.ctx.events_accept_basic_auth:
                return None
            self.ctx.stats.count_event("forbidden")
            return error_response(403, NOT_AUTHORIZED)
        self.ctx.stats.count_event("unauthorized")
        return error_response(401, BAD_CREDENTIALS)

    async def _parse(
        self, request: Request, style: dict[str, str]
    ) -> tuple[str | None, dict[str, Any]] | Response:
        """(id from the body, stored-key attributes) or a 422 for a malformed or incomplete body."""
        body = parse_json(await request.body())
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or not isinstance(data.get("attributes", {}), dict):
            self.ctx.stats.count_event("invalid")
            return validation_response([{"source": "data", "title": "Is invalid"}])
        if data.get("type") not in (None, "events"):
            self.ctx.stats.count_event("invalid")
            return validation_response([{"source": "type", "title": "Must be events"}])
        raw = data.get("attributes") or {}
        attributes = {style[k]: v for k, v in raw.items() if k in style}
        errors = [
            {"source": _wire_name(style, key), "title": "Can't be blank"}
            for key in REQUIRED
            if attributes.get(key) in (None, "")
        ]
        total = attributes.get("total")
        if total is not None and (isinstance(total, bool) or not str(total).isdigit()):
            errors.append({"source": "total", "title": "Must be a non-negative integer"})
        if "occurred_at" in attributes and not _valid_timestamp(attributes["occurred_at"]):
            errors.append({"source": _wire_name(style, "occurred_at"), "title": "Is invalid"})
        if errors:
            self.ctx.stats.count_event("invalid")
            return validation_response(errors)
        if total is not None:
            attributes["total"] = int(total)
        event_id = data.get("id")
        return (str(event_id) if event_id else None), attributes

    def _save(
        self, event_id: str, attributes: dict[str, Any], existing: EventRecord | None
    ) -> tuple[EventRecord, bool]:
        state = self.ctx.state
        with state.lock:
            if existing is None:
                record = EventRecord(id=event_id, attributes=attributes)
                created = True
            else:
                state.event_keys.pop(existing.dedup_key, None)
                existing.attributes.update(attributes)
                existing.updated = utc_now()
                existing.submissions += 1
                record, created = existing, False
            state.store_event(record)
        self.ctx.stats.count_event("created" if created else "updated")
        return record, created

    async def create(self, request: Request) -> Response:
        """POST de-duplicates on (subj, obj, source, relation): 201 new, 200 updated."""
        if (denied := self._denied(request)) is not None:
            return denied
        style = key_style(request)
        parsed = await self._parse(request, style)
        if isinstance(parsed, Response):
            return parsed
        event_id, attributes = parsed
        state = self.ctx.state
        with state.lock:
            probe = EventRecord(id="", attributes=attributes)
            existing_id = state.event_keys.get(probe.dedup_key)
            if existing_id is None and event_id is not None:
                existing_id = event_id if event_id in state.events else None
            existing = state.events.get(existing_id) if existing_id else None
            record, created = self._save(event_id or str(uuid.uuid4()), attributes, existing)
        return JsonApiResponse(
            {"data": self.resource(record, style)}, status_code=201 if created else 200
        )

    async def upsert(self, request: Request) -> Response:
        """PUT /events/{uuid} creates or updates the event with that id (201/200)."""
        if (denied := self._denied(request)) is not None:
            return denied
        event_id = request.path_params["event_id"]
        try:
            uuid.UUID(event_id)
        except ValueError:
            self.ctx.stats.count_event("invalid")
            return validation_response([{"source": "id", "uid": event_id, "title": "Is invalid"}])
        style = key_style(request)
        parsed = await self._parse(request, style)
        if isinstance(parsed, Response):
            return parsed
        _, attributes = parsed
        record, created = self._save(event_id, attributes, self.ctx.state.events.get(event_id))
        return JsonApiResponse(
            {"data": self.resource(record, style)}, status_code=201 if created else 200
        )

    async def show(self, request: Request) -> Response:
        record = self.ctx.state.events.get(request.path_params["event_id"])
        if record is None:
            return error_response(404, NOT_FOUND)
        return JsonApiResponse({"data": self.resource(record, key_style(request))})

    async def list_events(self, request: Request) -> Response:
        style = key_style(request)
        params = request.query_params
        filters = {
            stored: params[wire] for wire, stored in HYPHENATED.items() if wire in params
        } | {stored: params[wire] for wire, stored in CAMEL_CASE.items() if wire in params}
        doi = params.get("doi", "").lower()
        try:
            size = min(max(int(params.get("page[size]", 25)), 1), 1000)
        except ValueError:
            return error_response(400, "Invalid page parameter")
        with self.ctx.state.lock:
            selected = [
                r
                for r in self.ctx.state.events.values()
                if all(str(r.attributes.get(k)) == v for k, v in filters.items())
                and (
                    not doi
                    or doi in str(r.attributes.get("subj_id", "")).lower()
                    or doi in str(r.attributes.get("obj_id", "")).lower()
                )
            ]
        data = [self.resource(r, style) for r in selected[:size]]
        return JsonApiResponse({"data": data, "meta": {"total": len(selected)}})
