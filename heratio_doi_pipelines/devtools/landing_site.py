"""A sample public catalogue on 127.0.0.1: the sample archive's record pages, some broken.

Heratio shows each record at ``{base_url}/{slug}`` with its DOI. Heratio itself serves no page
for withdrawn records (a deactivated DOI keeps the record's URL by default); a site that adds one
(``doi_tombstone_url_pattern`` ``{base_url}/doi/tombstone/{doi}``) shows the DOI there, and so
does this sample site, for tests of that pattern. It serves these pages from the catalogue
and DOI tables (looked up per request, so it can start before the DOIs are minted), and
breaks the pages it is told to break, so the landing-page check has something to find:

- ``not_found``: 404; ``no_doi``: the page without its DOI; ``redirect_loop``: the page
  redirects to itself through a second URL; ``redirect_chain``: the page is reached after
  ``CHAIN_HOPS`` redirects; ``not_html``: the record as plain text; ``slow``: the page answers
  after ``slow_seconds``.

It counts what it was asked (requests per path, requests in flight and their peak, start
times, User-Agents), so tests can prove the checker's caps and its one fetch per page.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from heratio_doi_pipelines.catalogue import atom_tables as atom
from heratio_doi_pipelines.store.tables import ahg_doi

BREAKAGES = ("not_found", "no_doi", "redirect_loop", "redirect_chain", "not_html", "slow")
CHAIN_HOPS = 7  # more redirects than a browser (or the landing-page check) follows
STARTUP_TIMEOUT_SECONDS = 15.0


@dataclass
class SiteStats:
    requests: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0
    by_path: Counter[str] = field(default_factory=Counter)
    starts: list[float] = field(default_factory=list)  # monotonic start times
    user_agents: set[str] = field(default_factory=set)


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head><body>{body}</body></html>",
        status_code=status,
    )


def _doi_link(doi: str) -> str:
    url = f"https://doi.org/{html.escape(doi)}"
    return f"<p class='doi'>DOI: <a href='{url}'>{url}</a></p>"


class LandingSite:
    """The ASGI app; ``broken`` maps a page path (``/slug``) to one of ``BREAKAGES``."""

    def __init__(
        self,
        doi_engine: sa.Engine,
        catalogue_engine: sa.Engine,
        *,
        latency_ms: float = 0.0,
        slow_seconds: float = 3.0,
    ) -> None:
        self.doi_engine = doi_engine
        self.catalogue_engine = catalogue_engine
        self.latency_ms = latency_ms
        self.slow_seconds = slow_seconds
        self.broken: dict[str, str] = {}
        self.closing = False
        self.stats = SiteStats()
        self._lock = threading.Lock()
        self.router = Starlette(
            routes=[
                Route("/doi/tombstone/{doi:path}", self.tombstone, methods=["GET"]),
                Route("/{slug:path}", self.record, methods=["GET"]),
            ]
        )

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            await self.router(scope, receive, send)
            return
        with self._lock:
            stats = self.stats
            stats.requests += 1
            stats.in_flight += 1
            stats.peak_in_flight = max(stats.peak_in_flight, stats.in_flight)
            stats.by_path[
                scope["path"]
                + ("?" + scope["query_string"].decode() if scope["query_string"] else "")
            ] += 1
            stats.starts.append(time.monotonic())
            headers = dict(scope.get("headers") or [])
            stats.user_agents.add(headers.get(b"user-agent", b"").decode("latin-1"))
        try:
            if self.latency_ms:
                await asyncio.sleep(self.latency_ms / 1000)
            await self.router(scope, receive, send)
        finally:
            with self._lock:
                self.stats.in_flight -= 1

    def break_page(self, path: str, kind: str) -> None:
        if kind not in BREAKAGES:
            raise ValueError(f"unknown breakage {kind!r}; expected one of {', '.join(BREAKAGES)}")
        self.broken[path] = kind

    def reset_stats(self) -> None:
        with self._lock:
            self.stats = SiteStats()

    # Pages ---------------------------------------------------------------------------------
    def _record(self, slug: str) -> tuple[str, str | None] | None:
        """(title, DOI) of the record with this slug; None when there is no such page."""
        with self.catalogue_engine.connect() as conn:
            row = conn.execute(
                sa.select(atom.slug.c.object_id, atom.information_object_i18n.c.title)
                .outerjoin(
                    atom.information_object_i18n,
                    atom.information_object_i18n.c.id == atom.slug.c.object_id,
                )
                .where(atom.slug.c.slug == slug)
                .limit(1)
            ).first()
        if row is None:
            return None
        with self.doi_engine.connect() as conn:
            doi = conn.execute(
                sa.select(ahg_doi.c.doi).where(ahg_doi.c.information_object_id == row[0])
            ).scalar()
        return row[1] or f"Record {row[0]}", doi

    async def record(self, request: Request) -> Response:
        path = request.url.path
        slug = request.path_params["slug"].strip("/")
        kind = self.broken.get(path)
        if kind == "redirect_loop":
            target = path if request.query_params.get("via") else f"{path}?via=1"
            return RedirectResponse(target, status_code=302)
        hop = int(request.query_params.get("hop") or 0)
        if kind == "redirect_chain" and hop < CHAIN_HOPS:
            return RedirectResponse(f"{path}?hop={hop + 1}", status_code=301)
        found = await run_in_threadpool(self._record, slug) if slug else None
        if found is None or kind == "not_found":
            return _page("Page not found", "<h1>Page not found</h1>", status=404)
        if kind == "slow":
            await self._sleep_unless_closing(self.slow_seconds)
        title, doi = found
        if kind == "not_html":
            return PlainTextResponse(f"{title}\nDOI: https://doi.org/{doi}\n")
        body = f"<h1>{html.escape(title)}</h1>"
        if doi and kind != "no_doi":
            body += _doi_link(doi)
        return _page(title, body)

    async def _sleep_unless_closing(self, seconds: float) -> None:
        """Be slow, but let the server stop on time (a long sleep outlives its shutdown)."""
        until = time.monotonic() + seconds
        while not self.closing and time.monotonic() < until:
            await asyncio.sleep(min(0.05, until - time.monotonic()))

    async def tombstone(self, request: Request) -> Response:
        doi = request.path_params["doi"].strip("/").lower()
        known = await run_in_threadpool(self._known_doi, doi)
        if not known:
            return _page("Page not found", "<h1>Page not found</h1>", status=404)
        return _page(
            "Record withdrawn",
            "<h1>This record has been withdrawn</h1>" + _doi_link(doi),
        )

    def _known_doi(self, doi: str) -> bool:
        with self.doi_engine.connect() as conn:
            return (
                conn.execute(
                    sa.select(ahg_doi.c.id).where(sa.func.lower(ahg_doi.c.doi) == doi)
                ).first()
                is not None
            )


@dataclass
class SiteHandle:
    site: LandingSite
    url: str

    @property
    def stats(self) -> SiteStats:
        return self.site.stats


@contextlib.contextmanager
def running_landing_site(
    doi_engine: sa.Engine,
    catalogue_engine: sa.Engine | None = None,
    *,
    port: int = 0,
    latency_ms: float = 0.0,
    slow_seconds: float = 3.0,
) -> Iterator[SiteHandle]:
    """Serve the sample site on 127.0.0.1 (``port=0``: a free one) for the ``with`` block."""
    site = LandingSite(
        doi_engine,
        catalogue_engine or doi_engine,
        latency_ms=latency_ms,
        slow_seconds=slow_seconds,
    )
    sock = socket.create_server(("127.0.0.1", port), backlog=1024)
    server = uvicorn.Server(
        uvicorn.Config(
            site, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=1
        )
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="landing-site", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sample landing site did not start")
            time.sleep(0.01)
        yield SiteHandle(site, f"http://127.0.0.1:{sock.getsockname()[1]}")
    finally:
        site.closing = True
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
