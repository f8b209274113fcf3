"""``/api/handles/{doi}``: the handle system's REST API (doi.org) for the DOIs held here.

A DOI that DataCite registered (registered or findable) has a handle whose ``URL`` value is
the DOI's URL; a draft or unknown DOI answers ``responseCode`` 100 with HTTP 404, as doi.org
does. A test can make a handle point elsewhere (``EmulatorState.handle_targets``), as when
the handle system has not taken an update.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from heratio_doi_pipelines.devtools.emulator.context import EmulatorContext
from heratio_doi_pipelines.devtools.emulator.store import utc_now

RESOLVED = 1
HANDLE_NOT_FOUND = 100


class HandleRoutes:
    def __init__(self, ctx: EmulatorContext) -> None:
        self.ctx = ctx

    def routes(self) -> list[Route]:
        return [Route("/api/handles/{doi:path}", self.show, methods=["GET"])]

    async def show(self, request: Request) -> Response:
        doi = request.path_params["doi"].strip()
        state = self.ctx.state
        with state.lock:
            record = state.doi(doi)
            target = state.handle_targets.get(doi.upper())
            if record is None or record.state == "draft" or not (target or record.url):
                return JSONResponse(
                    {"responseCode": HANDLE_NOT_FOUND, "handle": doi}, status_code=404
                )
            target = target or record.url
            handle, updated = record.doi, record.updated
        return JSONResponse(
            {
                "responseCode": RESOLVED,
                "handle": handle,
                "values": [
                    {
                        "index": 1,
                        "type": "URL",
                        "data": {"format": "string", "value": target},
                        "ttl": 86400,
                        "timestamp": updated or utc_now(),
                    },
                    {
                        "index": 100,
                        "type": "HS_ADMIN",
                        "data": {"format": "admin", "value": {"handle": "0.NA/10.5072"}},
                        "ttl": 86400,
                        "timestamp": updated or utc_now(),
                    },
                ],
            }
        )
