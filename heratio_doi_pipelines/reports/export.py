"""Report files: CSVs with stable names and columns, and the monthly bar chart.

Files are written to a temporary name and renamed into place, so a reader (a spreadsheet,
a sync job) never sees half a file; they are readable by group and others (0644), as the
files of a reports share must be. File names are fixed per report, so each run
replaces the previous one; the monthly partitions get one file per month.
"""

from __future__ import annotations

import base64
import csv
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from heratio_doi_pipelines.reports.by_repository import repository_report
from heratio_doi_pipelines.reports.monthly import (
    DEFAULT_MONTHS,
    empty_monthly_frame,
    monthly_counts,
    monthly_report,
)
from heratio_doi_pipelines.reports.months import month_label, month_start
from heratio_doi_pipelines.reports.queue_status import (
    DEFAULT_STALE_AFTER,
    OPEN_ITEM_COLUMNS,
    QueueStatus,
    iter_open_rows,
    queue_status,
)

MONTHLY_CSV = "doi_monthly.csv"
MONTHLY_PARTITION_DIR = "monthly"
MONTHLY_CHART = "doi_monthly.png"
REPOSITORY_CSV = "doi_by_repository.csv"
QUEUE_OPEN_ITEMS_CSV = "doi_queue_open_items.csv"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
REPORT_FILE_MODE = 0o644  # mkstemp's 0600 would hide the reports from everyone else


@dataclass(frozen=True)
class ReportFile:
    path: Path
    frame: pd.DataFrame


@dataclass(frozen=True)
class MonthlyReportFiles:
    partitions: pd.DataFrame  # the requested months only
    partition_csvs: dict[str, Path]  # YYYY-MM -> its CSV
    combined: pd.DataFrame  # the last DEFAULT_MONTHS months
    combined_csv: Path
    chart_png: Path


@dataclass(frozen=True)
class QueueStatusFile:
    status: QueueStatus
    open_items_csv: Path


def _replace_atomically(path: Path, write: Callable[[str], object]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(tmp_name)
        os.chmod(tmp_name, REPORT_FILE_MODE)
        os.replace(tmp_name, path)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return path


def png_markdown(path: Path, alt: str) -> str:
    """A PNG as a Markdown image with the picture inline (base64), so the Dagster UI shows
    it on the asset's page without access to the file."""
    encoded = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"![{alt}](data:image/png;base64,{encoded})"


def write_csv(frame: pd.DataFrame | Iterable[pd.DataFrame], path: Path) -> Path:
    """``frame`` as UTF-8 CSV with a header row and no index column; or a stream of frames
    with the same columns (a large report read in chunks), the header from the first."""
    frames = [frame] if isinstance(frame, pd.DataFrame) else frame

    def write(name: str) -> None:
        with open(name, "w", newline="", encoding="utf-8") as fh:
            for position, part in enumerate(frames):
                part.to_csv(fh, index=False, header=position == 0, date_format=DATE_FORMAT)

    return _replace_atomically(path, write)


def write_rows_csv(header: Sequence[str], rows: Iterable[Sequence[Any]], path: Path) -> Path:
    """Rows as ``write_csv`` writes a frame (times as DATE_FORMAT, None empty), straight
    through the csv module: a million queue items need no frames on the way."""

    def cell(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.strftime(DATE_FORMAT)
        return "" if value is None else value

    def write(name: str) -> None:
        with open(name, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(header)
            writer.writerows([cell(value) for value in row] for row in rows)

    return _replace_atomically(path, write)


def partition_csv_path(out_dir: Path, month: date) -> Path:
    """Where one monthly partition's CSV lives: ``monthly/doi_monthly_YYYY-MM.csv``."""
    return out_dir / MONTHLY_PARTITION_DIR / f"doi_monthly_{month_label(month)}.csv"


def write_monthly_chart(frame: pd.DataFrame, path: Path, title: str | None = None) -> Path:
    """A grouped bar chart of minted vs updated DOIs per month (PNG)."""
    figure = Figure(figsize=(max(6.0, 0.45 * len(frame) + 2), 4.5), dpi=100)
    axes = figure.subplots()
    positions = list(range(len(frame)))
    width = 0.4
    axes.bar([p - width / 2 for p in positions], frame["minted"], width, label="minted")
    axes.bar([p + width / 2 for p in positions], frame["updated"], width, label="updated")
    axes.set_xticks(positions)
    axes.set_xticklabels(frame["month"], rotation=60, ha="right", fontsize=8)
    axes.set_ylabel("DOIs")
    axes.set_title(title or "DOIs minted and updated per month")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend()
    figure.tight_layout()
    return _replace_atomically(path, lambda name: figure.savefig(name, format="png"))


def export_monthly_report(
    engine: sa.Engine,
    out_dir: Path,
    partition_months: Sequence[date] = (),
    *,
    months: int = DEFAULT_MONTHS,
    today: date | datetime | None = None,
) -> MonthlyReportFiles:
    """Write one CSV per requested month, the combined CSV of the last months and the chart.

    The requested months are counted with one grouped query however many there are, so
    a backfill of every partition costs about as much as one month.
    """
    requested = sorted({month_start(m) for m in partition_months})
    if requested:
        partitions = monthly_counts(engine, requested[0], requested[-1])
        wanted = {month_label(m) for m in requested}
        partitions = partitions[partitions["month"].isin(wanted)].reset_index(drop=True)
    else:
        partitions = empty_monthly_frame()
    partition_csvs = {}
    for month in requested:
        label = month_label(month)
        rows = partitions[partitions["month"] == label]
        partition_csvs[label] = write_csv(rows, partition_csv_path(out_dir, month))
    combined = monthly_report(engine, months, today)
    combined_csv = write_csv(combined, out_dir / MONTHLY_CSV)
    chart_png = write_monthly_chart(
        combined,
        out_dir / MONTHLY_CHART,
        f"DOIs minted and updated per month, {combined['month'].iloc[0]} to "
        f"{combined['month'].iloc[-1]}",
    )
    return MonthlyReportFiles(
        partitions=partitions,
        partition_csvs=partition_csvs,
        combined=combined,
        combined_csv=combined_csv,
        chart_png=chart_png,
    )


def export_repository_report(
    doi_engine: sa.Engine,
    out_dir: Path,
    catalogue_engine: sa.Engine | None = None,
    fallback_culture: str = "en",
) -> ReportFile:
    """Write ``doi_by_repository.csv``."""
    frame = repository_report(doi_engine, catalogue_engine, fallback_culture)
    return ReportFile(path=write_csv(frame, out_dir / REPOSITORY_CSV), frame=frame)


def export_queue_status(
    engine: sa.Engine,
    out_dir: Path,
    *,
    now: datetime | None = None,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
) -> QueueStatusFile:
    """Write ``doi_queue_open_items.csv`` (every item not completed, streamed in chunks) and
    return the status (counts and previews)."""
    status = queue_status(engine, now=now, stale_after=stale_after)
    path = write_rows_csv(OPEN_ITEM_COLUMNS, iter_open_rows(engine), out_dir / QUEUE_OPEN_ITEMS_CSV)
    return QueueStatusFile(status=status, open_items_csv=path)
