"""Mail to the ops mailbox when a Dagster run fails, and the settings it needs.

A run often fails because the DOI database is unreachable; the settings then come from the
environment alone, so the failure is still reported.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import sqlalchemy as sa

from heratio_doi_pipelines.notify.messages import run_failure_message
from heratio_doi_pipelines.notify.notifier import NotifierReport
from heratio_doi_pipelines.notify.recipients import parse_recipients
from heratio_doi_pipelines.notify.redact import Redactor
from heratio_doi_pipelines.notify.smtp import DEFAULT_TIMEOUT_S, SmtpConfig, deliver
from heratio_doi_pipelines.settings import DoiSettings, SettingsResolver

logger = logging.getLogger(__name__)

MAX_ERROR_CHARS = 2000


@dataclass(frozen=True)
class RunFailure:
    """A failed run as the ops mail shows it; no stack traces (they add noise, not facts)."""

    job_name: str
    run_id: str
    message: str
    step_errors: tuple[str, ...] = ()
    run_url: str = ""


def _from_overrides(overrides: Mapping[str, Any]) -> DoiSettings:
    kinds = {f.name: f.type for f in fields(DoiSettings)}
    values: dict[str, Any] = {}
    for name, value in overrides.items():
        if name not in kinds or value in (None, ""):
            continue
        if kinds[name] == "bool":
            values[name] = (
                value if isinstance(value, bool) else str(value).strip().lower() in _TRUE_WORDS
            )
        elif kinds[name] == "int":
            values[name] = int(value)
        elif kinds[name] == "float":
            values[name] = float(value)
        else:
            values[name] = str(value)
    return replace(DoiSettings(), **values, config_source="environment")


_TRUE_WORDS = {"1", "true", "yes", "on"}


def notification_settings(
    engine: sa.Engine | Callable[[], sa.Engine], overrides: Mapping[str, Any]
) -> DoiSettings:
    """The global settings (``SettingsResolver``), or the overrides alone when the database
    cannot be read."""
    try:
        resolved_engine = engine() if callable(engine) else engine
        return SettingsResolver(resolved_engine, overrides).global_settings()
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        # The exception text may carry the database URL: only its kind is logged.
        logger.warning(
            "DOI settings not read from the database (%s); using the environment",
            type(exc).__name__,
        )
        return _from_overrides(overrides)


def clip(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def send_run_failure_mail(
    settings: DoiSettings,
    failure: RunFailure,
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
    ssl_context: ssl.SSLContext | None = None,
) -> NotifierReport | None:
    """One mail per ops address; None when mail is not configured. Never raises."""
    recipients = parse_recipients(settings.failure_notify)
    if not settings.smtp_host or not recipients.valid:
        return None
    redact = Redactor(settings.password, settings.api_token)
    redact.add_smtp_credentials(settings.smtp_user, settings.smtp_password)
    config = SmtpConfig.from_settings(settings, timeout=timeout, ssl_context=ssl_context)
    messages = [
        run_failure_message(failure, sender=config.sender, recipient=address, redact=redact)
        for address in recipients.valid
    ]
    delivery = deliver(config, messages, redact)
    for error in delivery.errors:
        logger.warning("run failure mail not sent: %s", error)
    return NotifierReport(
        sent=delivery.sent,
        failed=delivery.failed,
        errors=delivery.errors,
        dropped_recipients=list(recipients.invalid),
    )
