"""A chunk's mints read and reserved together, before their items run.

Before its PUT a first mint needs its DOI row (none yet), its validated payload and a
reservation of its DOI string. Made item by item that is a read and a write transaction for
every mint; here they are made once for the whole claimed chunk: one read of every mint's DOI
row and stored payload, the payloads of the records without a DOI built and validated, and one
write reserving the DOI strings of those that passed (a record whose metadata is refused gets
no row, as before). Each reservation still commits before its PUT, so minting stays
exactly-once: a crash or a stopped batch between the reservation and the PUT leaves a reserved
string that the item's next attempt reuses.

Anything this step cannot do for an item (settings that refuse, a configuration error, a
record whose DOI string is taken) is left to the item itself, which reads, reserves and
reports as it would without this step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from heratio_doi_pipelines.catalogue.records import CatalogueRecord
from heratio_doi_pipelines.metadata import (
    MetadataContext,
    Payload,
    build_payload,
    context_from_settings,
)
from heratio_doi_pipelines.queue.actions import MINT
from heratio_doi_pipelines.queue.payload_cache import cached_payloads
from heratio_doi_pipelines.queue.transitions import ClaimedItem
from heratio_doi_pipelines.settings import DoiSettings
from heratio_doi_pipelines.store.dois import DoiRow, Reservation, dois_for_records, reserve_dois


@dataclass(frozen=True)
class Prepared:
    """What an item's own read would find: its DOI row, and the validated payload stored
    for the record as it is now (or built here for the reservation)."""

    row: DoiRow | None
    payload: Payload | None


def prepare_mints(
    engine: sa.Engine,
    items: Sequence[ClaimedItem],
    records: dict[int, CatalogueRecord],
    settings_for: Callable[[CatalogueRecord], DoiSettings | None],
    now: datetime,
) -> dict[int, Prepared]:
    """The chunk's mint items (item id -> Prepared), read and reserved in one read and one
    write transaction. ``settings_for`` gives a record's settings, None where the batch must
    not send for it (the item then finds that out itself)."""
    contexts: dict[int, MetadataContext] = {}
    for item in items:
        record = records.get(item.information_object_id)
        if item.action != MINT or record is None:
            continue
        settings = settings_for(record)
        if settings is None:
            continue
        try:
            contexts[record.id] = context_from_settings(settings, year=now.year)
        except ValueError:
            continue  # a configuration error: the item reports it
    if not contexts:
        return {}
    with engine.connect() as conn:
        rows = dois_for_records(conn, list(contexts))
        stored = cached_payloads(conn, {rid: (records[rid], ctx) for rid, ctx in contexts.items()})
    payloads: dict[int, Payload | None] = {}
    to_reserve: list[Reservation] = []
    for record_id, ctx in contexts.items():
        payload = stored.get(record_id)
        if record_id not in rows:
            try:
                payload = payload or build_payload(records[record_id], ctx, None)
            except Exception:  # noqa: BLE001 - the item builds it again and reports why
                continue
            if payload.ok:
                to_reserve.append(
                    Reservation(record_id, payload.doi, records[record_id].repository_id)
                )
        payloads[record_id] = payload
    if to_reserve:
        try:
            with engine.begin() as conn:
                rows.update(reserve_dois(conn, to_reserve, now))
        except sa.exc.IntegrityError:
            # A string another record holds: every item reserves on its own, and the one
            # whose string is taken is told so.
            for reservation in to_reserve:
                payloads.pop(reservation.information_object_id, None)
    return {
        item.id: Prepared(rows.get(record_id), payloads[record_id])
        for item in items
        if item.action == MINT and (record_id := item.information_object_id) in payloads
    }
