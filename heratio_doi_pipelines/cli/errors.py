"""Operator-facing errors on the command line: a plain message and exit code 1, no traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
import sqlalchemy as sa

from heratio_doi_pipelines.errors import HeratioDoiError
from heratio_doi_pipelines.store.errors import TABLES_MISSING_MESSAGE, is_missing_table_error


@contextmanager
def operator_errors() -> Iterator[None]:
    """Turn our errors, and a database without the DOI tables, into ``click.ClickException``."""
    try:
        yield
    except HeratioDoiError as exc:
        raise click.ClickException(str(exc)) from None
    except (sa.exc.OperationalError, sa.exc.ProgrammingError) as exc:
        if is_missing_table_error(exc):
            raise click.ClickException(TABLES_MISSING_MESSAGE) from None
        raise


class OperatorErrorGroup(click.Group):
    """A click group whose subcommands all report operator errors as plain messages."""

    def invoke(self, ctx: click.Context) -> Any:
        with operator_errors():
            return super().invoke(ctx)
