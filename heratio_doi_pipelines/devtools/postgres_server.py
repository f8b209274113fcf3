"""A local PostgreSQL server for tests and benchmarks, listening on loopback only.

PostgreSQL refuses to run as root, so under root the server runs as the ``postgres`` system
user (``runuser``). The programs come from PATH, else from Debian's versioned directory.
A throwaway server (no ``base``) lives in a temporary directory removed on exit; a server
with a ``base`` keeps its data there, so a benchmark can stop and start it again later.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from heratio_doi_pipelines.devtools.server_process import (
    as_user,
    free_port,
    log_tail,
    running_as_root,
)

_SYSTEM_USER = "postgres"

_START_ATTEMPTS = 3
_START_TIMEOUT_S = 60
# A test server need not survive a power cut; a benchmark's must do what production does.
_NOT_DURABLE = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


@contextlib.contextmanager
def local_postgres(base: Path | None = None, *, durable: bool = True) -> Iterator[str]:
    """Start a server (initialising ``base/data`` when it is new) and yield its admin URL
    (user ``postgres``, trust authentication on loopback); stopped on exit."""
    initdb, pg_ctl = tool("initdb"), tool("pg_ctl")
    temporary = base is None
    base = Path(tempfile.mkdtemp(prefix="heratio-pg-")) if base is None else base
    data, sockets, log = base / "data", base / "sockets", base / "postgres.log"
    base.mkdir(parents=True, exist_ok=True)
    sockets.mkdir(exist_ok=True)
    if running_as_root():
        for path in (base, sockets):
            shutil.chown(path, _SYSTEM_USER, _SYSTEM_USER)
    started = False
    try:
        if not (data / "PG_VERSION").exists():
            _run(
                [initdb, "-D", str(data), "-U", "postgres", "-E", "UTF8", "--no-locale"]
                + ["--no-sync", "--auth-local=trust", "--auth-host=trust"],
                cwd=base,
            )
        port = _start(pg_ctl, data, sockets, log, base, "" if durable else _NOT_DURABLE)
        started = True
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres"
    finally:
        if started:
            _stop(pg_ctl, data, base)
        if temporary:
            shutil.rmtree(base, ignore_errors=True)


def tool(name: str) -> str:
    """A PostgreSQL program from PATH, else from Debian's versioned directory (not on PATH)."""
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    path = shutil.which(name) or (str(candidates[0]) if candidates else None)
    if path is None:
        raise RuntimeError(f"{name} not found on PATH: install PostgreSQL 15")
    return path


def _start(pg_ctl: str, data: Path, sockets: Path, log: Path, cwd: Path, extra_options: str) -> int:
    """Start on a free loopback port, retrying with another port if one was taken meanwhile."""
    failure = ""
    for _ in range(_START_ATTEMPTS):
        port = free_port()
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={sockets} "
            f"{extra_options}"
        )
        cmd = [pg_ctl, "-D", str(data), "-l", str(log), "-w", "-t", str(_START_TIMEOUT_S)]
        result = subprocess.run(
            _as_server_user(cmd + ["-o", options, "start"]),
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode == 0:
            return port
        failure = result.stdout + result.stderr + log_tail(log)
    raise RuntimeError(f"PostgreSQL did not start:\n{failure}")


def _stop(pg_ctl: str, data: Path, cwd: Path) -> None:
    for mode in ("fast", "immediate"):
        cmd = [pg_ctl, "-D", str(data), "-m", mode, "-w", "-t", "60", "stop"]
        result = subprocess.run(_as_server_user(cmd), cwd=cwd, capture_output=True, check=False)
        if result.returncode == 0:
            return


def _run(cmd: list[str], cwd: Path) -> None:
    result = subprocess.run(
        _as_server_user(cmd), cwd=cwd, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{result.stdout}{result.stderr}")


def _as_server_user(cmd: list[str]) -> list[str]:
    return as_user(_SYSTEM_USER, cmd)
