"""``/_emulator/*``: the control panel tests and benchmarks drive from another process.

These routes are not DataCite's: they skip auth, latency, faults, the rate limit and the stats.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from heratio_doi_pipelines.devtools.emulator.context import EmulatorContext
from heratio_doi_pipelines.devtools.emulator.faults import faults_from_json
from heratio_doi_pipelines.devtools.emulator.responses import parse_json

RESET_PARTS = ("dois", "events", "reports", "stats", "faults", "settings")


def _bad_request(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=400)


class ControlRoutes:
    """Handlers for ``/_emulator``."""

    def __init__(self, ctx: EmulatorContext) -> None:
        self.ctx = ctx

    def routes(self) -> list[Route]:
        return [
            Route("/_emulator/stats", self.stats, methods=["GET"]),
            Route("/_emulator/faults", self.faults, methods=["GET", "POST", "DELETE"]),
            Route("/_emulator/config", self.config, methods=["GET", "POST"]),
            Route("/_emulator/reset", self.reset, methods=["POST"]),
            Route("/_emulator/dois", self.dois, methods=["GET"]),
            Route("/_emulator/dois/generate", self.generate, methods=["POST"]),
        ]

    async def _body(self, request: Request) -> dict[str, Any] | None:
        raw = await request.body()
        if not raw.strip():
            return {}
        body = parse_json(raw)
        return body if isinstance(body, dict) else None

    async def stats(self, request: Request) -> Response:
        return JSONResponse(self.ctx.stats_snapshot())

    async def faults(self, request: Request) -> Response:
        """POST replaces the plan (``{"rules": [...], "script": [...], "seed": n}``)."""
        if request.method == "DELETE":
            self.ctx.faults.clear()
        elif request.method == "POST":
            body = await self._body(request)
            if body is None:
                return _bad_request("body must be a JSON object")
            try:
                rules = faults_from_json(body.get("rules"))
                script = faults_from_json(body.get("script"))
            except (ValueError, TypeError) as exc:
                return _bad_request(str(exc))
            self.ctx.faults.replace(rules, script, body.get("seed"))
        return JSONResponse(self.ctx.faults.describe())

    async def config(self, request: Request) -> Response:
        """POST changes run-time settings (latency_ms, rate_limit, report_mode, ...)."""
        if request.method == "POST":
            body = await self._body(request)
            if body is None:
                return _bad_request("body must be a JSON object")
            try:
                self.ctx.configure(body)
            except (ValueError, TypeError, KeyError) as exc:
                return _bad_request(str(exc))
        return JSONResponse(self.ctx.settings())

    async def reset(self, request: Request) -> Response:
        """Back to the start-up state; a body can keep parts, e.g. ``{"dois": false}``."""
        body = await self._body(request)
        if body is None:
            return _bad_request("body must be a JSON object")
        parts = {part: bool(body.get(part, True)) for part in RESET_PARTS}
        self.ctx.reset(**parts)
        return JSONResponse({"reset": [part for part, chosen in parts.items() if chosen]})

    async def dois(self, request: Request) -> Response:
        """Every DOI with its state and creation count, for exactly-once checks across processes."""
        with self.ctx.state.lock:
            body = {
                record.doi.lower(): {
                    "state": record.state,
                    "url": record.url,
                    "created_count": record.created_count,
                    "update_count": record.update_count,
                }
                for record in self.ctx.state.dois.values()
            }
        return JSONResponse(body)

    async def generate(self, request: Request) -> Response:
        """Store ``count`` DOIs from a template (``{"template": {"doi": "10.5072/x/{n}", ...},
        "start": 1, "count": 1000000}``), as if each had been minted."""
        body = await self._body(request) or {}
        template = body.get("template")
        if not isinstance(template, dict) or not isinstance(template.get("doi"), str):
            return _bad_request('body needs a "template" object with a "doi" string')
        try:
            start, count = int(body.get("start", 1)), int(body["count"])
        except (KeyError, TypeError, ValueError):
            return _bad_request('"count" (and "start") must be integers')
        stored = self.ctx.state.generate(template, range(start, start + count))
        return JSONResponse({"generated": stored, "dois_total": len(self.ctx.state.dois)})
