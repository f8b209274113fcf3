"""DOI settings as Heratio resolves them, plus the deployment's overrides.

Precedence for a record's repository (most specific first):

1. the repository's own active ``ahg_doi_config`` row (Heratio's per-repository credentials);
2. overrides from the deployment (environment variables / Dagster resource config), merged
   in one place, ``heratio_doi_pipelines.datacite_access``;
3. the active global ``ahg_doi_config`` row (``repository_id IS NULL``) with a usable prefix;
4. the ``ahg_settings`` rows of the ``doi`` group (Heratio's /admin/doi/config screen);
5. a global placeholder row (no prefix, or ``10.12345`` as Heratio's install.sql leaves it);
6. built-in defaults.

Within a scope the row is the one ``DoiService::configFor`` picks: usable prefix first, then
the lowest id. ``refusal`` is Heratio's ``unconfiguredResult`` plus the settings check that
runs before anything is claimed.

Secrets (password, API token, SMTP password) are only ever read: nothing here writes them.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from heratio_doi_pipelines.datacite.client import base_url_for, is_datacite_host
from heratio_doi_pipelines.datacite.rate_limit import DEFAULT_BULK_LIMIT, DEFAULT_LIMITS
from heratio_doi_pipelines.metadata.doi_strings import MetadataConfigError, check_suffix_pattern
from heratio_doi_pipelines.metadata.tombstone import TombstonePatternError, tombstone_url
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
    "DATACITE_BULK_RATE_LIMIT": "bulk_rate_limit",
    "DOI_BULK_THRESHOLD": "bulk_threshold",
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
    "DOI_USAGE_REPORT_RELEASE": "usage_report_release",
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
    "doi_bulk_rate_limit": "bulk_rate_limit",
    "doi_bulk_threshold": "bulk_threshold",
    "doi_read_timeout_s": "read_timeout_s",
    "doi_events_per_minute": "events_per_minute",
    "doi_usage_report_release": "usage_report_release",
    "doi_notify_digest": "notify_digest",
    "doi_publisher_ror": "publisher_ror",
    "doi_schema_version": "schema_version",
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
    # DataCite's advice for sustained bulk work: "500" (per 5 minutes) or "500/300" (per 300 s)
    bulk_rate_limit: str = "500/300"
    bulk_threshold: int = 10_000  # a batch with more due items than this uses the bulk budget
    read_timeout_s: float = 30.0  # how long to wait for DataCite's answer
    events_per_minute: int = 30  # Heratio's event job submits at most 30 a minute
    # the monthly usage report's COUNTER release: rd1 (research data) or r5.1, see
    # events/usage_report.py (checked there, where the choice matters)
    usage_report_release: str = "rd1"
    failure_notify: str = ""
    notify_digest: bool = True
    publisher_ror: str = ""  # the publisher's ROR id, sent as publisherIdentifier
    schema_version: str = "4.7"  # DataCite Metadata Schema version of the payloads
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

    @property
    def bulk_limit(self) -> tuple[int, float]:
        """``doi_bulk_rate_limit`` as (requests, window seconds); a bare number is per 5 minutes."""
        text = str(self.bulk_rate_limit or "").strip()
        requests, _, window = text.partition("/")
        try:
            limit = (int(requests), float(window) if window else 300.0)
        except ValueError:
            return DEFAULT_BULK_LIMIT
        return limit if limit[0] >= 1 and limit[1] > 0 else DEFAULT_BULK_LIMIT

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


# DataCite's documentation prefix: Heratio's install.sql puts it in a placeholder config row.
DOCUMENTATION_PREFIX = "10.12345"
_PREFIX_SYNTAX = re.compile(r"^10\.\d{4,9}(?:\.\d+)*$")


def usable_prefix(prefix: str | None) -> bool:
    """Heratio's test for a config row worth using: a prefix that is set and not a placeholder."""
    return bool(prefix) and prefix != DOCUMENTATION_PREFIX


def _usable_first(table: sa.Table) -> sa.ColumnElement[int]:
    """Heratio's ``ORDER BY (datacite_prefix IS NOT NULL AND <> '' AND <> '10.12345') DESC``."""
    prefix = table.c.datacite_prefix
    return sa.case(
        (
            sa.and_(prefix.is_not(None), prefix != "", prefix != DOCUMENTATION_PREFIX),
            0,
        ),
        else_=1,
    )


@dataclass(frozen=True)
class ConfigRow:
    """The ``ahg_doi_config`` row ``DoiService::configFor`` picks for one scope."""

    id: int
    values: dict[str, Any]
    usable: bool
    active_rows: tuple[int, ...]  # every active row of the scope, in Heratio's order


