"""Typed DataCite errors: the queue decides retry vs fail from the type, never from text."""

from __future__ import annotations

from typing import Any


class DataCiteError(Exception):
    """A DataCite call failed. ``transient`` errors are retried later; others fail at once."""

    transient = False
    stops_batch = False

    def __init__(self, message: str, *, status: int | None = None, errors: list | None = None):
        super().__init__(message)
        self.status = status
        self.errors: list[dict[str, Any]] = errors or []


class AuthenticationError(DataCiteError):
    """401: wrong repository id or password. Stops the batch: every other item would fail too."""

    stops_batch = True


class ForbiddenError(DataCiteError):
    """403 with DataCite's JSON body: e.g. a prefix that is not the repository's."""


class NotFoundError(DataCiteError):
    """404: DataCite has no such DOI (or it is a draft these credentials may not see)."""


class MethodNotAllowedError(DataCiteError):
    """405: e.g. DELETE of a registered or findable DOI."""


class MetadataRejectedError(DataCiteError):
    """422: DataCite rejected the metadata; ``errors`` holds its per-attribute list."""


class TransientError(DataCiteError):
    """5xx, 408, 409 races, timeouts and dropped connections: worth retrying later."""

    transient = True


class RateLimitedError(TransientError):
    """429 (or the load balancer's HTML 403): DataCite asked us to slow down."""

    def __init__(self, message: str, *, status: int | None = 429, retry_after: float | None = None):
        super().__init__(message, status=status)
        self.retry_after = retry_after


class StateMismatchError(DataCiteError):
    """DataCite answered 2xx but the DOI is not in the state we asked for (ignored event)."""


def describe_errors(errors: list[dict[str, Any]]) -> str:
    """DataCite's error list as one readable line: ``url: Can't be blank; doi: ...``."""
    parts = []
    for err in errors:
        source = err.get("source")
        title = err.get("title") or err.get("detail") or "error"
        parts.append(f"{source}: {title}" if source else str(title))
    return "; ".join(parts)
