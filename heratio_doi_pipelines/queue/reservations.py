"""Whether a mint reuses a record's unconfirmed reservation or releases it.

Every retry reuses the reserved DOI string, so a crash or a lost answer never makes a second
DOI, also in a new year with a ``{year}`` pattern. Only when the configured prefix or suffix
pattern no longer derives the reserved string (for the year it was reserved in) is DataCite
asked: a 404 means it never registered the reservation (e.g. the prefix was not the
repository's), so the reservation is released and the string of the current prefix and
pattern reserved in its place. A DOI that DataCite holds, or ever confirmed, is never
re-derived.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa

from heratio_doi_pipelines.datacite.client import DataCiteClient, same_doi
from heratio_doi_pipelines.datacite.errors import NotFoundError
from heratio_doi_pipelines.errors import HeratioDoiError
from heratio_doi_pipelines.store.dois import DoiRow, release_reservation


class DoiTakenError(HeratioDoiError):
    """The string the pattern derives belongs to another record's DOI."""


def reservation_for_mint(
    engine: sa.Engine,
    client: DataCiteClient,
    row: DoiRow,
    derive: Callable[[int], str],
    now: datetime,
) -> DoiRow:
    """The row to mint: ``row`` itself, or ``row`` re-reserved after DataCite's 404.

    ``derive(year)`` is the record's DOI under the current prefix and pattern in ``year``.
    """
    if row.confirmed_at is not None:
        return row
    reserved_in = (row.reserved_at or row.minted_at or now).year
    if same_doi(row.doi, derive(reserved_in)):
        return row  # the configuration still makes this string: keep it
    derived = derive(now.year)
    try:
        client.get_doi(row.doi)
    except NotFoundError:
        try:
            with engine.begin() as conn:
                return release_reservation(conn, row, derived.lower(), now)
        except sa.exc.IntegrityError:
            raise DoiTakenError(
                f"DOI {derived} is already used by another record: check the suffix pattern"
            ) from None
    return row  # DataCite holds it (an earlier answer was lost): mint that one
