"""Who is calling: repository basic auth, a Bearer token, nobody, or bad credentials."""

from __future__ import annotations

import base64
import binascii
import enum
import hmac
from collections.abc import Collection

from starlette.requests import Request


class Caller(enum.Enum):
    ANONYMOUS = "anonymous"
    REPOSITORY = "repository"
    TOKEN = "token"
    INVALID = "invalid"


def identify(
    request: Request, repository_id: str, password: str, bearer_tokens: Collection[str]
) -> Caller:
    """Classify the Authorization header; the repository id is matched case-insensitively."""
    header = request.headers.get("authorization")
    if not header:
        return Caller.ANONYMOUS
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return Caller.INVALID
        user, sep, secret = decoded.partition(":")
        if (
            sep
            and user.lower() == repository_id.lower()
            and hmac.compare_digest(secret.encode(), password.encode())
        ):
            return Caller.REPOSITORY
        return Caller.INVALID
    if scheme == "bearer":
        token = value.encode()
        if any(hmac.compare_digest(token, known.encode()) for known in bearer_tokens):
            return Caller.TOKEN
        return Caller.INVALID
    return Caller.INVALID
