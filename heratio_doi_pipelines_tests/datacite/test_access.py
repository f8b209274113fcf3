"""DataCite access: settings resolved at the resource, Heratio's config rows, and refusals.

Config rows are chosen as Heratio's ``DoiService::configFor`` does, a placeholder or
password-less config stops the batch before any request with Heratio's message, and a bad
setting stops it before anything is claimed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from heratio_doi_pipelines.cli import main
from heratio_doi_pipelines.datacite_access import BatchRefused, DataCiteAccess
from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.defs.shared.resources import DataCite
from heratio_doi_pipelines.devtools.emulator import (
    EmulatorConfig,
    EmulatorHandle,
    running_emulator,
)
from heratio_doi_pipelines.devtools.sample_archive import generate_sample_archive
from heratio_doi_pipelines.queue.enqueue import enqueue
from heratio_doi_pipelines.queue.processor import process_queue
from heratio_doi_pipelines.queue.sync import run_sync
from heratio_doi_pipelines.store.schema import init_database
from heratio_doi_pipelines.store.tables import ahg_doi, ahg_doi_config, ahg_doi_queue, ahg_settings
from heratio_doi_pipelines_tests.support.heratio_ddl import create_heratio_tables

REPOSITORY_ID = "HERATIO.ACCESS"
PASSWORD = "access-test-pw"
SETTINGS_PREFIX = "10.1234"  # the ahg_settings prefix in Heratio's install rows of the fixture
PLACEHOLDER_MESSAGE = (
    "DOI mint is not configured: no DataCite password; prefix is DataCite's documentation "
    "placeholder 10.12345. Set real DataCite credentials before enabling this."
)


@pytest.fixture
def emulator() -> Iterator[EmulatorHandle]:
    config = EmulatorConfig(prefix=SETTINGS_PREFIX, repository_id=REPOSITORY_ID, password=PASSWORD)
    with running_emulator(config) as handle:
        yield handle


@pytest.fixture
def heratio_site(db_url: str) -> Iterator[sa.Engine]:
    """Heratio's own install rows (the placeholder config row and an ahg_settings prefix),
    adopted by init, with a small catalogue."""
    engine = make_engine(db_url)
    create_heratio_tables(engine)
    init_database(engine)
    generate_sample_archive(engine, records=20, seed=4)
    yield engine
    engine.dispose()


def _site_env(monkeypatch: pytest.MonkeyPatch, emulator: EmulatorHandle) -> None:
    monkeypatch.setenv("DATACITE_URL", emulator.url)
    monkeypatch.setenv("DATACITE_REPOSITORY_ID", REPOSITORY_ID)
    monkeypatch.setenv("DATACITE_PASSWORD", PASSWORD)
    monkeypatch.setenv("HERATIO_BASE_URL", "https://archive.example.org")


def _mintable(engine: sa.Engine, count: int) -> list[int]:
    from heratio_doi_pipelines.catalogue.reader import CatalogueReader

    reader = CatalogueReader(engine, doi_engine=engine)
    ids = []
    for batch in reader.iter_records(reader.records_without_doi(), batch_size=100):
        ids += [r.id for r in batch if r.publication_status != "draft"]
    return ids[:count]


def _requests(emulator: EmulatorHandle) -> int:
    return int(emulator.stats()["total_requests"])


def test_settings_are_resolved_at_the_resource_with_heratios_precedence(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine.begin() as conn:
        conn.execute(sa.delete(ahg_settings))  # init's defaults
        conn.execute(
            ahg_settings.insert(),
            [
                {
                    "setting_key": "datacite_prefix",
                    "setting_value": "10.1111",
                    "setting_group": "doi",
                },
                {
                    "setting_key": "default_publisher",
                    "setting_value": "Admin",
                    "setting_group": "doi",
                },
                {
                    "setting_key": "base_url",
                    "setting_value": "https://a.example",
                    "setting_group": "doi",
                },
                {
                    "setting_key": "doi_contact_email",
                    "setting_value": "doi@archive.example",
                    "setting_group": "doi",
                },
            ],
        )
        conn.execute(
            ahg_doi_config.insert(),
            [
                {
                    "repository_id": None,
                    "datacite_prefix": "10.2222",
                    "default_publisher": "Global",
                    "datacite_repo_id": "GLOBAL.REPO",
                    "is_active": True,
                },
                {
                    "repository_id": 7,
                    "datacite_prefix": "10.3333",
                    "datacite_repo_id": "OWN.REPO",
                    "default_publisher": None,
                    "is_active": True,
                },
            ],
        )
    monkeypatch.setenv("DATACITE_PASSWORD", PASSWORD)
    monkeypatch.setenv("DATACITE_PREFIX", "10.4444")
    monkeypatch.setenv("HERATIO_BASE_URL", "https://env.example")
    resource = DataCite(base_url="https://resource.example")
    access = resource.access(engine)
    assert resource.access(engine) is access  # resolved once per run, shared by every caller
    settings = access.global_settings()
    # resource field > environment > global row > ahg_settings > defaults
    assert settings.base_url == "https://resource.example"
    assert settings.prefix == "10.4444"
    assert (settings.publisher, settings.repository_id) == ("Global", "GLOBAL.REPO")
    assert settings.contact_email == "doi@archive.example"
    assert settings.resource_type == "Text"
    assert settings.password == PASSWORD  # secrets only from the environment (dg.EnvVar)
    # the repository's own row outranks everything for its records
    own = access.settings.for_repository(7)
    assert (own.prefix, own.repository_id) == ("10.3333", "OWN.REPO")
    assert PASSWORD not in repr(settings) and settings.public_view()["password"] == "set"


def test_the_placeholder_row_and_the_admin_settings_mint_under_the_settings_prefix(
    heratio_site: sa.Engine, emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    _site_env(monkeypatch, emulator)
    ids = _mintable(heratio_site, 5)
    enqueue(heratio_site, "mint", ids)
    report = process_queue(heratio_site, heratio_site, limit=10)
    assert report.counts["completed"] == len(ids), report.summary()
    with heratio_site.connect() as conn:
        dois = conn.execute(
            sa.select(ahg_doi.c.doi).where(ahg_doi.c.information_object_id.in_(ids))
        ).scalars()
        assert all(doi.startswith(f"{SETTINGS_PREFIX}/") for doi in dois)
    assert set(emulator.state.dois) and all(
        doi.startswith(f"{SETTINGS_PREFIX}/") for doi in emulator.state.dois
    )


def test_two_active_global_rows_take_the_usable_one_and_warn(
    heratio_site: sa.Engine, emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    _site_env(monkeypatch, emulator)
    with heratio_site.begin() as conn:
        conn.execute(sa.delete(ahg_settings).where(ahg_settings.c.setting_key == "datacite_prefix"))
        conn.execute(
            ahg_doi_config.insert().values(
                repository_id=None,
                datacite_repo_id=REPOSITORY_ID,
                datacite_prefix=SETTINGS_PREFIX,
                default_publisher="The Usable Row",
                is_active=True,
            )
        )
    access = DataCiteAccess(heratio_site)
    settings = access.global_settings()
    assert (settings.prefix, settings.publisher) == (SETTINGS_PREFIX, "The Usable Row")
    (warning,) = access.warnings
    assert "2 active global ahg_doi_config rows" in warning and "deactivate the others" in warning
    status = CliRunner().invoke(
        main,
        ["status"],
        env={"HERATIO_DOI_DB_URL": str(heratio_site.url.render_as_string(hide_password=False))},
    )
    assert status.exit_code == 0, status.output
    assert "warning: 2 active global ahg_doi_config rows" in status.output


@pytest.mark.parametrize("action", ["mint", "update", "verify", "deactivate"])
def test_a_placeholder_config_without_password_refuses_every_action_before_any_request(
    heratio_site: sa.Engine,
    emulator: EmulatorHandle,
    monkeypatch: pytest.MonkeyPatch,
    action: str,
) -> None:
    monkeypatch.setenv("DATACITE_URL", emulator.url)
    with heratio_site.begin() as conn:  # only Heratio's placeholder row is left
        conn.execute(sa.delete(ahg_settings).where(ahg_settings.c.setting_key == "datacite_prefix"))
    ids = _mintable(heratio_site, 3)
    enqueue(heratio_site, action, ids)
    report = process_queue(heratio_site, heratio_site, actions=[action])
    assert report.refused == PLACEHOLDER_MESSAGE.replace("DOI mint", f"DOI {action}")
    assert report.claimed == 0 and _requests(emulator) == 0
    with heratio_site.connect() as conn:
        rows = conn.execute(
            sa.select(ahg_doi_queue.c.status, ahg_doi_queue.c.attempts).where(
                ahg_doi_queue.c.information_object_id.in_(ids)
            )
        ).all()
    assert {(r.status, r.attempts) for r in rows} == {("pending", 0)}


def test_sync_events_and_the_cli_are_refused_with_heratios_message(
    heratio_site: sa.Engine,
    emulator: EmulatorHandle,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # a real prefix but no password anywhere: refused as well
    env = {
        "HERATIO_DOI_DB_URL": heratio_site.url.render_as_string(hide_password=False),
        "DATACITE_URL": emulator.url,
        "DATACITE_PREFIX": SETTINGS_PREFIX,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    no_password = (
        "DOI {verb} is not configured: no DataCite password. "
        "Set real DataCite credentials before enabling this."
    )
    with pytest.raises(
        BatchRefused, match="^" + no_password.format(verb="sync").replace(".", r"\.")
    ):
        run_sync(heratio_site, DataCiteAccess(heratio_site), out_dir=tmp_path)
    with pytest.raises(BatchRefused) as events:
        DataCiteAccess(heratio_site).check("events", settings_check=False)
    assert str(events.value) == no_password.format(verb="events")
    enqueue(heratio_site, "mint", _mintable(heratio_site, 2))
    runner = CliRunner()
    for args, verb in (
        (["process"], "processing"),
        (["process", "--action", "mint"], "mint"),
        (["sync"], "sync"),
        (["events", "flush"], "events"),
    ):
        result = runner.invoke(main, args, env=env)
        assert result.exit_code != 0, (args, result.output)
        assert no_password.format(verb=verb) in result.output, (args, result.output)
        assert "Traceback" not in result.output
    assert _requests(emulator) == 0


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("doi_suffix_pattern", "{repository_code}/{nope}", "has unknown placeholder {nope}"),
        ("doi_tombstone_url_pattern", "{base_url}/tomb/{doi_id}", "unknown placeholder {doi_id}"),
        ("datacite_prefix", "11.5072", "is not a DOI prefix"),
    ],
)
def test_a_bad_setting_stops_the_batch_before_anything_is_claimed(
    heratio_site: sa.Engine,
    emulator: EmulatorHandle,
    monkeypatch: pytest.MonkeyPatch,
    key: str,
    value: str,
    reason: str,
) -> None:
    _site_env(monkeypatch, emulator)
    with heratio_site.begin() as conn:
        conn.execute(sa.delete(ahg_settings).where(ahg_settings.c.setting_key == key))
        conn.execute(
            ahg_settings.insert().values(setting_key=key, setting_value=value, setting_group="doi")
        )
    ids = _mintable(heratio_site, 3)
    enqueue(heratio_site, "deactivate", ids)
    report = process_queue(heratio_site, heratio_site, actions=["deactivate"])
    assert report.refused is not None and reason in report.refused
    assert report.refused.startswith("DOI deactivate cannot start:")
    assert report.claimed == 0 and _requests(emulator) == 0
    with heratio_site.connect() as conn:
        attempts = conn.execute(
            sa.select(ahg_doi_queue.c.attempts).where(
                ahg_doi_queue.c.information_object_id.in_(ids)
            )
        ).scalars()
        assert set(attempts) == {0}


def test_bulk_budget_is_used_past_the_threshold_and_when_asked_for(
    heratio_site: sa.Engine, emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dagster as dg

    from heratio_doi_pipelines.defs.datacite.assets import minted_dois, updated_dois
    from heratio_doi_pipelines.defs.shared.resources import HeratioDatabase

    _site_env(monkeypatch, emulator)
    monkeypatch.setenv("DATACITE_BULK_RATE_LIMIT", "600/60")  # compressed for the test
    ids = _mintable(heratio_site, 6)
    enqueue(heratio_site, "mint", ids[:2])
    standard = process_queue(heratio_site, heratio_site, actions=["mint"])
    assert standard.budget.startswith("none") and "bulk" not in standard.budget
    monkeypatch.setenv("DOI_BULK_THRESHOLD", "1")  # more due items than this: bulk
    enqueue(heratio_site, "mint", ids[2:4])
    automatic = process_queue(heratio_site, heratio_site, actions=["mint"])
    assert automatic.budget.startswith("bulk: 600 per 60 s, shared by every worker")
    assert automatic.counts["completed"] == 2 and automatic.rate_limited == 0

    monkeypatch.setenv("DOI_BULK_THRESHOLD", "10000")
    enqueue(heratio_site, "mint", ids[4:5])
    url = heratio_site.url.render_as_string(hide_password=False)
    result = dg.materialize(
        [minted_dois],
        resources={"heratio_db": HeratioDatabase(doi_db_url=url), "datacite": DataCite()},
        run_config={"ops": {"minted_dois": {"config": {"bulk": True}}}},
    )
    (materialization,) = result.asset_materializations_for_node("minted_dois")
    meta = {k: v.value for k, v in materialization.metadata.items()}
    assert str(meta["rate_budget"]).startswith("bulk: 600 per 60 s")
    assert (meta["datacite_requests"], meta["http_429"]) == (1, 0)
    assert meta["accepted_per_s"] > 0
    assert meta["bulk_asked_by_queue"] is False

    # an item queued in bulk mode (as sync --repair queues outdated metadata) asks for it too
    enqueue(heratio_site, "update", ids[:1], bulk=True)
    result = dg.materialize(
        [updated_dois],
        resources={"heratio_db": HeratioDatabase(doi_db_url=url), "datacite": DataCite()},
    )
    (materialization,) = result.asset_materializations_for_node("updated_dois")
    meta = {k: v.value for k, v in materialization.metadata.items()}
    assert meta["bulk_asked_by_queue"] is True
    assert str(meta["rate_budget"]).startswith("bulk: 600 per 60 s")
    assert meta["completed_items"] + meta["skipped_items"] == 1


def test_process_reports_the_rate_and_the_budget(
    heratio_site: sa.Engine, emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    _site_env(monkeypatch, emulator)
    monkeypatch.setenv("HERATIO_DOI_DB_URL", heratio_site.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DATACITE_RATE_LIMIT_REQUESTS", "600")
    monkeypatch.setenv("DATACITE_RATE_LIMIT_WINDOW_S", "60")
    enqueue(heratio_site, "mint", _mintable(heratio_site, 3))
    result = CliRunner().invoke(main, ["process", "--action", "mint"])
    assert result.exit_code == 0, result.output
    assert "3 DataCite requests, 0 answered 429" in result.output
    assert "accepted/s over the run; budget standard: 600 per 60 s, shared by every worker" in (
        result.output
    )
