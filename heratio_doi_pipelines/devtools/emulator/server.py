"""Running the emulator: in a background thread for tests, or in the foreground for the CLI."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import uvicorn

from heratio_doi_pipelines.devtools.emulator.app import EmulatorApp
from heratio_doi_pipelines.devtools.emulator.config import DEFAULT_PORT, EmulatorConfig
from heratio_doi_pipelines.devtools.emulator.faults import Fault
from heratio_doi_pipelines.devtools.emulator.store import EmulatorState

STARTUP_TIMEOUT_SECONDS = 15.0


class EmulatorHandle:
    """A running emulator: its URL, its memory and the knobs a test turns while it runs."""

    def __init__(self, app: EmulatorApp, url: str) -> None:
        self.app = app
        self.url = url

    @property
    def state(self) -> EmulatorState:
        """The live store (``state.dois`` keyed by upper-case DOI); read it, don't write it."""
        return self.app.ctx.state

    @property
    def config(self) -> EmulatorConfig:
        return self.app.config

    def stats(self) -> dict[str, Any]:
        """The same dict ``GET /_emulator/stats`` returns."""
        return self.app.ctx.stats_snapshot()

    def set_faults(
        self,
        rules: Sequence[Fault] = (),
        script: Sequence[Fault | None] = (),
        seed: int | None = None,
    ) -> None:
        """Replace the fault plan: probability ``rules`` and/or a ``script`` consumed in order."""
        self.app.ctx.faults.replace(rules, script, seed)

    def clear_faults(self) -> None:
        self.app.ctx.faults.clear()

    def set_rate_limit(
        self, requests: int | None, window_seconds: float = 1.0, *, retry_after: bool = True
    ) -> None:
        """Limit to ``requests`` per ``window_seconds`` per client IP (None: no limit)."""
        self.configure(
            rate_limit=(requests, window_seconds) if requests else None,
            rate_limit_retry_after=retry_after,
        )

    def set_handle_target(self, doi: str, url: str | None) -> None:
        """Make the DOI's handle answer ``url`` instead of the DOI's URL (None: undo)."""
        with self.state.lock:
            if url is None:
                self.state.handle_targets.pop(doi.strip().upper(), None)
            else:
                self.state.handle_targets[doi.strip().upper()] = url

    def set_latency(self, latency_ms: float) -> None:
        self.configure(latency_ms=latency_ms)

    def configure(self, **settings: Any) -> None:
        """Same keys as ``POST /_emulator/config`` (latency_ms, rate_limit, report_mode, ...)."""
        self.app.ctx.configure(settings)

    def reset(
        self,
        *,
        dois: bool = True,
        events: bool = True,
        reports: bool = True,
        stats: bool = True,
        faults: bool = True,
        settings: bool = True,
    ) -> None:
        """Back to how it started: state, counters, faults, run-time settings (each optional)."""
        self.app.ctx.reset(
            dois=dois, events=events, reports=reports, stats=stats, faults=faults, settings=settings
        )


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def _server(app: EmulatorApp, log_level: str) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        # Long keep-alive so pooled client connections are not closed under a client's feet.
        timeout_keep_alive=75,
        timeout_graceful_shutdown=2,
        backlog=2048,
    )
    server = uvicorn.Server(config)
    app.server = server
    return server


@contextlib.contextmanager
def running_emulator(config: EmulatorConfig | None = None) -> Iterator[EmulatorHandle]:
    """Serve the emulator on a free 127.0.0.1 port in a background thread for the ``with`` block."""
    app = EmulatorApp(config or EmulatorConfig())
    sock = _bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = _server(app, log_level="warning")
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="datacite-emulator", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the DataCite emulator did not start")
            time.sleep(0.01)
        yield EmulatorHandle(app, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def serve(
    config: EmulatorConfig | None = None,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    *,
    on_ready: Callable[[str], None] | None = None,
    log_level: str = "info",
) -> None:
    """Serve in the foreground until interrupted; ``port=0`` picks a free port, which
    ``on_ready`` receives as the URL once the socket is bound."""
    app = EmulatorApp(config or EmulatorConfig(), freeze_heap=True)
    sock = _bind(host, port)
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{sock.getsockname()[1]}"
    if on_ready is not None:
        on_ready(url)
    try:
        _server(app, log_level=log_level).run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn re-raises Ctrl+C after its clean shutdown; that is a normal exit here
    finally:
        sock.close()
