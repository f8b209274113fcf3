"""Masking secrets in every text that leaves the notifier (mail bodies, errors, logs).

SMTP servers may echo what they received; AUTH PLAIN and AUTH LOGIN send the password in
base64, so those forms are masked as well as the plain text.
"""

from __future__ import annotations

import base64
import threading

MASK = "***"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


class Redactor:
    """A growing set of secrets; calling it masks them in a text. Safe to share between threads."""

    def __init__(self, *secrets: str):
        self._secrets: frozenset[str] = frozenset()
        self._lock = threading.Lock()
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        new = {s for s in secrets if s}
        if new - self._secrets:  # the common case (already known) takes no lock
            with self._lock:
                self._secrets = self._secrets | new

    def add_smtp_credentials(self, user: str, password: str) -> None:
        """The password and the base64 forms of it that SMTP AUTH PLAIN/LOGIN put on the wire."""
        if not password:
            return
        self.add(
            password,
            _b64(password),
            _b64(f"\0{user}\0{password}"),
            _b64(f"{user}\0{user}\0{password}"),
        )

    def __call__(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return text
