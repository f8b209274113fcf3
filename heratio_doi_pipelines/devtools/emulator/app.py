"""The emulator's ASGI application: DataCite's routes behind its firewall (rate limit),
its latency and whatever faults a test asks for."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import math
import socket
import struct
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from heratio_doi_pipelines.devtools.emulator.config import EmulatorConfig
from heratio_doi_pipelines.devtools.emulator.context import EmulatorContext
from heratio_doi_pipelines.devtools.emulator.control import ControlRoutes
from heratio_doi_pipelines.devtools.emulator.dois import DoiRoutes
from heratio_doi_pipelines.devtools.emulator.events import EventRoutes
from heratio_doi_pipelines.devtools.emulator.faults import Fault
from heratio_doi_pipelines.devtools.emulator.handles import HandleRoutes
from heratio_doi_pipelines.devtools.emulator.reports import ReportRoutes
from heratio_doi_pipelines.devtools.emulator.responses import NOT_FOUND, error_response
from heratio_doi_pipelines.devtools.emulator.throttle import RollingWindowLimiter

logger = logging.getLogger(__name__)

STATE_FLUSH_SECONDS = 0.5
FREEZE_HEAP_SECONDS = 1.0
HTML_FAULTS = {
    code: f"<html><head><title>{code} {text}</title></head>"
    f"<body><h1>{code} {text}</h1></body></html>"
    for code, text in ((502, "Bad Gateway"), (503, "Service Unavailable"), (403, "Forbidden"))
}


async def heartbeat(request: Request) -> Response:
    return PlainTextResponse("OK")


async def not_found(request: Request, exc: Exception) -> Response:
    return error_response(404, NOT_FOUND)


def _route_name(path: str) -> str:
    """``/dois/10.x/y`` → ``dois``: the area a request belongs to, for per-route peaks."""
    return path.strip("/").split("/", 1)[0] or "/"


class EmulatorApp:
    """ASGI entry point; ``server`` is set by whoever runs it so dropped connections can be made."""

    def __init__(self, config: EmulatorConfig, *, freeze_heap: bool = False) -> None:
        """``freeze_heap``: for a process of its own (``serve``); see _freeze_heap_forever."""
        self.config = config
        self.freeze_heap = freeze_heap
        self.ctx = EmulatorContext(config)
        self.state_file = Path(config.state_file) if config.state_file else None
        if self.state_file is not None:
            self.ctx.state.load(self.state_file)
        routes = [
            *DoiRoutes(self.ctx).routes(),
            *EventRoutes(self.ctx).routes(),
            *ReportRoutes(self.ctx).routes(),
            *HandleRoutes(self.ctx).routes(),
            Route("/heartbeat", heartbeat, methods=["GET"]),
            *ControlRoutes(self.ctx).routes(),
        ]
        self.router = Starlette(
            routes=routes, lifespan=self._lifespan, exception_handlers={404: not_found}
        )
        self.server: Any = None

    # Lifespan: keep the state file current without writing it on every request.
    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        tasks = []
        if self.state_file:
            tasks.append(asyncio.create_task(self._flush_forever()))
        if self.freeze_heap:
            tasks.append(asyncio.create_task(self._freeze_heap_forever()))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            self.flush_state()

    async def _freeze_heap_forever(self) -> None:
        """Stored DOIs, events and reports live as long as the process: moving them out of the
        garbage collector's reach keeps full collections short. A long collection stops the
        event loop, and requests that arrive meanwhile would be rate-counted late (DataCite's
        firewall counts them on arrival)."""
        while True:
            await asyncio.sleep(FREEZE_HEAP_SECONDS)
            gc.freeze()

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(STATE_FLUSH_SECONDS)
            if self.ctx.state.dirty:
                self.flush_state()

    def flush_state(self) -> None:
        """Write the state file now (if one is configured)."""
        if self.state_file is not None:
            self.ctx.state.save(self.state_file)

    # Request pipeline --------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_emulator/"):
            await self.router(scope, receive, send)
            return
        ctx = self.ctx
        method, path = scope["method"], scope["path"]
        ctx.peak.record(_route_name(path))

        limiter = ctx.limiter
        client = scope.get("client")
        if limiter is not None:
            wait = limiter.check(client[0] if client else "unknown")
            if wait is not None:
                ctx.stats.count_rate_limited()
                headers = {}
                if ctx.rate_limit_retry_after:
                    headers["Retry-After"] = RollingWindowLimiter.retry_after_header(wait)
                await error_response(429, "Too many requests", headers)(scope, receive, send)
                ctx.stats.record(method, "429")
                return

        fault = ctx.faults.choose(method, path)
        ctx.stats.enter()
        try:
            if ctx.latency_ms > 0:
                await asyncio.sleep(ctx.latency_ms / 1000)
            if fault is None:
                status = await self._respond(scope, receive, send)
            else:
                status = await self._respond_with_fault(fault, scope, receive, send)
        finally:
            ctx.stats.leave()
        ctx.stats.record(method, status)

    async def _respond(self, scope: Scope, receive: Receive, send: Send) -> str:
        """Run the real handler; returns the status it sent."""
        status = "0"

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = str(message["status"])
            await send(message)

        await self.router(scope, receive, capture)
        return status

    async def _run_buffered(self, scope: Scope, receive: Receive) -> list[Message]:
        """Run the real handler without answering yet (the change lands, the reply waits)."""
        messages: list[Message] = []

        async def keep(message: Message) -> None:
            messages.append(message)

        await self.router(scope, receive, keep)
        return messages

    async def _respond_with_fault(
        self, fault: Fault, scope: Scope, receive: Receive, send: Send
    ) -> str:
        if fault.kind == "slow":
            if not fault.apply_before_fault:
                await asyncio.sleep(fault.delay_seconds)
                return await self._respond(scope, receive, send)
            messages = await self._run_buffered(scope, receive)
            await asyncio.sleep(fault.delay_seconds)
            status = "0"
            for message in messages:
                if message["type"] == "http.response.start":
                    status = str(message["status"])
                await send(message)
            return status

        if fault.apply_before_fault:
            await self._run_buffered(scope, receive)
        if fault.kind in ("drop", "reset"):
            await self._drop_connection(scope, receive, reset=fault.kind == "reset")
            return "dropped"
        status_code = fault.status or 500
        response: Response
        if status_code in HTML_FAULTS:
            response = HTMLResponse(HTML_FAULTS[status_code], status_code=status_code)
        elif status_code == 429:
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = str(max(0, math.ceil(fault.retry_after)))
            response = error_response(429, "Too many requests", headers)
        else:
            response = error_response(status_code, "Internal Server Error")
        await response(scope, receive, send)
        return str(status_code)

    async def _drop_connection(self, scope: Scope, receive: Receive, *, reset: bool) -> None:
        """Close the client's socket without a byte of response, like a proxy dying mid-request.

        ASGI has no verb for this, so the uvicorn connection serving this request is looked up
        by the client address and its transport closed (or aborted, for a TCP reset).
        """
        transport = self._transport_for(scope)
        if transport is None:
            raise RuntimeError("dropping a connection needs the emulator's uvicorn server")
        if reset:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                # Linger 0: closing sends a TCP RST instead of a FIN.
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        else:
            transport.close()
        # Wait until uvicorn has seen the disconnect, so it does not try to answer.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2):
                while (await receive())["type"] != "http.disconnect":
                    pass

    def _transport_for(self, scope: Scope) -> asyncio.Transport | None:
        client = scope.get("client")
        server = self.server
        if client is None or server is None:
            return None
        for connection in list(server.server_state.connections):
            if getattr(connection, "client", None) == tuple(client):
                transport: asyncio.Transport | None = getattr(connection, "transport", None)
                return transport
        return None
