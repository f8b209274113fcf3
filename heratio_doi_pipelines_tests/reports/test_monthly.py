"""Monthly minted/updated counts: zero months, month boundaries, what counts as an update."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from heratio_doi_pipelines.reports.export import (
    MONTHLY_CSV,
    export_monthly_report,
    partition_csv_path,
)
from heratio_doi_pipelines.reports.monthly import (
    MONTHLY_COLUMNS,
    month_counts,
    monthly_counts,
    monthly_report,
)
from heratio_doi_pipelines.reports.months import add_months, last_months, month_range
from heratio_doi_pipelines_tests.reports.conftest import TODAY, Archive


def _history(archive: Archive) -> None:
    # Minted: two in September 2026 (one on its last second), one on 1 October at
    # midnight, one this month, one older than the 24-month window, one never minted.
    for record_id in range(10, 16):
        archive.record(record_id)
    first = archive.doi(10, minted_at=datetime(2026, 9, 3, 10, 0))
    archive.doi(11, minted_at=datetime(2026, 9, 30, 23, 59, 59), status="tombstone")
    archive.doi(12, minted_at=datetime(2026, 10, 1, 0, 0, 0))
    archive.doi(13, minted_at=datetime(2026, 11, 2, 8, 0))
    archive.doi(14, minted_at=datetime(2024, 10, 31, 12, 0))
    archive.doi(15, status="failed", minted_at=None, created_at=datetime(2026, 9, 5))
    # Updates in September: two accepted, plus a failed attempt (error), a skip, a DOI
    # that never reached DataCite, and non-update actions; none of those count.
    sept = datetime(2026, 9, 20, 9, 0)
    archive.log(first, 10, "update", sept, details={"queue_item": 1, "attempt": 1})
    archive.log(first, 10, "update", sept, details=None)
    archive.log(first, 10, "update", sept, details={"error": "HTTP 500", "outcome": "retry"})
    archive.log(first, 10, "update", sept, details={"note": "metadata unchanged: skipped"})
    archive.log(None, 15, "update", sept, status_before="failed", status_after="failed")
    archive.log(first, 10, "mint", sept, status_before="draft", status_after="findable")
    archive.log(first, 10, "verify", sept)
    # One accepted update in May 2025 (Heratio writes details as an empty JSON list).
    archive.log(first, 10, "update", datetime(2025, 5, 31, 23, 0), details=[])


def test_last_24_months_with_zero_months(archive: Archive) -> None:
    _history(archive)

    report = monthly_report(archive.doi_engine, today=TODAY)

    assert list(report.columns) == MONTHLY_COLUMNS
    assert len(report) == 24
    assert report["month"].iloc[0] == "2024-12"
    assert report["month"].iloc[-1] == "2026-11"
    by_month = report.set_index("month")
    assert by_month.loc["2026-09"].tolist() == [2, 2]
    assert by_month.loc["2026-10"].tolist() == [1, 0]
    assert by_month.loc["2026-11"].tolist() == [1, 0]
    assert by_month.loc["2025-05"].tolist() == [0, 1]
    assert int(report["minted"].sum()) == 4  # the October 2024 DOI is outside the window
    assert (by_month.drop(["2026-09", "2026-10", "2026-11", "2025-05"]) == 0).all().all()


def test_single_month_matches_the_window(archive: Archive) -> None:
    _history(archive)

    september = month_counts(archive.doi_engine, date(2026, 9, 17))
    empty = month_counts(archive.doi_engine, date(2026, 8, 1))

    assert (september.month, september.minted, september.updated) == ("2026-09", 2, 2)
    assert (empty.month, empty.minted, empty.updated) == ("2026-08", 0, 0)


def test_range_is_inclusive_and_ordered(archive: Archive) -> None:
    _history(archive)

    frame = monthly_counts(archive.doi_engine, date(2024, 10, 1), date(2024, 12, 1))

    assert frame.to_dict("records") == [
        {"month": "2024-10", "minted": 1, "updated": 0},
        {"month": "2024-11", "minted": 0, "updated": 0},
        {"month": "2024-12", "minted": 0, "updated": 0},
    ]


def test_month_arithmetic() -> None:
    assert add_months(date(2026, 11, 1), 2) == date(2027, 1, 1)
    assert add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)
    assert add_months(date(2026, 1, 1), -23) == date(2024, 2, 1)
    assert month_range(date(2026, 3, 9), date(2026, 1, 1)) == []
    months = last_months(24, datetime(2026, 1, 31, 23, 0))
    assert (months[0], months[-1], len(months)) == (date(2024, 2, 1), date(2026, 1, 1), 24)


def test_export_writes_partitions_combined_csv_and_chart(archive: Archive, tmp_path) -> None:
    _history(archive)
    out = tmp_path / "reports"

    files = export_monthly_report(
        archive.doi_engine, out, [date(2026, 9, 1), date(2026, 10, 1)], today=TODAY
    )

    assert files.combined_csv == out / MONTHLY_CSV
    assert files.combined_csv.read_text().splitlines()[0] == "month,minted,updated"
    combined = pd.read_csv(files.combined_csv)
    assert len(combined) == 24 and int(combined["minted"].sum()) == 4
    september = partition_csv_path(out, date(2026, 9, 1))
    assert files.partition_csvs == {
        "2026-09": september,
        "2026-10": partition_csv_path(out, date(2026, 10, 1)),
    }
    assert september.read_text().splitlines() == ["month,minted,updated", "2026-09,2,2"]
    assert files.partitions["month"].tolist() == ["2026-09", "2026-10"]
    assert files.chart_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_rematerialising_one_month_replaces_only_its_file(archive: Archive, tmp_path) -> None:
    _history(archive)
    out = tmp_path / "reports"
    export_monthly_report(
        archive.doi_engine, out, [date(2026, 9, 1), date(2026, 10, 1)], today=TODAY
    )
    october_before = partition_csv_path(out, date(2026, 10, 1)).read_text()
    archive.record(20)
    archive.doi(20, minted_at=datetime(2026, 9, 12))

    export_monthly_report(archive.doi_engine, out, [date(2026, 9, 1)], today=TODAY)

    assert partition_csv_path(out, date(2026, 9, 1)).read_text().splitlines()[1] == "2026-09,3,2"
    assert partition_csv_path(out, date(2026, 10, 1)).read_text() == october_before
    assert sorted(p.name for p in (out / "monthly").iterdir()) == [
        "doi_monthly_2026-09.csv",
        "doi_monthly_2026-10.csv",
    ]
