"""Reconciling local DOI state with DataCite in bulk.

Sync pages through DataCite's DOI list for the repository (1,000 per page, cursor
pagination, one page in memory at a time) instead of one GET per DOI, compares every local
DOI (state, URL, key metadata) with what DataCite holds, and reports drift: DOIs stuck in
draft, DOIs missing at DataCite (confirmed with a single GET, since DataCite's search index
can lag), and DOIs under our prefix that the catalogue does not know. With ``repair`` it
queues the updates that make DataCite agree with the catalogue again. The updates of DOIs
whose stored metadata is outdated (an older schema or mapping: typically every DOI after an
upgrade) are queued asking for the bulk budget (``enqueue(..., bulk=True)``, the request the
launchpad's ``bulk: true`` makes for a run), as DataCite asks for sustained re-sending.

A DOI reserved here but never confirmed (its answer was lost, or Heratio minted it) that
DataCite holds in the state and with the URL its mint wants is confirmed on every sync,
without any PUT; with ``repair`` a mint is queued for one that DataCite holds otherwise.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from heratio_doi_pipelines.catalogue.reader import CatalogueReader
from heratio_doi_pipelines.clock import utcnow
from heratio_doi_pipelines.datacite.client import DataCiteClient, DoiResponse
from heratio_doi_pipelines.datacite.errors import NotFoundError
from heratio_doi_pipelines.datacite.shapes import publisher_name
from heratio_doi_pipelines.datacite_access import DataCiteAccess
from heratio_doi_pipelines.metadata import context_from_settings, landing_url
from heratio_doi_pipelines.queue.actions import (
    DEFAULT_TARGET_STATE,
    HERATIO_ACTION,
    MINT,
    TARGET_STATES,
    UPDATE,
)
from heratio_doi_pipelines.queue.enqueue import enqueue
from heratio_doi_pipelines.queue.outdated import (
    OUTDATED_METADATA,
    last_mapping_versions,
    outdated_drift,
)
from heratio_doi_pipelines.settings import DoiSettings
from heratio_doi_pipelines.store.dois import confirm_from_datacite
from heratio_doi_pipelines.store.schema import require_tables
from heratio_doi_pipelines.store.tables import ahg_doi, ahg_doi_queue

DRIFT_COLUMNS = ["doi", "information_object_id", "kind", "local", "datacite", "repair"]
BULK_UPDATE = f"{UPDATE} (bulk)"  # the repair of outdated metadata

# The local state DataCite should show for each local status.
EXPECTED_REMOTE_STATE = {
    "draft": "draft",
    "registered": "registered",
    "findable": "findable",
    "tombstone": "registered",
}


@dataclass(frozen=True)
class Drift:
    doi: str
    information_object_id: int | None
    kind: str  # state, url, metadata, outdated_metadata, stuck_draft, missing_at_datacite,
    # remote_only, unconfirmed
    local: str
    datacite: str
    repair: str = ""


@dataclass
class SyncReport:
    remote_dois: int = 0
    local_dois: int = 0
    in_agreement: int = 0
    pages: int = 0
    drift: list[Drift] = field(default_factory=list)
    queued_updates: int = 0
    queued_bulk_updates: int = 0  # of queued_updates: outdated metadata, in bulk mode
    queued_mints: int = 0
    confirmed: int = 0  # unconfirmed DOIs that DataCite holds as wanted, now confirmed

    def counts(self) -> dict[str, int]:
        kinds: dict[str, int] = {}
        for d in self.drift:
            kinds[d.kind] = kinds.get(d.kind, 0) + 1
        return kinds

    def summary(self) -> str:
        parts = ", ".join(f"{n} {kind}" for kind, n in sorted(self.counts().items())) or "none"
        text = (
            f"{self.local_dois} local DOIs, {self.remote_dois} at DataCite, "
            f"{self.in_agreement} in agreement; drift: {parts}"
        )
        if self.confirmed:
            text += f"; confirmed {self.confirmed} DOIs DataCite already held"
        if self.queued_updates or self.queued_mints:
            bulk = (
                f" ({self.queued_bulk_updates} of outdated metadata in bulk mode)"
                if self.queued_bulk_updates
                else ""
            )
            text += f"; queued {self.queued_updates} updates{bulk}, {self.queued_mints} mints"
        return text

    def write_csv(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=DRIFT_COLUMNS)
            writer.writeheader()
            for d in self.drift:
                writer.writerow(
                    {
                        "doi": d.doi,
                        "information_object_id": d.information_object_id or "",
                        "kind": d.kind,
                        "local": d.local,
                        "datacite": d.datacite,
                        "repair": d.repair,
                    }
                )
        return path


def _key_metadata(attributes: dict[str, Any] | None) -> dict[str, Any]:
    """The fields compared for metadata drift (enough to notice an edit that was not sent)."""
    attrs = attributes or {}
    titles = attrs.get("titles") or []
    return {
        "title": (titles[0] or {}).get("title") if titles else None,
        "publisher": publisher_name(attrs.get("publisher")),
        "publicationYear": str(attrs.get("publicationYear") or ""),
    }


_SYNC_COLUMNS = (
    ahg_doi.c.id,
    ahg_doi.c.information_object_id,
    ahg_doi.c.doi,
    ahg_doi.c.status,
    ahg_doi.c.url,
    ahg_doi.c.confirmed_at,
    ahg_doi.c.metadata_json,
    ahg_doi.c.created_at,
    ahg_doi.c.reserved_at,
    ahg_doi.c.minted_at,
)
_CHUNK = 1000


def sync_with_datacite(
    engine: sa.Engine,
    client: DataCiteClient,
    settings: DoiSettings,
    *,
    repair: bool = False,
    stuck_draft_after_days: int = 1,
    catalogue_engine: sa.Engine | None = None,
) -> SyncReport:
    """Compare every local DOI with DataCite's listing; optionally queue the repairs.

    The listing is compared one cursor page at a time against the local rows of that page's
    DOIs (one indexed query per page), so memory stays flat however many DOIs there are;
    local DOIs the listing never showed are then looked up one by one (the index can lag).
    """
    report = SyncReport()
    now = utcnow()
    prefix = settings.prefix.lower() + "/"
    seen: set[int] = set()  # ahg_doi ids the listing showed
    remote_only: dict[str, str] = {}  # DOI -> DataCite state
    to_update: list[int] = []
    to_update_in_bulk: set[int] = set()  # records whose stored metadata is outdated
    observed: list[tuple[int, DoiResponse, bool]] = []
    unconfirmed: list[tuple[Any, DoiResponse]] = []  # of the current page only
    to_mint: dict[str, list[int]] = {}

    def confirm_unconfirmed() -> None:
        found = _confirm_unconfirmed(
            engine,
            catalogue_engine or engine,
            settings,
            unconfirmed,
            report,
            repair=repair,
            now=now,
        )
        for target, ids in found.items():
            to_mint.setdefault(target, []).extend(ids)
        unconfirmed.clear()

    def compare(row: Any, found: DoiResponse, versions: dict[int, int]) -> None:
        if row.confirmed_at is None:
            unconfirmed.append((row, found))
            return
        drifts = _compare(row, found, now, stuck_draft_after_days)
        drifts += outdated_drift(found, versions, row, settings.schema_version)
        if not drifts:
            report.in_agreement += 1
            return
        metadata_drift = any(kind in ("metadata", OUTDATED_METADATA) for kind, _, _ in drifts)
        observed.append((row.id, found, metadata_drift))
        in_bulk = any(kind == OUTDATED_METADATA for kind, _, _ in drifts)
        if in_bulk:
            to_update_in_bulk.add(row.information_object_id)
        for kind, local, theirs in drifts:
            report.drift.append(
                Drift(
                    row.doi,
                    row.information_object_id,
                    kind,
                    local,
                    theirs,
                    (BULK_UPDATE if in_bulk else UPDATE) if repair else "",
                )
            )
            to_update.append(row.information_object_id)

    # detail=true: the listing carries each DOI's stored XML (its schema version)
    for page in client.iter_doi_pages(client_id=settings.repository_id or None, detail=True):
        report.pages += 1
        ours = [r for r in page if r.doi.startswith(prefix)]
        report.remote_dois += len(ours)
        with engine.connect() as conn:
            # DOIs are stored lower-case; DataCite lists them lower-case.
            local = {
                row.doi.lower(): row
                for row in conn.execute(
                    sa.select(*_SYNC_COLUMNS).where(ahg_doi.c.doi.in_([r.doi for r in ours]))
                )
            }
            versions = last_mapping_versions(conn, [row.id for row in local.values()])
        for response in ours:
            row = local.get(response.doi)
            if row is None:
                remote_only[response.doi] = response.state
                continue
            seen.add(row.id)
            compare(row, response, versions)
        confirm_unconfirmed()

    unseen: list[int] = []
    with engine.connect() as conn:
        rows = conn.execution_options(yield_per=5000).execute(
            sa.select(ahg_doi.c.id).where(sa.func.lower(ahg_doi.c.doi).like(prefix + "%"))
        )
        for (doi_id,) in rows:
            report.local_dois += 1
            if doi_id not in seen:
                unseen.append(doi_id)
        rows.close()
    for start in range(0, len(unseen), _CHUNK):
        with engine.connect() as conn:
            missing = conn.execute(
                sa.select(*_SYNC_COLUMNS).where(ahg_doi.c.id.in_(unseen[start : start + _CHUNK]))
            ).all()
            versions = last_mapping_versions(conn, [row.id for row in missing])
        for row in missing:
            remote_only.pop(row.doi.lower(), None)  # a DOI stored in other letter case
            try:
                found = client.get_doi(row.doi)  # the listing can lag behind
            except NotFoundError:
                if row.confirmed_at is not None:
                    report.drift.append(
                        Drift(
                            row.doi,
                            row.information_object_id,
                            "missing_at_datacite",
                            row.status,
                            "",
                            "update" if repair else "",
                        )
                    )
                    to_update.append(row.information_object_id)
                continue
            compare(row, found, versions)
        confirm_unconfirmed()
    for doi, state in sorted(remote_only.items()):
        report.drift.append(Drift(doi, None, "remote_only", "", state, ""))
    with engine.begin() as conn:
        # Record what DataCite holds, so a queued update sees the difference and sends.
        for doi_id, found, metadata_drift in observed:
            values: dict[str, Any] = {
                "datacite_state": found.state,
                "url": found.url,
                "last_sync_at": now,
            }
            if metadata_drift:
                values["payload_hash"] = None
            conn.execute(ahg_doi.update().where(ahg_doi.c.id == doi_id).values(**values))
    if repair:
        bulk = sorted(to_update_in_bulk)
        report.queued_bulk_updates = enqueue(engine, UPDATE, bulk, bulk=True).count
        rest = sorted(set(to_update) - to_update_in_bulk)
        report.queued_updates = report.queued_bulk_updates + enqueue(engine, UPDATE, rest).count
        for target, ids in sorted(to_mint.items()):
            report.queued_mints += enqueue(engine, MINT, ids, target_state=target).count
    return report


def _confirm_unconfirmed(
    engine: sa.Engine,
    catalogue_engine: sa.Engine,
    settings: DoiSettings,
    unconfirmed: list[tuple[Any, DoiResponse]],
    report: SyncReport,
    *,
    repair: bool,
    now: datetime,
) -> dict[str, list[int]]:
    """Confirm the unconfirmed DOIs DataCite holds as their mint wants (no PUT); the rest
    are drift, returned by target state for a mint when repairing."""
    if not unconfirmed:
        return {}
    wanted = _mint_wants(engine, catalogue_engine, settings, [r for r, _ in unconfirmed])
    to_mint: dict[str, list[int]] = {}
    with engine.begin() as conn:
        for row, found in unconfirmed:
            state, url = wanted[row.information_object_id]
            if found.state == state and url is not None and found.url == url:
                confirm_from_datacite(conn, row, found, now)
                report.confirmed += 1
                continue
            report.drift.append(
                Drift(
                    row.doi,
                    row.information_object_id,
                    "unconfirmed",
                    f"{row.status} (reserved only; wanted {state} at {url or 'unknown URL'})",
                    f"{found.state} at {found.url}",
                    MINT if repair else "",
                )
            )
            to_mint.setdefault(state, []).append(row.information_object_id)
    return to_mint


def _mint_wants(
    engine: sa.Engine, catalogue_engine: sa.Engine, settings: DoiSettings, rows: list[Any]
) -> dict[int, tuple[str, str | None]]:
    """Each record's wanted DataCite state and URL: the target of its latest mint item (a
    row Heratio minted: its own state) and the landing URL its metadata would carry."""
    ids = [row.information_object_id for row in rows]
    q = ahg_doi_queue
    targets: dict[int, str] = {}
    with engine.connect() as conn:
        for start in range(0, len(ids), _CHUNK):
            for record_id, target in conn.execute(
                sa.select(q.c.information_object_id, q.c.target_state)
                .where(
                    q.c.information_object_id.in_(ids[start : start + _CHUNK]),
                    q.c.action == HERATIO_ACTION[MINT],
                    sa.or_(q.c.pipeline_action.is_(None), q.c.pipeline_action == MINT),
                    q.c.target_state.is_not(None),
                )
                .order_by(q.c.id)
            ):
                targets[record_id] = target  # the latest wins
    context = context_from_settings(settings, year=utcnow().year)
    reader = CatalogueReader(catalogue_engine)
    urls = {
        record.id: landing_url(record.slug, context, [])
        for start in range(0, len(ids), _CHUNK)
        for record in reader.read_records(ids[start : start + _CHUNK])
    }
    wanted: dict[int, tuple[str, str | None]] = {}
    for row in rows:
        record_id = row.information_object_id
        heratio_state = row.status if row.reserved_at is None else None
        state = targets.get(record_id) or (
            heratio_state if heratio_state in TARGET_STATES else DEFAULT_TARGET_STATE
        )
        wanted[record_id] = (state, urls.get(record_id))
    return wanted


def _compare(
    row: Any, found: DoiResponse, now: Any, stuck_draft_after_days: int
) -> list[tuple[str, str, str]]:
    drifts: list[tuple[str, str, str]] = []
    expected = EXPECTED_REMOTE_STATE.get(row.status)
    if found.state == "draft" and row.status != "draft":
        drifts.append(("stuck_draft", row.status, found.state))
    elif found.state == "draft" and row.created_at is not None:
        if (now - row.created_at).days >= stuck_draft_after_days:
            drifts.append(("stuck_draft", row.status, found.state))
    elif expected and found.state != expected:
        drifts.append(("state", row.status, found.state))
    if row.url and found.url and row.url != found.url:
        drifts.append(("url", row.url, found.url))
    local_meta = _key_metadata(row.metadata_json)
    remote_meta = _key_metadata(found.attributes)
    if row.metadata_json and local_meta != remote_meta:
        changed = sorted(k for k in local_meta if local_meta[k] != remote_meta[k])
        drifts.append(
            (
                "metadata",
                "; ".join(f"{k}={local_meta[k]}" for k in changed),
                "; ".join(f"{k}={remote_meta[k]}" for k in changed),
            )
        )
    return drifts


def run_sync(
    engine: sa.Engine,
    access: DataCiteAccess,
    *,
    repair: bool = False,
    out_dir: Path,
    catalogue_engine: sa.Engine | None = None,
) -> tuple[SyncReport, Path]:
    """Sync with the global DataCite credentials and write the drift report CSV.

    Raises :class:`BatchRefused` (before any request) when DataCite is not configured."""
    require_tables(engine)
    access.check("sync", settings_check=False)
    settings = access.global_settings()
    report = sync_with_datacite(
        engine,
        access.client(settings),
        settings,
        repair=repair,
        catalogue_engine=catalogue_engine,
    )
    path = report.write_csv(out_dir / f"doi_drift_{utcnow():%Y%m%dT%H%M%S}.csv")
    return report, path
