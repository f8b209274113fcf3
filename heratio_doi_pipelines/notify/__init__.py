"""Mail notifications: DOI outcomes to the ops mailbox and record owners, failed runs to ops."""

from __future__ import annotations

from heratio_doi_pipelines.notify.notifier import (
    DEFAULT_NOTIFY_ON,
    EmailNotifier,
    NotifierReport,
    OwnerLookup,
    notifier_from_settings,
)
from heratio_doi_pipelines.notify.recipients import Recipients, is_valid_address, parse_recipients
from heratio_doi_pipelines.notify.run_failure import (
    RunFailure,
    notification_settings,
    send_run_failure_mail,
)
from heratio_doi_pipelines.notify.smtp import SmtpConfig

__all__ = [
    "DEFAULT_NOTIFY_ON",
    "EmailNotifier",
    "NotifierReport",
    "OwnerLookup",
    "Recipients",
    "RunFailure",
    "SmtpConfig",
    "is_valid_address",
    "notification_settings",
    "notifier_from_settings",
    "parse_recipients",
    "send_run_failure_mail",
]
