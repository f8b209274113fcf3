"""``/dois``: DataCite's DOI routes with the behaviour clients trip over (upsert, states, 422s)."""

from __future__ import annotations

import base64
import binascii
import math
import re
import secrets
from collections.abc import Mapping
from itertools import islice
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from heratio_doi_pipelines.datacite.shapes import answer_shapes
from heratio_doi_pipelines.devtools.emulator import doi_metadata
from heratio_doi_pipelines.devtools.emulator.auth import Caller
from heratio_doi_pipelines.devtools.emulator.context import EmulatorContext
from heratio_doi_pipelines.devtools.emulator.responses import (
    BAD_CREDENTIALS,
    METHOD_NOT_ALLOWED,
    NO_PAYLOAD,
    NOT_AUTHORIZED,
    NOT_FOUND,
    JsonApiResponse,
    error_response,
    parse_json,
    validation_response,
)
from heratio_doi_pipelines.devtools.emulator.store import DoiRecord, utc_now

# event → {from state: to state}; anything else is silently ignored, as DataCite does.
TRANSITIONS: dict[str, dict[str, str]] = {
    "register": {"draft": "registered"},
    "publish": {"draft": "findable", "registered": "findable"},
    "hide": {"findable": "registered"},
    "show": {"registered": "findable"},
}
# Attributes DataCite computes or handles itself; everything else is stored as metadata.
CONTROL_KEYS = frozenset(
    {
        "doi",
        "prefix",
        "suffix",
        "event",
        "state",
        "url",
        "xml",
        "isActive",
        "created",
        "updated",
        "registered",
        "published",
        "metadataVersion",
        "schemaVersion",
    }
)
LIST_DEFAULTS: tuple[str, ...] = (
    "identifiers",
    "creators",
    "titles",
    "subjects",
    "contributors",
    "dates",
    "relatedIdentifiers",
    "relatedItems",
    "sizes",
    "formats",
    "rightsList",
    "descriptions",
    "geoLocations",
    "fundingReferences",
)
DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 1000


def next_state(current: str, event: Any) -> str:
    """The state after ``event``; an unknown event or invalid transition leaves it unchanged."""
    if not isinstance(event, str):
        return current
    return TRANSITIONS.get(event.strip().lower(), {}).get(current, current)


def _flag(params: Mapping[str, str], name: str) -> bool:
    return str(params.get(name, "")).strip().lower() == "true"


def _random_suffix() -> str:
    alphabet = "abcdefghjkmnpqrstvwxyz0123456789"
    chars = [secrets.choice(alphabet) for _ in range(8)]
    return "".join(chars[:4]) + "-" + "".join(chars[4:])


def _encode_cursor(sequence: int) -> str:
    return base64.urlsafe_b64encode(str(sequence).encode()).decode().rstrip("=")


