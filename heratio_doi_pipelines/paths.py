"""Where the pipeline keeps its files: one data folder, overridable for tests and deployments."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """The data folder (``HERATIO_DOI_DATA_DIR``, default ``./data``), created on demand."""
    path = Path(os.environ.get("HERATIO_DOI_DATA_DIR") or Path.cwd() / "data")
    path.mkdir(parents=True, exist_ok=True)
    return path


def reports_dir() -> Path:
    """Where CSV reports and charts land (``HERATIO_DOI_REPORTS_DIR``, default ``data/reports``)."""
    path = Path(os.environ.get("HERATIO_DOI_REPORTS_DIR") or data_dir() / "reports")
    path.mkdir(parents=True, exist_ok=True)
    return path
