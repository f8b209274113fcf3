"""Reconciling local DOI state with DataCite in bulk.

Sync pages through DataCite's DOI list for the repository (1,000 per page, cursor
pagination, one page in memory at a time) instead of one GET per DOI, compares every local
DOI (state, URL, key metadata) with what DataCite holds, and reports drift: DOIs stuck in
draft, DOIs missing at DataCite (confirmed with a single GET, since DataCite's search index
can lag), and DOIs under our prefix that the catalogue does not know. With ``repair`` it
queues the updates that make DataCite agree with the catalogue again.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from heratio_doi_pipelines.clock import utcnow
from heratio_doi_pipelines.datacite.client import DataCiteClient, DoiResponse
from heratio_doi_pipelines.datacite.errors import NotFoundError
from heratio_doi_pipelines.queue.actions import UPDATE, VERIFY
from heratio_doi_pipelines.queue.enqueue import enqueue
from heratio_doi_pipelines.queue.processor import ClientPool
from heratio_doi_pipelines.settings import DoiSettings, SettingsResolver
from heratio_doi_pipelines.store.schema import require_tables
from heratio_doi_pipelines.store.tables import ahg_doi

DRIFT_COLUMNS = ["doi", "information_object_id", "kind", "local", "datacite", "repair"]

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
    kind: str  # state, url, metadata, stuck_draft, missing_at_datacite, remote_only, unconfirmed
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
    queued_verifies: int = 0

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
        if self.queued_updates or self.queued_verifies:
            text += f"; queued {self.queued_updates} updates, {self.queued_verifies} verifies"
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
        "publisher": _publisher_name(attrs.get("publisher")),
        "publicationYear": str(attrs.get("publicationYear") or ""),
    }


def _publisher_name(value: Any) -> str | None:
    return value.get("name") if isinstance(value, dict) else value


_SYNC_COLUMNS = (
    ahg_doi.c.id,
    ahg_doi.c.information_object_id,
    ahg_doi.c.doi,
    ahg_doi.c.status,
    ahg_doi.c.url,
    ahg_doi.c.confirmed_at,
    ahg_doi.c.metadata_json,
    ahg_doi.c.created_at,
)
_CHUNK = 1000


def sync_with_datacite(
    engine: sa.Engine,
    client: DataCiteClient,
    settings: DoiSettings,
    *,
    repair: bool = False,
    stuck_draft_after_days: int = 1,
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
    to_verify: list[int] = []
    observed: list[tuple[int, DoiResponse, bool]] = []

    def compare(row: Any, found: DoiResponse) -> None:
        drifts = _compare(row, found, now, stuck_draft_after_days)
        if not drifts:
            report.in_agreement += 1
            return
        metadata_drift = any(kind == "metadata" for kind, _, _ in drifts)
        observed.append((row.id, found, metadata_drift))
        for kind, local, theirs in drifts:
            fix = VERIFY if kind == "unconfirmed" else UPDATE
            report.drift.append(
                Drift(
                    row.doi, row.information_object_id, kind, local, theirs, fix if repair else ""
                )
            )
            (to_verify if fix == VERIFY else to_update).append(row.information_object_id)

    for page in client.iter_doi_pages(client_id=settings.repository_id or None):
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
        for response in ours:
            row = local.get(response.doi)
            if row is None:
                remote_only[response.doi] = response.state
                continue
            seen.add(row.id)
            compare(row, response)

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
            compare(row, found)
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
        report.queued_updates = enqueue(engine, UPDATE, sorted(set(to_update))).count
        report.queued_verifies = enqueue(engine, VERIFY, sorted(set(to_verify))).count
    return report


def _compare(
    row: Any, found: DoiResponse, now: Any, stuck_draft_after_days: int
) -> list[tuple[str, str, str]]:
    drifts: list[tuple[str, str, str]] = []
    if row.confirmed_at is None:
        return [("unconfirmed", f"{row.status} (reserved only)", found.state)]
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
    overrides: dict[str, Any],
    *,
    repair: bool = False,
    out_dir: Path,
) -> tuple[SyncReport, Path]:
    """Sync with the global DataCite credentials and write the drift report CSV."""
    require_tables(engine)
    settings = SettingsResolver(engine, overrides).global_settings()
    clients = ClientPool()
    try:
        report = sync_with_datacite(engine, clients.client_for(settings), settings, repair=repair)
    finally:
        clients.close()
    path = report.write_csv(out_dir / f"doi_drift_{utcnow():%Y%m%dT%H%M%S}.csv")
    return report, path
