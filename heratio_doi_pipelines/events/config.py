"""Where and how events are sent: host, credentials, key style and the per-minute cap.

Built on the DOI settings (``datacite_api_token``, ``datacite_environment``, minting
credentials, ``doi_events_per_minute``) plus two events-only keys:

- the events URL: ``DATACITE_EVENTS_URL`` (env) or ``datacite_events_url`` (ahg_settings);
  without it, a ``datacite_url`` that is not a datacite.org host (a local emulator or proxy,
  which serves ``/events`` next to ``/dois``), else the environment's DataCite host;
- the key style: ``DATACITE_EVENTS_API_VERSION`` / ``doi_events_api_version`` = ``2`` sends
  camelCase keys with ``Accept: application/vnd.api+json; version=2``; anything else the
  default hyphenated keys.

The usage report's release (``DOI_USAGE_REPORT_RELEASE`` / ``doi_usage_report_release``) and
the publisher's ROR come from the DOI settings like every other ``doi_*`` key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from heratio_doi_pipelines.datacite.client import PRODUCTION_URL, TEST_URL
from heratio_doi_pipelines.datacite.events_client import EventsClient
from heratio_doi_pipelines.datacite.rate_limit import RateLimiter
from heratio_doi_pipelines.settings import DoiSettings
from heratio_doi_pipelines.store.tables import ahg_settings

EVENTS_URL_ENV = "DATACITE_EVENTS_URL"
EVENTS_API_VERSION_ENV = "DATACITE_EVENTS_API_VERSION"
EVENTS_URL_SETTING = "datacite_events_url"
EVENTS_API_VERSION_SETTING = "doi_events_api_version"

BEARER_WARNING = (
    "events need a DataCite Bearer token (datacite_api_token / DATACITE_API_TOKEN): without one "
    "the flush falls back to the repository's basic-auth credentials, which DataCite refuses "
    "for /events; issue a token in DataCite Fabrica"
)


def events_url_for(
    environment: str, *, events_url: str | None = None, datacite_url: str | None = None
) -> str:
    """The Events API base URL: explicit events URL, else a non-DataCite ``datacite_url``
    (emulator/proxy), else ``https://api.datacite.org`` (production) or the test host."""
    if events_url:
        return events_url.rstrip("/")
    if datacite_url:
        host = (urlsplit(datacite_url).hostname or "").lower()
        if host != "datacite.org" and not host.endswith(".datacite.org"):
            return datacite_url.rstrip("/")
    return PRODUCTION_URL if environment == "production" else TEST_URL


@dataclass(frozen=True)
class EventsConfig:
    """Everything a flush needs; secrets are kept out of ``repr``."""

    url: str
    environment: str = "test"
    api_token: str = field(default="", repr=False)
    repository_id: str = ""
    password: str = field(default="", repr=False)
    per_minute: int = DoiSettings.events_per_minute
    camel_case: bool = False
    contact_email: str = ""
    publisher: str = "Heratio Archive"
    base_url: str = "http://localhost"
    usage_report_release: str = DoiSettings.usage_report_release
    publisher_ror: str = ""

    @property
    def uses_bearer(self) -> bool:
        return bool(self.api_token)

    @property
    def auth_label(self) -> str:
        return "Bearer token" if self.uses_bearer else "basic auth (repository credentials)"

    def open_client(self, rate_limiter: RateLimiter | None = None) -> EventsClient:
        """A client for these settings; the caller closes it."""
        return EventsClient(
            self.url,
            repository_id=self.repository_id,
            password=self.password,
            api_token=self.api_token,
            per_minute=self.per_minute,
            camel_case=self.camel_case,
            contact_email=self.contact_email,
            rate_limiter=rate_limiter,
        )

    @classmethod
    def from_settings(
        cls,
        settings: DoiSettings,
        *,
        events_url: str | None = None,
        api_version: str | int | None = None,
    ) -> EventsConfig:
        return cls(
            url=events_url_for(
                settings.environment, events_url=events_url, datacite_url=settings.datacite_url
            ),
            environment=settings.environment,
            api_token=settings.api_token,
            repository_id=settings.repository_id,
            password=settings.password,
            per_minute=max(1, settings.events_per_minute),
            camel_case=str(api_version or "").strip() == "2",
            contact_email=settings.contact_email,
            publisher=settings.publisher,
            base_url=settings.base_url,
            usage_report_release=settings.usage_report_release,
            publisher_ror=settings.publisher_ror,
        )


def _events_setting_rows(engine: sa.Engine) -> dict[str, str]:
    keys = (EVENTS_URL_SETTING, EVENTS_API_VERSION_SETTING)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(ahg_settings.c.setting_key, ahg_settings.c.setting_value).where(
                ahg_settings.c.setting_key.in_(keys)
            )
        )
        return {key: value for key, value in rows if value}


def events_config_from(
    engine: sa.Engine,
    settings: DoiSettings,
    overrides: Mapping[str, Any],
    *,
    environ: Mapping[str, str] | None = None,
) -> EventsConfig:
    """Events settings on the resolved DOI settings: overrides/env > ahg_settings > defaults.

    ``overrides`` may carry ``events_url`` and ``events_api_version`` besides DoiSettings keys.
    """
    env = os.environ if environ is None else environ
    stored = _events_setting_rows(engine)
    events_url = (
        overrides.get("events_url") or env.get(EVENTS_URL_ENV) or stored.get(EVENTS_URL_SETTING)
    )
    version = (
        overrides.get("events_api_version")
        or env.get(EVENTS_API_VERSION_ENV)
        or stored.get(EVENTS_API_VERSION_SETTING)
    )
    return EventsConfig.from_settings(settings, events_url=events_url, api_version=version)
