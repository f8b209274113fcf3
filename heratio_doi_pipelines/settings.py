"""DOI settings as Heratio resolves them, plus the deployment's overrides.

Precedence for a record's repository (most specific first):

1. the repository's own active ``ahg_doi_config`` row (Heratio's per-repository credentials);
2. overrides from the deployment (environment variables / Dagster resource config);
3. the active global ``ahg_doi_config`` row (``repository_id IS NULL``);
4. the ``ahg_settings`` rows of the ``doi`` group (Heratio's /admin/doi/config screen);
5. built-in defaults.

Secrets (password, API token, SMTP password) are only ever read: nothing here writes them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from heratio_doi_pipelines.datacite.client import base_url_for, is_datacite_host
from heratio_doi_pipelines.datacite.rate_limit import (
    DEFAULT_LIMITS,
    RateLimiter,
    UnlimitedRateLimiter,
)
from heratio_doi_pipelines.store.tables import ahg_doi_config, ahg_settings

# Environment variables that override settings (name -> DoiSettings field).
ENV_OVERRIDES = {
    "DATACITE_URL": "datacite_url",
    "DATACITE_REPOSITORY_ID": "repository_id",
    "DATACITE_PASSWORD": "password",
    "DATACITE_PREFIX": "prefix",
    "DATACITE_ENVIRONMENT": "environment",
    "DATACITE_API_TOKEN": "api_token",
    "DATACITE_RATE_LIMIT_REQUESTS": "rate_limit_requests",
    "DATACITE_RATE_LIMIT_WINDOW_S": "rate_limit_window_s",
    "HERATIO_BASE_URL": "base_url",
    "HERATIO_DOI_PUBLISHER": "publisher",
    "DOI_FAILURE_NOTIFY": "failure_notify",
    "SMTP_HOST": "smtp_host",
    "SMTP_PORT": "smtp_port",
    "SMTP_USER": "smtp_user",
    "SMTP_PASSWORD": "smtp_password",
    "SMTP_FROM": "smtp_from",
    "SMTP_STARTTLS": "smtp_starttls",
    "DOI_RESOLVER_URL": "resolver_url",
}

# ahg_settings keys of the doi group -> DoiSettings field.
SETTING_KEYS = {
    "datacite_prefix": "prefix",
    "datacite_repository_id": "repository_id",
    "datacite_password": "password",
    "datacite_url": "datacite_url",
    "datacite_environment": "environment",
    "datacite_api_token": "api_token",
    "auto_mint": "auto_mint",
    "default_publisher": "publisher",
    "default_resource_type": "resource_type",
    "doi_failure_notify": "failure_notify",
    "base_url": "base_url",
    "doi_suffix_pattern": "suffix_pattern",
    "doi_tombstone_url_pattern": "tombstone_url_pattern",
    "doi_register_drafts": "register_drafts",
    "doi_xml_mode": "xml_mode",
    "doi_contact_email": "contact_email",
    "doi_rate_limit_requests": "rate_limit_requests",
    "doi_rate_limit_window_s": "rate_limit_window_s",
    "doi_read_timeout_s": "read_timeout_s",
    "doi_events_per_minute": "events_per_minute",
    "doi_notify_digest": "notify_digest",
    "doi_publisher_ror": "publisher_ror",
    "doi_schema_version": "schema_version",
    "doi_usage_report_release": "usage_report_release",
    "doi_resolver_url": "resolver_url",
    "doi_linkcheck_host_concurrency": "linkcheck_host_concurrency",
    "doi_linkcheck_host_rate": "linkcheck_host_rate",
    "doi_linkcheck_timeout_s": "linkcheck_timeout_s",
}

# ahg_settings keys a repository may override with ``<key>.<repository id>`` rows
# (``doi_publisher_ror.12``): Heratio's ahg_doi_config has no column for them.
REPOSITORY_SETTING_KEYS = ("doi_publisher_ror", "doi_schema_version")

CONFIG_COLUMNS = {
    "datacite_repo_id": "repository_id",
    "datacite_prefix": "prefix",
    "datacite_password": "password",
    "datacite_url": "datacite_url",
    "environment": "environment",
    "auto_mint": "auto_mint",
    "default_publisher": "publisher",
    "default_resource_type": "resource_type",
    "suffix_pattern": "suffix_pattern",
}

SECRET_FIELDS = ("password", "api_token", "smtp_password")


@dataclass(frozen=True)
class DoiSettings:
    prefix: str = "10.5072"
    repository_id: str = ""
    password: str = field(default="", repr=False)
    datacite_url: str = ""
    environment: str = "test"
    api_token: str = field(default="", repr=False)
    publisher: str = "Heratio Archive"
    resource_type: str = "Text"
    suffix_pattern: str = "{repository_code}/{year}/{object_id}"
    base_url: str = "http://localhost"
    tombstone_url_pattern: str = "{url}"  # the DOI's own URL: Heratio has no tombstone page
    auto_mint: bool = False
    register_drafts: bool = False
    xml_mode: bool = False
    contact_email: str = ""
    rate_limit_requests: int = 0  # 0: DataCite's documented limit for the environment
    rate_limit_window_s: float = 0.0
    read_timeout_s: float = 30.0  # how long to wait for DataCite's answer
    events_per_minute: int = 30  # Heratio's event job submits at most 30 a minute
    failure_notify: str = ""
    notify_digest: bool = True
    publisher_ror: str = ""  # the publisher's ROR id, sent as publisherIdentifier
    schema_version: str = "4.7"  # DataCite Metadata Schema version of the payloads
    usage_report_release: str = "rd1"  # usage report format: rd1 or 5.1 (COUNTER R5.1)
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_from: str = "heratio-doi@localhost"
    smtp_starttls: bool = False
    # landing-page checks: the handle resolver, and how hard one site may be asked
    resolver_url: str = "https://doi.org"
    linkcheck_host_concurrency: int = 2  # requests in flight per host
    linkcheck_host_rate: float = 2.0  # requests started per second per host (0: no cap)
    linkcheck_timeout_s: float = 10.0  # per page, redirects included
    config_source: str = "defaults"  # which config row served these settings

    @property
    def api_url(self) -> str:
        return base_url_for(self.environment, self.datacite_url)

    @property
    def rate_limit(self) -> tuple[int, float] | None:
        """Requests per window for the client: as configured, else DataCite's documented limit
        for the environment; a non-DataCite host (the local emulator) has none by default."""
        if self.rate_limit_requests:
            return (self.rate_limit_requests, self.rate_limit_window_s or 300.0)
        if not is_datacite_host(self.api_url):
            return None
        return DEFAULT_LIMITS.get(self.environment, DEFAULT_LIMITS["test"])

    def rate_limiter(self) -> RateLimiter:
        limit = self.rate_limit
        return RateLimiter(*limit) if limit else UnlimitedRateLimiter()

    @property
    def credentials_key(self) -> tuple[str, str, str]:
        """Items sharing this key can go through one client."""
        return (self.api_url, self.repository_id.lower(), self.prefix)

    def public_view(self) -> dict[str, Any]:
        """The settings safe to show in logs and metadata: secrets only say whether they are set."""
        view = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in SECRET_FIELDS:
            view[name] = "set" if view[name] else "not set"
        return view

    def current_year(self) -> int:
        return datetime.now(UTC).year


def env_overrides(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Overrides from environment variables (only those that are set and non-empty)."""
    env = os.environ if environ is None else environ
    return {fld: env[name] for name, fld in ENV_OVERRIDES.items() if env.get(name)}


