"""Resources shared by every area: the databases, and DataCite access (settings and clients)."""

import enum

import dagster as dg
import sqlalchemy as sa
from pydantic import Field, PrivateAttr

from heratio_doi_pipelines.datacite_access import DataCiteAccess, deployment_overrides
from heratio_doi_pipelines.db import cached_engine, catalogue_db_url, doi_db_url


class HeratioDatabase(dg.ConfigurableResource):
    """The ahg_* tables and the AtoM catalogue. Empty URLs fall back to the environment defaults."""

    doi_db_url: str = ""
    catalogue_db_url: str = ""

    def doi_engine(self) -> sa.Engine:
        return cached_engine(self.doi_db_url or doi_db_url())

    def catalogue_engine(self) -> sa.Engine:
        return cached_engine(self.catalogue_db_url or self.doi_db_url or catalogue_db_url())


# Each secret's config accepts only ``{env: <its variable>}``: a typed value is refused by the
# config schema at launch ('... must be dict. Expected: "{ env?: DATACITE_PASSWORD? }"'), so
# it never reaches a run, its config or Dagster's storage. The enums name the variable.
class DATACITE_PASSWORD(enum.Enum):
    DATACITE_PASSWORD = "DATACITE_PASSWORD"


class DATACITE_API_TOKEN(enum.Enum):
    DATACITE_API_TOKEN = "DATACITE_API_TOKEN"


class SMTP_PASSWORD(enum.Enum):
    SMTP_PASSWORD = "SMTP_PASSWORD"


class _SecretFromEnv(dg.Config):
    env: enum.Enum

    def value(self) -> str:
        return dg.EnvVar(self.env.value).get_value() or ""


class DataCitePassword(_SecretFromEnv):
    """The DataCite repository password: set DATACITE_PASSWORD in the environment."""

    env: DATACITE_PASSWORD = DATACITE_PASSWORD.DATACITE_PASSWORD


class DataCiteApiToken(_SecretFromEnv):
    """The DataCite Bearer token (events): set DATACITE_API_TOKEN in the environment."""

    env: DATACITE_API_TOKEN = DATACITE_API_TOKEN.DATACITE_API_TOKEN


class SmtpPassword(_SecretFromEnv):
    """The SMTP password for notification mail: set SMTP_PASSWORD in the environment."""

    env: SMTP_PASSWORD = SMTP_PASSWORD.SMTP_PASSWORD


class DataCite(dg.ConfigurableResource):
    """DataCite access for a run: Heratio's DOI settings resolved once, and the clients.

    Non-empty fields override Heratio's stored settings (``ahg_settings``/``ahg_doi_config``)
    and the environment. Secrets are never fields with values: each names its environment
    variable, read with ``dg.EnvVar`` when the run starts.
    """

    datacite_url: str = Field(default="", description="DataCite API URL (e.g. the emulator).")
    repository_id: str = Field(default="", description="DataCite repository id.")
    prefix: str = Field(default="", description="DOI prefix, e.g. 10.5072.")
    environment: str = Field(default="", description="test or production.")
    base_url: str = Field(default="", description="Heratio's public URL (landing pages).")
    password: DataCitePassword = Field(
        default_factory=DataCitePassword, description=DataCitePassword.__doc__
    )
    api_token: DataCiteApiToken = Field(
        default_factory=DataCiteApiToken, description=DataCiteApiToken.__doc__
    )
    smtp_password: SmtpPassword = Field(
        default_factory=SmtpPassword, description=SmtpPassword.__doc__
    )

    _access: dict[str, DataCiteAccess] = PrivateAttr(default_factory=dict)

    def overrides(self) -> dict[str, str]:
        values = {
            "datacite_url": self.datacite_url,
            "repository_id": self.repository_id,
            "prefix": self.prefix,
            "environment": self.environment,
            "base_url": self.base_url,
            "password": self.password.value(),
            "api_token": self.api_token.value(),
            "smtp_password": self.smtp_password.value(),
        }
        return {key: value for key, value in values.items() if value}

    def deployment_overrides(self) -> dict[str, str]:
        """The fields over the environment, for code that must work without the database."""
        return deployment_overrides(self.overrides())

    def access(self, doi_engine: sa.Engine) -> DataCiteAccess:
        """The run's access: settings resolved on first use, then shared by every caller."""
        key = str(doi_engine.url)
        if key not in self._access:
            self._access[key] = DataCiteAccess(doi_engine, self.overrides())
        return self._access[key]


@dg.definitions
def shared_resources() -> dg.Definitions:
    return dg.Definitions(resources={"heratio_db": HeratioDatabase(), "datacite": DataCite()})
