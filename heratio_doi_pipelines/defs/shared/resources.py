"""Resources shared by every area: the databases and DataCite, configured from the environment."""

from __future__ import annotations

import os

import dagster as dg
import sqlalchemy as sa

from heratio_doi_pipelines.db import cached_engine, catalogue_db_url, doi_db_url


class HeratioDatabase(dg.ConfigurableResource):
    """The ahg_* tables and the AtoM catalogue. Empty URLs fall back to the environment defaults."""

    doi_db_url: str = ""
    catalogue_db_url: str = ""

    def doi_engine(self) -> sa.Engine:
        return cached_engine(self.doi_db_url or doi_db_url())

    def catalogue_engine(self) -> sa.Engine:
        return cached_engine(self.catalogue_db_url or self.doi_db_url or catalogue_db_url())


def _env_or_empty(name: str) -> str | dg.EnvVar:
    """A secret as ``dg.EnvVar`` when set, so its value never lands in run config."""
    return dg.EnvVar(name) if os.environ.get(name) else ""


@dg.definitions
def shared_resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "heratio_db": HeratioDatabase(),
        }
    )
