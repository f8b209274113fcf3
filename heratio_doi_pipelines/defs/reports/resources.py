"""Where the report assets write their CSVs and chart, configurable per deployment."""

from pathlib import Path

import dagster as dg
from pydantic import Field

from heratio_doi_pipelines.paths import reports_dir


class ReportsFolder(dg.ConfigurableResource):
    """The output folder for report files; empty means ``HERATIO_DOI_REPORTS_DIR`` or
    ``data/reports`` under the project's data folder."""

    path: str = Field(default="", description="Folder for report CSVs and charts.")

    def folder(self) -> Path:
        if not self.path:
            return reports_dir()
        folder = Path(self.path)
        folder.mkdir(parents=True, exist_ok=True)
        return folder


@dg.definitions
def report_resources() -> dg.Definitions:
    return dg.Definitions(resources={"reports_folder": ReportsFolder()})
