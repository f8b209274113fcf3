"""What every local database server started for development and tests needs: running as the
server's system user when we are root (neither PostgreSQL nor MariaDB runs as root), a free
loopback port, and the end of the server's log for an error message."""

from __future__ import annotations

import os
import socket
from pathlib import Path


def running_as_root() -> bool:
    return os.geteuid() == 0


def as_user(user: str, cmd: list[str]) -> list[str]:
    """``cmd`` run as ``user`` when we are root, else as ourselves."""
    return ["runuser", "-u", user, "--", *cmd] if running_as_root() else cmd


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def log_tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