def _coerce(settings: DoiSettings, values: Mapping[str, Any]) -> DoiSettings:
    types = {f.name: f.type for f in fields(DoiSettings)}
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if key not in types or value is None or value == "":
            continue
        kind = types[key]
        if kind == "bool":
            clean[key] = (
                value if isinstance(value, bool) else str(value).strip().lower() in _TRUE_WORDS
            )
        elif kind == "int":
            clean[key] = int(value)
        elif kind == "float":
            clean[key] = float(value)
        else:
            clean[key] = str(value)
    return replace(settings, **clean)


_TRUE_WORDS = {"1", "true", "yes", "on"}


def _settings_rows(conn: sa.Connection) -> dict[str, Any]:
    rows = conn.execute(
        sa.select(ahg_settings.c.setting_key, ahg_settings.c.setting_value).where(
            ahg_settings.c.setting_key.in_(list(SETTING_KEYS))
        )
    )
    return {SETTING_KEYS[key]: value for key, value in rows}


def _repository_setting_rows(conn: sa.Connection, repository_id: int) -> dict[str, Any]:
    keys = {f"{key}.{repository_id}": SETTING_KEYS[key] for key in REPOSITORY_SETTING_KEYS}
    rows = conn.execute(
        sa.select(ahg_settings.c.setting_key, ahg_settings.c.setting_value).where(
            ahg_settings.c.setting_key.in_(list(keys))
        )
    )
    return {keys[key]: value for key, value in rows}


