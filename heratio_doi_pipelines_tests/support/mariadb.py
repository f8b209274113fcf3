"""A real, throwaway MariaDB server for the test session, listening on loopback only.

The server runs as the ``mysql`` system user (``runuser``) when the tests run as root, in a
temporary data directory with durability turned off: the tests need a real server, not a
safe one. ``HERATIO_TEST_MYSQL_URL`` points the tests at an existing server instead.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pymysql
import sqlalchemy as sa

from heratio_doi_pipelines.devtools.server_process import (
    as_user,
    free_port,
    log_tail,
    running_as_root,
)

MYSQL_URL_ENV = "HERATIO_TEST_MYSQL_URL"
_SYSTEM_USER = "mysql"

_START_ATTEMPTS = 3
_START_TIMEOUT_S = 60
_TEST_USER = "heratio"
# AtoM's MySQL 8 collation is utf8mb4_0900_ai_ci; MariaDB's equivalent (UCA 14, accent- and
# case-insensitive) arrived in 10.10, older servers get utf8mb4_unicode_ci.
_PREFERRED_COLLATIONS = ("utf8mb4_0900_ai_ci", "utf8mb4_uca1400_ai_ci", "utf8mb4_unicode_ci")


@dataclass(frozen=True)
class MariaDbServer:
    """A server on which tests may create and drop databases; ``admin_url`` has those rights."""

    admin_url: str
    collation: str

    @contextlib.contextmanager
    def fresh_database(self) -> Iterator[str]:
        """An empty utf8mb4 database for one test, dropped (its sessions killed) afterwards."""
        name = f"test_{secrets.token_hex(6)}"
        admin = sa.create_engine(self.admin_url, poolclass=sa.pool.NullPool)
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(
                    f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE {self.collation}"
                )
            try:
                url = sa.make_url(self.admin_url).set(database=name)
                yield url.render_as_string(hide_password=False)
            finally:
                _drop_database(admin, name)
        finally:
            admin.dispose()


def _drop_database(admin: sa.Engine, name: str) -> None:
    """Drop like PostgreSQL's ``WITH (FORCE)``: a session a test leaked would hold a lock."""
    with admin.connect() as conn:
        own = conn.exec_driver_sql("SELECT CONNECTION_ID()").scalar_one()
        sessions = conn.exec_driver_sql(
            "SELECT id FROM information_schema.processlist WHERE db = %s AND id <> %s",
            (name, own),
        ).scalars()
        for session in list(sessions):
            with contextlib.suppress(sa.exc.DBAPIError):
                conn.exec_driver_sql(f"KILL {int(session)}")
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")


@contextlib.contextmanager
def mariadb_server() -> Iterator[MariaDbServer]:
    """The server named by ``HERATIO_TEST_MYSQL_URL``, or a new one stopped on exit."""
    url = os.environ.get(MYSQL_URL_ENV)
    if url:
        yield MariaDbServer(admin_url=url, collation=_best_collation(url))
        return
    with _local_mariadb() as server:
        yield server


def _best_collation(url: str) -> str:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return _first_supported(conn.connection.driver_connection)  # type: ignore[arg-type]
    finally:
        engine.dispose()


def _first_supported(conn: pymysql.Connection) -> str:
    """The first collation of ``_PREFERRED_COLLATIONS`` the server knows (10.10+ spells the
    UCA 14 ones without a character set in SHOW COLLATION, so each name is tried)."""
    with conn.cursor() as cur:
        for name in _PREFERRED_COLLATIONS:
            try:
                cur.execute(f"SELECT _utf8mb4'a' COLLATE {name}")
            except pymysql.err.Error:
                continue
            return name
    raise RuntimeError("the server has no utf8mb4 Unicode collation")


@contextlib.contextmanager
def _local_mariadb() -> Iterator[MariaDbServer]:
    server_bin, install_db = _tool("mariadbd", "mysqld"), _tool("mariadb-install-db", "")
    base = Path(tempfile.mkdtemp(prefix="heratio-test-mariadb-"))
    data, sock = base / "data", base / "mysqld.sock"
    if running_as_root():
        shutil.chown(base, _SYSTEM_USER, _SYSTEM_USER)
    process: subprocess.Popen | None = None
    try:
        _run(
            [install_db, "--no-defaults", f"--datadir={data}", "--skip-test-db"]
            + ["--auth-root-authentication-method=normal", "--skip-name-resolve"],
            cwd=base,
        )
        process, port = _start(server_bin, base, data, sock)
        collation = _prepare(sock)
        password = secrets.token_hex(8)
        _create_test_user(sock, password)
        yield MariaDbServer(
            admin_url=f"mysql+pymysql://{_TEST_USER}:{password}@127.0.0.1:{port}/",
            collation=collation,
        )
    finally:
        if process is not None:
            _stop(process, sock, base / "mysqld.pid")
        shutil.rmtree(base, ignore_errors=True)


