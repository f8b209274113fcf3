"""Dashboard counts, queue status with stuck detection, per-DOI history, browse and queue lists."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from heratio_doi_pipelines.reports.dashboard import dashboard
from heratio_doi_pipelines.reports.export import QUEUE_OPEN_ITEMS_CSV, export_queue_status
from heratio_doi_pipelines.reports.history import browse_dois, doi_history, list_queue
from heratio_doi_pipelines.reports.queue_status import (
    OPEN_ITEM_COLUMNS,
    PREVIEW_LIMIT,
    iter_open_rows,
    queue_status,
)
from heratio_doi_pipelines_tests.reports.conftest import TODAY, Archive


def test_dashboard_counts_and_ten_most_recent(archive: Archive) -> None:
    states = ["findable"] * 6 + ["registered"] * 3 + ["draft"] * 2 + ["failed", "tombstone"]
    states += ["deleted"]
    for offset, state in enumerate(states):
        record_id = 100 + offset
        archive.record(record_id, title=f"Record {record_id}")
        archive.doi(record_id, status=state, created_at=TODAY - timedelta(days=offset))
    for status in ("pending", "pending", "processing", "in_progress", "completed", "failed"):
        archive.queue_item(500, status=status)

    view = dashboard(archive.doi_engine, archive.catalogue_engine)

    assert view.counts == {
        "total": 14,
        "findable": 6,
        "registered": 3,
        "draft": 2,
        "failed_dois": 1,
        "tombstone": 2,
        "pending_items": 4,  # pending plus held by a worker (processing / Heratio's in_progress)
        "failed_items": 1,
    }
    assert [item.information_object_id for item in view.recent] == list(range(100, 110))
    assert view.recent[0].title == "Record 100"
    frame = view.recent_frame()
    assert list(frame.columns) == [
        "doi",
        "information_object_id",
        "title",
        "status",
        "created_at",
        "minted_at",
    ]
    assert len(frame) == 10


def test_dashboard_without_catalogue_has_no_titles(engine: sa.Engine) -> None:
    archive = Archive(doi_engine=engine, catalogue_engine=engine)
    archive.doi(7)

    view = dashboard(engine, engine)

    assert view.counts["total"] == 1 and view.recent[0].title is None


def _queue(archive: Archive) -> dict[str, int]:
    now = TODAY
    return {
        "lapsed lease": archive.queue_item(
            1,
            "processing",
            started_at=now - timedelta(minutes=30),
            lease_expires_at=now - timedelta(minutes=1),
            attempts=1,
            pipeline_action="reinstate",
            action="update",
        ),
        "live lease": archive.queue_item(
            2,
            "processing",
            started_at=now - timedelta(hours=5),
            lease_expires_at=now + timedelta(minutes=5),
            attempts=1,
        ),
        "heratio crashed": archive.queue_item(
            3, "in_progress", started_at=now - timedelta(hours=2)
        ),
        "heratio working": archive.queue_item(
            4, "in_progress", started_at=now - timedelta(minutes=5)
        ),
        "never started": archive.queue_item(5, "processing"),
        "failed": archive.queue_item(6, "failed", attempts=3, last_error="HTTP 422: bad metadata"),
        "pending": archive.queue_item(7, "pending", scheduled_at=now + timedelta(minutes=10)),
        "completed": archive.queue_item(8, "completed", attempts=1),
    }


def test_queue_status_counts_open_items_and_stuck(archive: Archive) -> None:
    ids = _queue(archive)

    status = queue_status(archive.doi_engine, now=TODAY, stale_after=timedelta(hours=1))

    assert status.counts == {
        "pending": 1,
        "processing": 3,
        "completed": 1,
        "failed": 1,
        "in_progress": 2,
    }
    assert status.failed == 1
    assert list(status.open_items.columns) == OPEN_ITEM_COLUMNS
    assert ids["completed"] not in status.open_items["id"].tolist()
    assert len(status.open_items) == status.open_count == 7
    assert sorted(status.stuck["id"].tolist()) == sorted(
        [ids["lapsed lease"], ids["heratio crashed"], ids["never started"]]
    )
    assert status.stuck_count == 3
    reinstate = status.open_items.set_index("id").loc[ids["lapsed lease"]]
    assert reinstate["action"] == "reinstate"  # the pipeline action, not Heratio's enum value
    failed = status.open_items.set_index("id").loc[ids["failed"]]
    assert (failed["attempts"], failed["last_error"]) == (3, "HTTP 422: bad metadata")


def test_queue_status_csv(archive: Archive, tmp_path) -> None:
    _queue(archive)

    result = export_queue_status(archive.doi_engine, tmp_path, now=TODAY)

    assert result.open_items_csv == tmp_path / QUEUE_OPEN_ITEMS_CSV
    lines = result.open_items_csv.read_text().splitlines()
    assert lines[0] == ",".join(OPEN_ITEM_COLUMNS)
    assert len(lines) == 1 + 7


def test_queue_status_keeps_a_bounded_preview_and_counts_everything(
    archive: Archive, tmp_path
) -> None:
    started = TODAY - timedelta(hours=3)
    open_ids = [archive.queue_item(1000 + n, "pending") for n in range(PREVIEW_LIMIT + 5)]
    stuck_ids = [
        archive.queue_item(2000 + n, "in_progress", started_at=started)
        for n in range(PREVIEW_LIMIT + 2)
    ]
    for n in range(3):
        archive.queue_item(3000 + n, "completed")

    status = queue_status(archive.doi_engine, now=TODAY, stale_after=timedelta(hours=1))

    assert status.open_count == len(open_ids) + len(stuck_ids)
    assert status.open_items["id"].tolist() == open_ids[:PREVIEW_LIMIT]  # the oldest
    assert status.stuck_count == len(stuck_ids)
    assert status.stuck["id"].tolist() == stuck_ids[:PREVIEW_LIMIT]
    written = export_queue_status(archive.doi_engine, tmp_path, now=TODAY).open_items_csv
    assert len(written.read_text().splitlines()) == 1 + status.open_count


def test_open_items_stream_in_chunks_each_item_once_oldest_first(archive: Archive) -> None:
    ids = [archive.queue_item(100 + n, "pending" if n % 3 else "completed") for n in range(11)]

    rows = list(iter_open_rows(archive.doi_engine, chunk=2))  # six reads of at most two rows

    assert all(len(row) == len(OPEN_ITEM_COLUMNS) for row in rows)
    assert [row[OPEN_ITEM_COLUMNS.index("id")] for row in rows] == [
        item for n, item in enumerate(ids) if n % 3
    ]


def test_empty_queue_has_every_state_at_zero(engine: sa.Engine, tmp_path) -> None:
    status = queue_status(engine, now=TODAY)
    assert status.counts == {"pending": 0, "processing": 0, "completed": 0, "failed": 0}
    assert status.open_items.empty and status.stuck.empty
    assert status.open_count == status.stuck_count == 0
    written = export_queue_status(engine, tmp_path, now=TODAY).open_items_csv
    assert written.read_text().splitlines() == [",".join(OPEN_ITEM_COLUMNS)]


def test_doi_history_with_full_log(archive: Archive) -> None:
    archive.record(42, title="Diary of a surveyor")
    doi_id = archive.doi(
        42,
        doi="10.5072/MA/2026/42",
        minted_at=datetime(2026, 10, 2, 9, 0),
        created_at=datetime(2026, 10, 1, 8, 0),
        updated_at=datetime(2026, 10, 5, 7, 0),
    )
    # A first mint that failed before the DOI row existed is logged against the record.
    archive.log(None, 42, "mint", datetime(2026, 9, 30, 8, 0), None, None, {"error": "HTTP 500"})
    archive.log(doi_id, 42, "update", datetime(2026, 10, 5, 7, 0))
    archive.log(doi_id, 42, "mint", datetime(2026, 10, 2, 9, 0), "draft", "findable")
    archive.log(None, 43, "mint", datetime(2026, 10, 2, 9, 0))  # another record's row

    for spelling in ("10.5072/MA/2026/42", "https://doi.org/10.5072/ma/2026/42", str(doi_id)):
        history = doi_history(archive.doi_engine, spelling, archive.catalogue_engine)
        assert history is not None
        assert history.doi == "10.5072/MA/2026/42"
    assert history.title == "Diary of a surveyor"
    assert (history.status, history.minted_at) == ("findable", datetime(2026, 10, 2, 9, 0))
    assert [entry.action for entry in history.log] == ["mint", "mint", "update"]
    assert history.log[0].details == {"error": "HTTP 500"}
    assert doi_history(archive.doi_engine, "10.5072/none") is None


def test_browse_pages_by_minted_date_with_state_filter(archive: Archive) -> None:
    for n in range(45):
        archive.record(1000 + n, title=f"Item {n}")
        minted = datetime(2026, 1, 1) + timedelta(days=n) if n % 5 else None
        archive.doi(1000 + n, status="findable" if n % 3 else "draft", minted_at=minted)

    first = browse_dois(archive.doi_engine, page=1, catalogue_engine=archive.catalogue_engine)
    last = browse_dois(archive.doi_engine, page=3)
    drafts = browse_dois(archive.doi_engine, state="draft", page=1)

    assert (first.total, first.pages, len(first.items), len(last.items)) == (45, 3, 20, 5)
    assert first.items[0].information_object_id == 1044  # most recently minted
    assert first.items[0].title == "Item 44"
    minted = [item.minted_at for item in first.items]
    assert minted == sorted(minted, reverse=True)
    assert all(item.minted_at is None for item in last.items)  # never minted: last
    assert drafts.total == 15 and {item.status for item in drafts.items} == {"draft"}
    with pytest.raises(ValueError):
        browse_dois(archive.doi_engine, page=0)
    beyond = browse_dois(archive.doi_engine, page=99)
    assert (beyond.page, beyond.requested_page, beyond.clamped) == (3, 99, True)
    assert [item.id for item in beyond.items] == [item.id for item in last.items]
    assert not first.clamped


def test_queue_list_filters_by_status(archive: Archive) -> None:
    ids = _queue(archive)

    processing = list_queue(archive.doi_engine, status="processing")
    failed = list_queue(archive.doi_engine, status="failed")
    everything = list_queue(archive.doi_engine)

    assert processing.total == 5  # Heratio's in_progress items are in flight too
    assert [item.id for item in failed.items] == [ids["failed"]]
    assert failed.items[0].last_error == "HTTP 422: bad metadata"
    assert everything.total == 8 and everything.items[0].id == max(ids.values())
