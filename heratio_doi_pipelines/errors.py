"""The project's base error: everything an operator should read as a plain message."""

from __future__ import annotations


class HeratioDoiError(Exception):
    """An error with a message meant for the operator; entry points show it without a traceback."""