def _config_row(conn: sa.Connection, repository_id: int | None) -> ConfigRow | None:
    """Active rows of the scope, usable prefix first, then id (``DoiService::configFor``)."""
    t = ahg_doi_config
    cond = (
        t.c.repository_id.is_(None) if repository_id is None else t.c.repository_id == repository_id
    )
    rows = (
        conn.execute(
            sa.select(t).where(cond, t.c.is_active.is_(True)).order_by(_usable_first(t), t.c.id)
        )
        .mappings()
        .all()
    )
    if not rows:
        return None
    row = rows[0]
    values = {fld: row[col] for col, fld in CONFIG_COLUMNS.items()}
    scope = "global" if repository_id is None else f"repository {repository_id}"
    values["config_source"] = f"ahg_doi_config (id {row['id']}, {scope})"
    return ConfigRow(
        id=int(row["id"]),
        values=values,
        usable=usable_prefix(row["datacite_prefix"]),
        active_rows=tuple(int(r["id"]) for r in rows),
    )


def several_global_rows_warning(row: ConfigRow | None) -> str | None:
    """Heratio logs more than one active global row as a misconfiguration."""
    if row is None or len(row.active_rows) < 2:
        return None
    ids = ", ".join(str(i) for i in row.active_rows)
    return (
        f"{len(row.active_rows)} active global ahg_doi_config rows (ids {ids}): using id "
        f"{row.id} (usable prefix first, then lowest id); deactivate the others"
    )


class SettingsResolver:
    """Resolves settings once per repository per batch (a few queries, not one per record).

    An active global row with a usable prefix outranks the ``ahg_settings`` doi group; a
    placeholder row (no prefix, or ``10.12345`` as Heratio's install.sql leaves it) only fills
    what the admin screen's settings leave unset, so a freshly installed site that saved its
    settings mints under its own prefix.
    """

    def __init__(self, engine: sa.Engine, overrides: Mapping[str, Any] | None = None):
        self.engine = engine
        self.overrides = dict(overrides or {})
        self._cache: dict[int | None, DoiSettings] = {}
        self._global: DoiSettings | None = None
        self.warnings: list[str] = []
        self._lock = threading.RLock()  # worker threads share one resolver

    def global_settings(self) -> DoiSettings:
        with self._lock:
            return self._global_settings()

    def _global_settings(self) -> DoiSettings:
        if self._global is None:
            with self.engine.connect() as conn:
                stored = _settings_rows(conn)
                global_row = _config_row(conn, None)
            warning = several_global_rows_warning(global_row)
            if warning:
                self.warnings.append(warning)
            base = replace(DoiSettings(), config_source="ahg_settings")
            if global_row is None:
                base = _coerce(base, stored)
            elif global_row.usable:
                base = _coerce(_coerce(base, stored), global_row.values)
            else:
                base = _coerce(_coerce(base, global_row.values), stored)
                if stored:
                    base = replace(
                        base,
                        config_source=f"ahg_settings over placeholder ahg_doi_config "
                        f"(id {global_row.id}, global)",
                    )
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
                    settings = _coerce(settings, row.values)
                settings = _coerce(settings, scoped)
            self._cache[repository_id] = settings
        return self._cache[repository_id]

    def repositories_with_rows(self) -> list[int]:
        """Repositories that have an active ``ahg_doi_config`` row of their own."""
        t = ahg_doi_config
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.c.repository_id)
                .where(t.c.repository_id.is_not(None), t.c.is_active.is_(True))
                .distinct()
            )
            return sorted(int(r[0]) for r in rows)


def config_warnings(engine: sa.Engine) -> list[str]:
    """What ``heratio-doi status`` warns about in the configuration rows."""
    with engine.connect() as conn:
        warning = several_global_rows_warning(_config_row(conn, None))
    return [warning] if warning else []


def unconfigured_reason(settings: DoiSettings, verb: str) -> str | None:
    """Heratio's ``unconfiguredResult``: refused before any HTTP request, in Heratio's words."""
    reasons = []
    # DOIs go with the repository's password; events may go with a Bearer token instead
    if not settings.password and not (verb == "events" and settings.api_token):
        reasons.append("no DataCite password")
    if settings.prefix == DOCUMENTATION_PREFIX:
        reasons.append(f"prefix is DataCite's documentation placeholder {DOCUMENTATION_PREFIX}")
    if not reasons:
        return None
    return (
        f"DOI {verb} is not configured: {'; '.join(reasons)}. "
        "Set real DataCite credentials before enabling this."
    )


def setting_problems(settings: DoiSettings) -> list[str]:
    """Settings that would break every item: checked before anything is claimed."""
    problems = []
    if not _PREFIX_SYNTAX.match(settings.prefix or ""):
        problems.append(
            f"DOI prefix {settings.prefix!r} is not a DOI prefix (10. followed by 4 to 9 digits)"
        )
    try:
        check_suffix_pattern(settings.suffix_pattern)
    except MetadataConfigError as exc:
        problems.append(str(exc))
    try:  # only known placeholders, well-formed braces
        tombstone_url(
            settings.tombstone_url_pattern,
            base_url=settings.base_url,
            doi=f"{settings.prefix}/example",
            object_id=1,
        )
    except TombstonePatternError as exc:
        problems.append(str(exc))
    return problems


def refusal(settings: DoiSettings, verb: str) -> str | None:
    """One message when a batch must not start with these settings, else None."""
    problem = unconfigured_reason(settings, verb)
    if problem:
        return problem
    problems = setting_problems(settings)
    if problems:
        return f"DOI {verb} cannot start: " + "; ".join(problems) + " (fix the DOI settings)"
    return None
