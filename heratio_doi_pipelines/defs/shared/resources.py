"""Resources shared by every area: the databases and DataCite, configured from the environment."""

import os
from typing import Any

import dagster as dg
import sqlalchemy as sa

from heratio_doi_pipelines.db import cached_engine, catalogue_db_url, doi_db_url
from heratio_doi_pipelines.settings import ENV_OVERRIDES


class HeratioDatabase(dg.ConfigurableResource):
    """The ahg_* tables and the AtoM catalogue. Empty URLs fall back to the environment defaults."""

    doi_db_url: str = ""
    catalogue_db_url: str = ""

    def doi_engine(self) -> sa.Engine:
        return cached_engine(self.doi_db_url or doi_db_url())

    def catalogue_engine(self) -> sa.Engine:
        return cached_engine(self.catalogue_db_url or self.doi_db_url or catalogue_db_url())


class DataCiteSettings(dg.ConfigurableResource):
    """Deployment overrides of Heratio's DOI settings (``ahg_settings`` / ``ahg_doi_config``).

    Empty fields leave Heratio's own settings in force. Secrets are bound with ``dg.EnvVar``
    so run config and the UI only ever show the variable's name.
    """

    datacite_url: str = ""
    repository_id: str = ""
    password: str = ""
    prefix: str = ""
    environment: str = ""
    api_token: str = ""
    base_url: str = ""
    smtp_password: str = ""

    def overrides(self) -> dict[str, Any]:
        return {
            key: value
            for key, value in {
                "datacite_url": self.datacite_url,
                "repository_id": self.repository_id,
                "password": self.password,
                "prefix": self.prefix,
                "environment": self.environment,
                "api_token": self.api_token,
                "base_url": self.base_url,
                "smtp_password": self.smtp_password,
            }.items()
            if value
        }


def _from_env(field: str) -> str | dg.EnvVar:
    """The environment variable behind a settings field, as ``dg.EnvVar`` when it is set."""
    name = next(env for env, fld in ENV_OVERRIDES.items() if fld == field)
    return dg.EnvVar(name) if os.environ.get(name) else ""


def datacite_settings_from_env() -> DataCiteSettings:
    return DataCiteSettings(
        datacite_url=_from_env("datacite_url"),
        repository_id=_from_env("repository_id"),
        password=_from_env("password"),
        prefix=_from_env("prefix"),
        environment=_from_env("environment"),
        api_token=_from_env("api_token"),
        base_url=_from_env("base_url"),
        smtp_password=_from_env("smtp_password"),
    )


@dg.definitions
def shared_resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "heratio_db": HeratioDatabase(),
            "datacite": datacite_settings_from_env(),
        }
    )
