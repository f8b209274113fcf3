"""Heratio's ``doi_failure_notify`` list: addresses separated by commas, semicolons or whitespace.

Heratio splits the setting on ``[,;\\s]+``; we do the same and, unlike Heratio, drop what is not
a mail address (a typo must not make the SMTP server refuse the whole batch's mail).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

logger = logging.getLogger(__name__)

SEPARATORS = re.compile(r"[,;\s]+")

# RFC 5321 dot-atom local part at a host name (dotless hosts such as ``localhost`` allowed);
# quoted local parts and non-ASCII addresses (SMTPUTF8) are not accepted.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})*")
MAX_ADDRESS_LENGTH = 254


@dataclass(frozen=True)
class Recipients:
    """The usable addresses (first spelling of each, case-insensitively unique) and the rest."""

    valid: tuple[str, ...] = ()
    invalid: tuple[str, ...] = ()


def is_valid_address(address: str) -> bool:
    return len(address) <= MAX_ADDRESS_LENGTH and _ADDRESS.fullmatch(address) is not None


def clean_addresses(candidates: Iterable[str]) -> Recipients:
    """Keeps each valid address once (``<a@b>`` is accepted as ``a@b``)."""
    valid: dict[str, str] = {}
    invalid: list[str] = []
    for raw in candidates:
        address = raw.strip()
        if address.startswith("<") and address.endswith(">"):
            address = address[1:-1]
        if not address:
            continue
        if is_valid_address(address):
            valid.setdefault(address.lower(), address)
        else:
            invalid.append(raw)
    return Recipients(tuple(valid.values()), tuple(invalid))


def parse_recipients(text: str | None, *, warn: bool = True) -> Recipients:
    """Splits a ``doi_failure_notify`` value; invalid entries are returned apart (and logged)."""
    recipients = clean_addresses(SEPARATORS.split(text or ""))
    for address in recipients.invalid if warn else ():
        logger.warning("doi_failure_notify: %r is not a mail address; it is ignored", address)
    return recipients