def _config_row(conn: sa.Connection, repository_id: int | None) -> dict[str, Any] | None:
    cond = (
        ahg_doi_config.c.repository_id.is_(None)
        if repository_id is None
        else ahg_doi_config.c.repository_id == repository_id
    )
    row = (
        conn.execute(sa.select(ahg_doi_config).where(cond, ahg_doi_config.c.is_active.is_(True)))
        .mappings()
        .first()
    )
    if row is None:
        return None
    values = {fld: row[col] for col, fld in CONFIG_COLUMNS.items()}
    values["config_source"] = (
        "ahg_doi_config (global)"
        if repository_id is None
        else f"ahg_doi_config (repository {repository_id})"
    )
    return values


class SettingsResolver:
    """Resolves settings once per repository per batch (a few queries, not one per record)."""

    def __init__(self, engine: sa.Engine, overrides: Mapping[str, Any] | None = None):
        self.engine = engine
        self.overrides = dict(overrides or {})
        self._cache: dict[int | None, DoiSettings] = {}
        self._global: DoiSettings | None = None
        self._lock = threading.RLock()  # worker threads share one resolver

    def global_settings(self) -> DoiSettings:
        with self._lock:
            return self._global_settings()

    def _global_settings(self) -> DoiSettings:
        if self._global is None:
            with self.engine.connect() as conn:
                base = _coerce(DoiSettings(), _settings_rows(conn))
                base = replace(base, config_source="ahg_settings")
                global_row = _config_row(conn, None)
            if global_row:
                base = _coerce(base, global_row)
            self._global = _coerce(base, self.overrides)
        return self._global

    def for_repository(self, repository_id: int | None) -> DoiSettings:
        with self._lock:
            return self._for_repository(repository_id)

    def _for_repository(self, repository_id: int | None) -> DoiSettings:
        if repository_id not in self._cache:
            settings = self.global_settings()
            if repository_id is not None:
                with self.engine.connect() as conn:
                    row = _config_row(conn, repository_id)
                    scoped = _repository_setting_rows(conn, repository_id)
                if row:
                    settings = _coerce(settings, row)
                settings = _coerce(settings, scoped)
            self._cache[repository_id] = settings
        return self._cache[repository_id]


def resolve_settings(
    engine: sa.Engine, overrides: Mapping[str, Any] | None = None, repository_id: int | None = None
) -> DoiSettings:
    """Settings for one repository (or the global ones); overrides default to the environment."""
    resolver = SettingsResolver(engine, env_overrides() if overrides is None else overrides)
    return resolver.for_repository(repository_id)