def _server_args(server_bin: str, base: Path, data: Path, sock: Path, port: int) -> list[str]:
    return [
        server_bin,
        "--no-defaults",
        f"--datadir={data}",
        f"--socket={sock}",
        f"--pid-file={base / 'mysqld.pid'}",
        f"--log-error={base / 'mysqld.err'}",
        f"--tmpdir={base}",
        f"--port={port}",
        "--bind-address=127.0.0.1",
        "--skip-name-resolve",
        "--skip-log-bin",
        "--character-set-server=utf8mb4",
        "--innodb-flush-log-at-trx-commit=0",
        "--innodb-doublewrite=0",
        "--innodb-buffer-pool-size=128M",
        "--innodb-log-file-size=64M",
        "--sync-frm=0",
        "--max-connections=400",
        "--performance-schema=0",
    ]


def _start(server_bin: str, base: Path, data: Path, sock: Path) -> tuple[subprocess.Popen, int]:
    """Start on a free loopback port, retrying with another port if one was taken meanwhile."""
    failure = ""
    log = base / "mysqld.err"
    for _ in range(_START_ATTEMPTS):
        port = free_port()
        process = subprocess.Popen(
            _as_server_user(_server_args(server_bin, base, data, sock, port)),
            cwd=base,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline and process.poll() is None:
            if _answers(sock):
                return process, port
            time.sleep(0.1)
        failure = log_tail(log)
        _stop(process, sock, base / "mysqld.pid")
    raise RuntimeError(f"MariaDB did not start:\n{failure}")


def _answers(sock: Path) -> bool:
    try:
        pymysql.connect(unix_socket=str(sock), user="root", connect_timeout=2).close()
    except pymysql.err.Error:
        return False
    return True


def _prepare(sock: Path) -> str:
    """Set the server's default collation to the one closest to AtoM's; returns it."""
    conn = pymysql.connect(unix_socket=str(sock), user="root", autocommit=True)
    try:
        collation = _first_supported(conn)
        with conn.cursor() as cur:
            cur.execute(f"SET GLOBAL collation_server = '{collation}'")
    finally:
        conn.close()
    return collation


def _create_test_user(sock: Path, password: str) -> None:
    """A password-protected TCP user, as a site would configure (root stays socket-only);
    it may grant, so tests can check what a least-privileged pipeline user needs."""
    conn = pymysql.connect(unix_socket=str(sock), user="root", autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE USER '{_TEST_USER}'@'127.0.0.1' IDENTIFIED BY %s", (password,))
            cur.execute(
                f"GRANT ALL PRIVILEGES ON *.* TO '{_TEST_USER}'@'127.0.0.1' WITH GRANT OPTION"
            )
    finally:
        conn.close()


def _stop(process: subprocess.Popen, sock: Path, pid_file: Path) -> None:
    """SHUTDOWN through the socket; signal the server (not runuser) if it does not listen."""
    with contextlib.suppress(pymysql.err.Error):
        conn = pymysql.connect(unix_socket=str(sock), user="root", connect_timeout=2)
        with contextlib.suppress(pymysql.err.Error), conn.cursor() as cur:
            cur.execute("SHUTDOWN")
        with contextlib.suppress(pymysql.err.Error):
            conn.close()
    try:
        process.wait(timeout=30)
        return
    except subprocess.TimeoutExpired:
        pass
    with contextlib.suppress(OSError, ValueError):
        os.kill(int(pid_file.read_text().strip()), signal.SIGKILL)
    with contextlib.suppress(OSError):
        process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


def _run(cmd: list[str], cwd: Path) -> None:
    result = subprocess.run(
        _as_server_user(cmd), cwd=cwd, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{result.stdout}{result.stderr}")


def _tool(name: str, alternative: str) -> str:
    """A MariaDB program from PATH or /usr/sbin (root's PATH has it, a user's may not)."""
    for candidate in filter(None, (name, alternative)):
        path = shutil.which(candidate) or shutil.which(candidate, path="/usr/sbin:/usr/bin")
        if path:
            return path
    raise RuntimeError(
        f"{name} not found: install Debian's mariadb-server package or set {MYSQL_URL_ENV} "
        "to a MariaDB 10.6+/MySQL 8 server"
    )


def _as_server_user(cmd: list[str]) -> list[str]:
    return as_user(_SYSTEM_USER, cmd)