def _decode_cursor(token: str) -> int | None:
    """The sequence a page starts after; ``1`` means the first page (DataCite's idiom)."""
    if token in ("", "1"):
        return 0
    try:
        padded = token + "=" * (-len(token) % 4)
        return int(base64.urlsafe_b64decode(padded.encode()).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


class DoiRoutes:
    """Handlers for ``/dois``; all state lives in the shared context."""

    def __init__(self, ctx: EmulatorContext) -> None:
        self.ctx = ctx

    def routes(self) -> list[Route]:
        return [
            Route("/dois", self.list_dois, methods=["GET"]),
            Route("/dois", self.create, methods=["POST"]),
            Route("/dois/{doi:path}", self.show, methods=["GET"]),
            Route("/dois/{doi:path}", self.upsert, methods=["PUT"]),
            Route("/dois/{doi:path}", self.delete, methods=["DELETE"]),
        ]

    # Representation -----------------------------------------------------------------
    def resource(
        self, record: DoiRecord, *, include_xml: bool, flags: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """The JSON:API resource DataCite returns: ids and DOIs lower-case, ``xml`` base64;
        publisher and affiliations as objects only for ``publisher=true``/``affiliation=true``
        (``flags``: the request's query parameters), names otherwise."""
        doi = record.doi.lower()
        prefix, _, suffix = doi.partition("/")
        attributes: dict[str, Any] = {key: [] for key in LIST_DEFAULTS}
        attributes.update(
            {
                "publisher": None,
                "publicationYear": None,
                "language": None,
                "types": {},
                "version": None,
                "container": {},
            }
        )
        flags = flags or {}
        attributes.update(
            answer_shapes(
                record.attributes,
                publisher_objects=_flag(flags, "publisher"),
                affiliation_objects=_flag(flags, "affiliation"),
            )
        )
        year = attributes.get("publicationYear")
        if isinstance(year, str) and doi_metadata.YEAR_RE.match(year.strip()):
            attributes["publicationYear"] = int(year)
        attributes.update(
            {
                "doi": doi,
                "prefix": prefix,
                "suffix": suffix,
                "url": record.url,
                "state": record.state,
                "isActive": record.state == "findable",
                "schemaVersion": "http://datacite.org/schema/kernel-4",
                "metadataVersion": record.update_count,
                "created": record.created,
                "registered": record.registered,
                "updated": record.updated,
            }
        )
        if include_xml:
            attributes["xml"] = record.xml
        return {
            "id": doi,
            "type": "dois",
            "attributes": attributes,
            "relationships": {
                "client": {"data": {"id": self.ctx.config.client_id, "type": "clients"}}
            },
        }

    # Reads ----------------------------------------------------------------------------
    async def show(self, request: Request) -> Response:
        caller = self.ctx.caller(request)
        if caller is Caller.INVALID:
            return error_response(401, BAD_CREDENTIALS)
        record = self.ctx.state.doi(request.path_params["doi"])
        # Anonymous callers only see findable DOIs, as on DataCite.
        if record is None or (caller is Caller.ANONYMOUS and record.state != "findable"):
            return error_response(404, NOT_FOUND)
        return JsonApiResponse(
            {"data": self.resource(record, include_xml=True, flags=request.query_params)}
        )

    async def list_dois(self, request: Request) -> Response:
        caller = self.ctx.caller(request)
        if caller is Caller.INVALID:
            return error_response(401, BAD_CREDENTIALS)
        params = request.query_params
        try:
            size = min(max(int(params.get("page[size]", DEFAULT_PAGE_SIZE)), 1), MAX_PAGE_SIZE)
            number = max(int(params.get("page[number]", 1)), 1)
        except ValueError:
            return error_response(400, "Invalid page parameter")
        prefixes = {p.strip().upper() for p in params.get("prefix", "").split(",") if p.strip()}
        asked = {s.strip().lower() for s in params.get("state", "").split(",") if s.strip()}
        states: set[str] | None = asked or None  # None: every state
        if caller is Caller.ANONYMOUS:  # anonymous callers only see findable DOIs
            states = (asked or {"findable"}) & {"findable"}
        client_id = params.get("client-id")
        other_client = client_id is not None and client_id.lower() != self.ctx.config.client_id
        if "page[cursor]" in params:
            after = _decode_cursor(params["page[cursor]"])
            if after is None:
                return error_response(400, "Invalid cursor")
        else:
            after = 0

        def wanted(record: DoiRecord) -> bool:
            return (not prefixes or record.prefix in prefixes) and (
                states is None or record.state in states
            )

        state = self.ctx.state
        total = 0 if other_client else state.count_dois(prefixes, states)
        # Walk only as far as the page needs (one more DOI tells whether there is a next).
        skip = 0 if "page[cursor]" in params else (number - 1) * size
        candidates = iter(()) if other_client else state.dois_after(after, wanted)
        walked = list(islice(candidates, skip, skip + size + 1))
        page, more = walked[:size], len(walked) > size
        links: dict[str, Any] = {"self": str(request.url)}
        meta: dict[str, Any] = {"total": total, "totalPages": math.ceil(total / size)}
        if "page[cursor]" in params:
            if more:
                links["next"] = str(
                    request.url.include_query_params(
                        **{"page[cursor]": _encode_cursor(page[-1].sequence), "page[size]": size}
                    )
                )
        else:
            meta["page"] = number
            if more:
                links["next"] = str(
                    request.url.include_query_params(
                        **{"page[number]": number + 1, "page[size]": size}
                    )
                )
        detail = _flag(params, "detail")  # DataCite lists the stored XML only with detail=true
        data = [self.resource(r, include_xml=detail, flags=params) for r in page]
        return JsonApiResponse({"data": data, "meta": meta, "links": links})

    # Writes ---------------------------------------------------------------------------
    async def _attributes(self, request: Request) -> dict[str, Any] | Response:
        """The request's attributes, or DataCite's 400 when the body is not JSON:API."""
        body = parse_json(await request.body())
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            return error_response(400, NO_PAYLOAD)
        attributes = data.get("attributes", {})
        if attributes is None:
            attributes = {}
        if not isinstance(attributes, dict):
            return error_response(400, NO_PAYLOAD)
        return attributes

    def _authorised(self, request: Request) -> Response | None:
        if self.ctx.caller(request) in (Caller.REPOSITORY, Caller.TOKEN):
            return None
        return error_response(401, BAD_CREDENTIALS)

    async def create(self, request: Request) -> Response:
        if (denied := self._authorised(request)) is not None:
            return denied
        attributes = await self._attributes(request)
        if isinstance(attributes, Response):
            return attributes
        doi = attributes.get("doi")
        if not doi and attributes.get("prefix"):
            prefix = str(attributes["prefix"]).strip().upper()
            if prefix not in self.ctx.prefixes:
                return error_response(403, NOT_AUTHORIZED)
            doi = f"{prefix}/{_random_suffix()}"
            while self.ctx.state.doi(doi) is not None:
                doi = f"{prefix}/{_random_suffix()}"
        if not isinstance(doi, str) or not doi.strip():
            return validation_response([{"source": "doi", "uid": "", "title": "Can't be blank"}])
        doi = doi.strip().upper()
        if (denied := self._check_prefix(doi)) is not None:
            return denied
        if self.ctx.state.doi(doi) is not None:
            return validation_response(
                [{"source": "doi", "uid": doi.lower(), "title": "This DOI has already been taken"}]
            )
        return await self._write_off_loop(doi, attributes, None, request.query_params)

    async def upsert(self, request: Request) -> Response:
        if (denied := self._authorised(request)) is not None:
            return denied
        doi = request.path_params["doi"].strip().upper()
        if (denied := self._check_prefix(doi)) is not None:
            return denied
        attributes = await self._attributes(request)
        if isinstance(attributes, Response):
            return attributes
        return await self._write_off_loop(
            doi, attributes, self.ctx.state.doi(doi), request.query_params
        )

    async def delete(self, request: Request) -> Response:
        if (denied := self._authorised(request)) is not None:
            return denied
        state = self.ctx.state
        with state.lock:
            record = state.doi(request.path_params["doi"])
            if record is None:
                return error_response(404, NOT_FOUND)
            if record.state != "draft":
                return error_response(405, METHOD_NOT_ALLOWED)
            state.remove_doi(record)
        return Response(status_code=204)

    def _check_prefix(self, doi: str) -> Response | None:
        if doi.split("/", 1)[0] not in self.ctx.prefixes:
            return error_response(403, NOT_AUTHORIZED)
        if not DOI_RE.match(doi):
            return validation_response(
                [{"source": "doi", "uid": doi.lower(), "title": "Is invalid"}]
            )
        return None

    async def _write_off_loop(
        self,
        doi: str,
        attributes: Mapping[str, Any],
        existing: DoiRecord | None,
        flags: Mapping[str, str],
    ) -> Response:
        """Validation and serialisation are CPU work: done in a worker thread, the event loop
        stays free to take (and rate-count) new arrivals on time, as DataCite's firewall does."""
        return await run_in_threadpool(self._write, doi, attributes, existing, dict(flags))

    def _write(
        self,
        doi: str,
        attributes: Mapping[str, Any],
        existing: DoiRecord | None,
        flags: Mapping[str, str],
    ) -> Response:
        """Create or update one DOI: merge metadata, apply the event, validate, then store.

        Nothing is stored when validation fails, as DataCite rolls the whole request back.
        """
        uid = doi.lower()
        metadata = {k: v for k, v in attributes.items() if k not in CONTROL_KEYS}
        xml_sent = attributes.get("xml")
        xml_root = None
        xml_attributes: dict[str, Any] = {}
        if xml_sent is not None:
            try:
                raw = doi_metadata.decode_xml_attribute(xml_sent)
                xml_root, xml_attributes = doi_metadata.parse_kernel_xml(raw)
            except doi_metadata.XmlRejected as exc:
                return validation_response([{"source": "xml", "uid": uid, "title": str(exc)}])

        merged = dict(existing.attributes) if existing else {}
        merged.update(xml_attributes)
        merged.update(metadata)  # JSON attributes sent alongside override the XML
        url = attributes.get("url", existing.url if existing else None)
        state = next_state(existing.state if existing else "draft", attributes.get("event"))

        if state != "draft":
            errors = doi_metadata.registration_errors(uid, url, merged)
            if xml_root is not None and self.ctx.xsd_validation:
                errors += [
                    {"source": "xml", "uid": uid, "title": message}
                    for message in doi_metadata.schema_errors(xml_root)
                ]
            if errors:
                return validation_response(errors)

        if self.ctx.store_altered:
            # DataCite keeping something else than was sent (no normalisation since 2026,
            # blank fields published anyway): the stored copy differs from the request.
            merged = doi_metadata.altered_copy(merged)
            rendered = doi_metadata.render_kernel_xml(doi, merged)
            xml = base64.b64encode(rendered).decode("ascii")
        elif xml_sent is not None and not metadata:
            xml = str(xml_sent).strip()
        elif xml_sent is not None or metadata or existing is None or existing.xml is None:
            try:
                rendered = doi_metadata.render_kernel_xml(doi, merged)
            except doi_metadata.XmlRejected as exc:
                return validation_response([{"source": "data", "uid": uid, "title": str(exc)}])
            xml = base64.b64encode(rendered).decode("ascii")
        else:
            xml = existing.xml

        store = self.ctx.state
        now = utc_now()
        with store.lock:
            record = existing if existing is not None else store.dois.get(doi)
            created = record is None
            if record is None:
                record = store.new_doi(doi, now)
            else:
                record.update_count += 1
            record.attributes = merged
            record.url = url
            record.xml = xml
            record.updated = now
            if state != "draft" and record.registered is None:
                record.registered = now
            store.set_state(record, state)
        if created:
            self.ctx.stats.count_doi_created()
            return JsonApiResponse(
                {"data": self.resource(record, include_xml=True, flags=flags)},
                status_code=201,
                headers={"Location": f"/dois/{uid}"},
            )
        return JsonApiResponse({"data": self.resource(record, include_xml=True, flags=flags)})
