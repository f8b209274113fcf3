"""Sending mail with the standard library's smtplib, one connection per batch of messages.

Delivery never raises: a refused connection, a failed login or a timeout becomes a counted,
redacted error, because a mail server must never fail or roll back a DOI change.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage

from heratio_doi_pipelines.settings import DoiSettings

DEFAULT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send; ``ssl_context`` defaults to the system's trusted CAs."""

    host: str
    port: int = 25
    user: str = ""
    password: str = field(default="", repr=False)
    sender: str = "heratio-doi@localhost"
    starttls: bool = False
    timeout: float = DEFAULT_TIMEOUT_S
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_settings(
        cls,
        settings: DoiSettings,
        *,
        timeout: float = DEFAULT_TIMEOUT_S,
        ssl_context: ssl.SSLContext | None = None,
    ) -> SmtpConfig:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            user=settings.smtp_user,
            password=settings.smtp_password,
            sender=settings.smtp_from,
            starttls=settings.smtp_starttls,
            timeout=timeout,
            ssl_context=ssl_context,
        )

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass
class Delivery:
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _connect(config: SmtpConfig) -> smtplib.SMTP:
    smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    try:
        smtp.ehlo()
        if config.starttls:
            # Raises when the server does not offer STARTTLS: credentials never go out in clear
            # text to a server that was meant to be reached over TLS.
            smtp.starttls(context=config.ssl_context or ssl.create_default_context())
            smtp.ehlo()
        if config.user:
            smtp.login(config.user, config.password)
    except BaseException:
        smtp.close()
        raise
    return smtp


# Errors that concern one message; the connection stays usable for the next one.
_MESSAGE_ERRORS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
    smtplib.SMTPNotSupportedError,
    UnicodeError,
)


def deliver(
    config: SmtpConfig, messages: Sequence[EmailMessage], redact: Callable[[str], str]
) -> Delivery:
    """Sends ``messages`` over one connection and counts what went out; never raises."""
    result = Delivery()
    if not messages:
        return result
    try:
        smtp = _connect(config)
    except Exception as exc:
        result.failed = len(messages)
        result.errors.append(redact(f"SMTP {config.address}: {describe(exc)}"))
        return result
    try:
        for index, message in enumerate(messages):
            try:
                smtp.send_message(message)
            except _MESSAGE_ERRORS as exc:
                result.failed += 1
                result.errors.append(
                    redact(f"SMTP {config.address}, mail to {message['To']}: {describe(exc)}")
                )
            except Exception as exc:
                # The connection is gone (reset, timeout): the remaining mails are not sent.
                result.failed += len(messages) - index
                result.errors.append(redact(f"SMTP {config.address}: {describe(exc)}"))
                break
            else:
                result.sent += 1
    finally:
        try:
            smtp.quit()
        except Exception:
            with contextlib.suppress(Exception):
                smtp.close()
    return result
