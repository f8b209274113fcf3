"""A real SMTP server (aiosmtpd) on loopback that keeps every mail it receives."""

from __future__ import annotations

import contextlib
import email
import email.policy
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

CERTS = Path(__file__).parent / "certs"
CERT_FILE = CERTS / "loopback-test-cert.pem"
KEY_FILE = CERTS / "loopback-test-key.pem"

SMTP_USER = "heratio-mailer"
SMTP_PASSWORD = "Smtp-S3cret-hunter2"

# Variables that would send the tests' mail somewhere else.
_MAIL_ENV = (
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_USER",
    "SMTP_PASSWORD",
    "SMTP_FROM",
    "SMTP_STARTTLS",
    "DOI_FAILURE_NOTIFY",
)


@pytest.fixture(autouse=True)
def _no_mail_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _MAIL_ENV:
        monkeypatch.delenv(name, raising=False)


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())


@dataclass
class MailServer:
    host: str
    port: int
    mails: list[ReceivedMail] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def by_recipient(self) -> dict[str, list[ReceivedMail]]:
        boxes: dict[str, list[ReceivedMail]] = {}
        for mail in self.mails:
            for rcpt in mail.rcpt_tos:
                boxes.setdefault(rcpt, []).append(mail)
        return boxes

    # aiosmtpd handler hooks
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = bytes(envelope.original_content or envelope.content)
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.mails.append(
                ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), raw, parsed)
            )
        return "250 OK"


class _PasswordCheck:
    def __init__(self, server: MailServer, user: str, password: str):
        self.server, self.user, self.password = server, user, password

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        with self.server.lock:
            self.server.logins.append((login, password))
        if (login, password) == (self.user, self.password):
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)  # aiosmtpd answers 535


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_tls_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(CERT_FILE, KEY_FILE)
    return context


def client_tls_context() -> ssl.SSLContext:
    """Trusts the loopback test certificate only."""
    return ssl.create_default_context(cafile=str(CERT_FILE))


@contextlib.contextmanager
def mail_server(*, password: str | None = None, starttls: bool = False) -> Iterator[MailServer]:
    """An SMTP server on a free loopback port; with ``password``, AUTH is required."""
    server = MailServer("127.0.0.1", free_port())
    kwargs: dict[str, Any] = {}
    if password is not None:
        kwargs.update(
            authenticator=_PasswordCheck(server, SMTP_USER, password),
            auth_required=True,
            auth_require_tls=starttls,
        )
    if starttls:
        kwargs.update(tls_context=server_tls_context(), require_starttls=True)
    controller = Controller(server, hostname=server.host, port=server.port, **kwargs)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def smtp() -> Iterator[MailServer]:
    with mail_server() as server:
        yield server


@pytest.fixture
def smtp_with_auth() -> Iterator[MailServer]:
    with mail_server(password=SMTP_PASSWORD) as server:
        yield server


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: connections are refused."""
    return free_port()


@pytest.fixture
def silent_server() -> Iterator[tuple[str, int]]:
    """Accepts TCP connections but never greets: a client waits until its timeout."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield "127.0.0.1", int(sock.getsockname()[1])
