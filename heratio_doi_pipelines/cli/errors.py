"""Operator-facing errors on the command line: one line naming the cause and what to check.

Every command runs inside ``operator_errors``: the project's own errors, database errors
(server down, a file that is not a database, a database locked too long, missing tables),
DataCite transport and authentication errors, and anything unexpected become a
``click.ClickException`` (exit code 1) whose message never carries SQL or its parameters.
``heratio-doi -v COMMAND`` prints the traceback as well.
"""

from __future__ import annotations

import sqlite3
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
import sqlalchemy as sa

from heratio_doi_pipelines import db
from heratio_doi_pipelines.datacite.errors import (
    AuthenticationError,
    DataCiteError,
    ForbiddenError,
    TransientError,
)
from heratio_doi_pipelines.errors import HeratioDoiError
from heratio_doi_pipelines.store.errors import TABLES_MISSING_MESSAGE, is_missing_table_error

_TRACEBACK_HINT = "run `heratio-doi -v ...` to see the traceback"


@contextmanager
def operator_errors() -> Iterator[None]:
    """Turn any error but click's own into ``click.ClickException`` with an operator message."""
    try:
        yield
    except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
        raise
    except Exception as exc:  # noqa: BLE001 - the operator sees a message, never a traceback
        if _verbose():
            traceback.print_exception(exc, file=sys.stderr)
        raise click.ClickException(_one_line(operator_message(exc))) from None


def operator_message(exc: BaseException) -> str:
    """What went wrong and what to check, without SQL, parameters or secrets."""
    if isinstance(exc, HeratioDoiError):
        return str(exc)
    if isinstance(exc, DataCiteError):
        return _datacite_message(exc)
    if isinstance(exc, sa.exc.DBAPIError | sqlite3.Error):
        if is_missing_table_error(exc):
            return TABLES_MISSING_MESSAGE
        return _database_message(exc)
    if isinstance(exc, sa.exc.SQLAlchemyError):
        return f"database error ({type(exc).__name__}): check {_database_settings()}"
    text = _first_line(str(exc))
    kind = type(exc).__name__
    return (
        f"unexpected error: {kind}: {text} ({_TRACEBACK_HINT})"
        if text
        else (f"unexpected error: {kind} ({_TRACEBACK_HINT})")
    )


def _database_message(exc: sa.exc.DBAPIError | sqlite3.Error) -> str:
    orig: Any = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
    text = _driver_text(orig)
    lowered = text.lower()
    code = _mysql_code(orig)
    where = _database_settings()
    if isinstance(exc, sa.exc.IntegrityError):
        return f"the database refused a change (an integrity constraint; {_TRACEBACK_HINT})"
    if "file is not a database" in lowered or "malformed" in lowered:
        return (
            f"the SQLite database file is corrupt or not a database ({text}): check that "
            f"{where} names the DOI database, or restore the file from a backup"
        )
    if "database is locked" in lowered or "database table is locked" in lowered:
        return (
            f"the SQLite database stayed locked for more than {db.SQLITE_BUSY_TIMEOUT_S} s "
            f"({text}): another process is writing to it; wait for it to finish or stop it, "
            "then try again"
        )
    if "unable to open database file" in lowered:
        return (
            f"cannot open the SQLite database ({text}): check that the folder named in "
            f"{where} exists and is writable"
        )
    if getattr(orig, "pgcode", None) == "55P03" or code == 1205 or "lock timeout" in lowered:
        return (
            f"the database stayed locked too long ({text}): another session holds the rows; "
            "wait for it to finish or end it, then try again"
        )
    if "password authentication failed" in lowered or code == 1045:
        return (
            f"the database server refused the login ({text}): check the user and password "
            f"in {where}"
        )
    if ('database "' in lowered and "does not exist" in lowered) or code == 1049:
        return f"the database does not exist on the server ({text}): check {where}"
    if (
        code in (2002, 2003, 2006, 2013)
        or "could not connect" in lowered
        or "connection refused" in lowered
        or "connection to server" in lowered
        or "server closed the connection" in lowered
        or "can't connect" in lowered
        or "timeout expired" in lowered
    ):
        return (
            f"cannot reach the database server ({text}): check that it is running and that "
            f"{where} names the right host and port"
        )
    return f"database error ({text}): check {where}"


def _datacite_message(exc: DataCiteError) -> str:
    text = _first_line(str(exc)) or type(exc).__name__
    if isinstance(exc, AuthenticationError):
        return (
            f"DataCite refused the credentials ({text}): check DATACITE_REPOSITORY_ID and "
            "DATACITE_PASSWORD (or the repository's DOI configuration) and that DATACITE_URL "
            "is the DataCite system they belong to (test or production)"
        )
    if isinstance(exc, ForbiddenError):
        return (
            f"DataCite refused the request ({text}): check that the DOI prefix "
            "(DATACITE_PREFIX) belongs to the DataCite repository"
        )
    if isinstance(exc, TransientError):
        return (
            f"DataCite could not be reached or did not answer ({text}): check DATACITE_URL "
            "and the network, then try again later"
        )
    return f"DataCite: {text}"


def _driver_text(orig: Any) -> str:
    """The driver's own message, first line only (PostgreSQL's DETAIL lines carry values)."""
    args: tuple[Any, ...] = tuple(getattr(orig, "args", ()))
    if len(args) >= 2 and isinstance(args[0], int):  # PyMySQL: (errno, message)
        return _first_line(f"{args[1]} (MySQL error {args[0]})")
    return _first_line(str(orig)) or type(orig).__name__


def _mysql_code(orig: Any) -> int | None:
    args: tuple[Any, ...] = tuple(getattr(orig, "args", ()))
    return args[0] if args and isinstance(args[0], int) else None


def _database_settings() -> str:
    """The database settings to check, with the URLs they hold now (passwords hidden)."""
    doi_url, catalogue_url = _safe_url(db.doi_db_url()), _safe_url(db.catalogue_db_url())
    text = f"HERATIO_DOI_DB_URL ({doi_url})"
    if catalogue_url != doi_url:
        text += f" and HERATIO_CATALOGUE_DB_URL ({catalogue_url})"
    return text


def _safe_url(url: str) -> str:
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "not a database URL"


def _first_line(text: str) -> str:
    for line in text.strip().splitlines():
        if line.strip():
            return line.strip()
    return ""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _verbose() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.find_root().params.get("verbose"))


class OperatorErrorGroup(click.Group):
    """A click group whose subcommands all report errors as plain messages."""

    def invoke(self, ctx: click.Context) -> Any:
        with operator_errors():
            return super().invoke(ctx)
