"""A real, throwaway PostgreSQL server for the test session, listening on loopback only.

PostgreSQL refuses to run as root, so under root the server runs as the ``postgres`` system
user (``runuser``). ``HERATIO_TEST_PG_URL`` points the tests at an existing server instead.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

PG_URL_ENV = "HERATIO_TEST_PG_URL"
_SYSTEM_USER = "postgres"
_START_ATTEMPTS = 3
_START_TIMEOUT_S = 60


@dataclass(frozen=True)
class PostgresServer:
    """A server on which tests may create and drop databases; ``admin_url`` has those rights."""

    admin_url: str

    @contextlib.contextmanager
    def fresh_database(self) -> Iterator[str]:
        """An empty database for one test, dropped (with its connections) afterwards."""
        name = f"test_{secrets.token_hex(6)}"
        admin = sa.create_engine(
            self.admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
        )
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(
                    f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"
                )
            try:
                url = sa.make_url(self.admin_url).set(database=name)
                yield url.render_as_string(hide_password=False)
            finally:
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            admin.dispose()


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """The server named by ``HERATIO_TEST_PG_URL``, or a new one stopped on exit."""
    url = os.environ.get(PG_URL_ENV)
    if url:
        yield PostgresServer(admin_url=url)
        return
    with _local_postgres() as server:
        yield server


@contextlib.contextmanager
def _local_postgres() -> Iterator[PostgresServer]:
    initdb, pg_ctl = _tool("initdb"), _tool("pg_ctl")
    base = Path(tempfile.mkdtemp(prefix="heratio-test-pg-"))
    data, sockets, log = base / "data", base / "sockets", base / "postgres.log"
    sockets.mkdir()
    if _as_root():
        for path in (base, sockets):
            shutil.chown(path, _SYSTEM_USER, _SYSTEM_USER)
    started = False
    try:
        _run(
            [initdb, "-D", str(data), "-U", "postgres", "-E", "UTF8", "--no-locale", "--no-sync"]
            + ["--auth-local=trust", "--auth-host=trust"],
            cwd=base,
        )
        port = _start(pg_ctl, data, sockets, log, base)
        started = True
        yield PostgresServer(admin_url=f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres")
    finally:
        if started:
            _stop(pg_ctl, data, base)
        shutil.rmtree(base, ignore_errors=True)


def _start(pg_ctl: str, data: Path, sockets: Path, log: Path, cwd: Path) -> int:
    """Start on a free loopback port, retrying with another port if one was taken meanwhile."""
    failure = ""
    for _ in range(_START_ATTEMPTS):
        port = _free_port()
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={sockets} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
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
        failure = result.stdout + result.stderr + _tail(log)
    raise RuntimeError(f"PostgreSQL did not start:\n{failure}")


def _stop(pg_ctl: str, data: Path, cwd: Path) -> None:
    for mode in ("fast", "immediate"):
        cmd = [pg_ctl, "-D", str(data), "-m", mode, "-w", "-t", "30", "stop"]
        result = subprocess.run(_as_server_user(cmd), cwd=cwd, capture_output=True, check=False)
        if result.returncode == 0:
            return


def _run(cmd: list[str], cwd: Path) -> None:
    result = subprocess.run(
        _as_server_user(cmd), cwd=cwd, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{result.stdout}{result.stderr}")


def _tool(name: str) -> str:
    """A PostgreSQL program from PATH, else from Debian's versioned directory (not on PATH)."""
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    path = shutil.which(name) or (str(candidates[0]) if candidates else None)
    if path is None:
        raise RuntimeError(
            f"{name} not found on PATH: install PostgreSQL 15 or set {PG_URL_ENV} to a server"
        )
    return path


def _as_root() -> bool:
    return os.geteuid() == 0


def _as_server_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", _SYSTEM_USER, "--", *cmd] if _as_root() else cmd


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
