"""Landing-page health against the emulator's handle API and the sample landing site."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from click.testing import CliRunner

from heratio_doi_pipelines.catalogue import atom_tables
from heratio_doi_pipelines.catalogue.reader import CatalogueReader
from heratio_doi_pipelines.cli import main
from heratio_doi_pipelines.devtools.emulator import EmulatorHandle
from heratio_doi_pipelines.devtools.landing_site import SiteHandle, running_landing_site
from heratio_doi_pipelines.linkcheck import LANDING_CSV, run_linkcheck
from heratio_doi_pipelines.queue.enqueue import enqueue
from heratio_doi_pipelines.queue.processor import process_queue
from heratio_doi_pipelines.store.landing_checks import LandingCheck, due_dois
from heratio_doi_pipelines.store.tables import (
    ahg_doi,
    ahg_doi_queue,
    ahg_settings,
    heratio_doi_landing_check,
)

CONTACT = "dois@archive.example.org"


@pytest.fixture
def site(archive: sa.Engine) -> Iterator[SiteHandle]:
    with running_landing_site(archive, slow_seconds=5.0) as handle:
        yield handle


@pytest.fixture
def site_overrides(
    overrides: dict[str, str], site: SiteHandle, emulator: EmulatorHandle
) -> dict[str, object]:
    """The catalogue's public pages on the sample site, the handle API on the emulator."""
    return {
        **overrides,
        "base_url": site.url,
        "resolver_url": emulator.url,
        "contact_email": CONTACT,
        "linkcheck_timeout_s": 2.0,
        "linkcheck_host_concurrency": 2,
        "linkcheck_host_rate": 0,
    }


def _mint(archive: sa.Engine, overrides: dict[str, object], count: int) -> dict[int, str]:
    """record id -> DOI of ``count`` records minted findable against the emulator."""
    reader = CatalogueReader(archive)
    ids = [
        r.id
        for r in reader.read_records(reader.records_without_doi())
        if r.publication_status != "draft" and r.title and r.slug
    ][:count]
    enqueue(archive, "mint", ids)
    report = process_queue(archive, archive, overrides=overrides)
    assert [o.status for o in report.outcomes] == ["completed"] * len(ids)
    with archive.connect() as conn:
        rows = conn.execute(
            sa.select(ahg_doi.c.information_object_id, ahg_doi.c.doi).where(
                ahg_doi.c.information_object_id.in_(ids)
            )
        )
        return dict(sorted((int(r), d) for r, d in rows))


def _slug(archive: sa.Engine, record_id: int) -> str:
    with archive.connect() as conn:
        return conn.execute(
            sa.select(atom_tables.slug.c.slug).where(atom_tables.slug.c.object_id == record_id)
        ).scalar_one()


def current_checks(archive: sa.Engine, states: tuple[str, ...]) -> list[LandingCheck]:
    """The stored check of every DOI in ``states``."""
    check = heratio_doi_landing_check
    with archive.connect() as conn:
        rows = conn.execute(
            sa.select(check)
            .join(ahg_doi, ahg_doi.c.id == check.c.doi_id)
            .where(ahg_doi.c.status.in_(states))
        ).mappings()
        return [LandingCheck.from_mapping(row) for row in rows]


def _problems(archive: sa.Engine) -> dict[str, str | None]:
    return {c.doi: c.problem for c in current_checks(archive, ("findable", "registered"))}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # pages, not SQL: one backend
def test_handle_api_answers_for_registered_dois_only(
    archive: sa.Engine, emulator: EmulatorHandle, site_overrides: dict[str, object]
) -> None:
    (record_id, doi), *_ = _mint(archive, site_overrides, 1).items()
    found = requests.get(f"{emulator.url}/api/handles/{doi}", timeout=5)
    assert found.status_code == 200
    body = found.json()
    assert body["responseCode"] == 1
    urls = [v["data"]["value"] for v in body["values"] if v["type"] == "URL"]
    assert urls == [f"{site_overrides['base_url']}/{_slug(archive, record_id)}"]
    missing = requests.get(f"{emulator.url}/api/handles/10.5072/no-such-doi", timeout=5)
    assert (missing.status_code, missing.json()["responseCode"]) == (404, 100)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # pages, not SQL: one backend
def test_each_problem_is_found_exactly_and_a_changed_slug_is_repaired(
    archive: sa.Engine,
    emulator: EmulatorHandle,
    site: SiteHandle,
    site_overrides: dict[str, object],
    tmp_path: Path,
) -> None:
    minted = _mint(archive, site_overrides, 12)
    ids = list(minted)
    dois = [minted[i] for i in ids]
    site.site.break_page(f"/{_slug(archive, ids[0])}", "not_found")
    site.site.break_page(f"/{_slug(archive, ids[1])}", "no_doi")
    site.site.break_page(f"/{_slug(archive, ids[2])}", "redirect_loop")
    site.site.break_page(f"/{_slug(archive, ids[3])}", "slow")
    emulator.set_handle_target(dois[4], "https://elsewhere.example.org/record")
    site.site.break_page(f"/{_slug(archive, ids[9])}", "redirect_chain")
    site.site.break_page(f"/{_slug(archive, ids[10])}", "not_html")
    with emulator.state.lock:  # DataCite never registered the handle
        del emulator.state.dois[dois[11].upper()]
    renamed = f"{_slug(archive, ids[5])}-renamed"
    with archive.begin() as conn:
        conn.execute(
            atom_tables.slug.update()
            .where(atom_tables.slug.c.object_id == ids[5])
            .values(slug=renamed)
        )

    report = run_linkcheck(archive, archive, site_overrides, out_dir=tmp_path, repair=True)

    expected = {doi: None for doi in dois}
    expected.update(
        {
            dois[0]: "error_page",
            dois[1]: "doi_not_shown",
            dois[2]: "redirect_loop",
            dois[3]: "timeout",
            dois[4]: "resolves_elsewhere",
            dois[5]: "slug_changed",
            dois[9]: "too_many_redirects",
            dois[10]: "not_html",
            dois[11]: "handle_not_found",
        }
    )
    assert _problems(archive) == expected
    checks = {c.doi: c for c in current_checks(archive, ("findable",))}
    assert checks[dois[0]].http_status == 404
    assert checks[dois[1]].shows_doi is False and checks[dois[6]].shows_doi is True
    assert checks[dois[4]].handle_target == "https://elsewhere.example.org/record"
    assert checks[dois[5]].catalogue_url == f"{site.url}/{renamed}"
    assert checks[dois[5]].repair == "update" and report.queued_repairs == 1
    assert {c.doi for c in report.broken} == {dois[i] for i in (0, 2, 3, 4, 9, 11)}
    assert report.broken_count == 6 and report.problem_count == 9
    assert report.counts == {
        "ok": 3,
        "resolves_elsewhere": 1,
        "slug_changed": 1,
        "timeout": 1,
        "redirect_loop": 1,
        "error_page": 1,
        "doi_not_shown": 1,
        "too_many_redirects": 1,
        "not_html": 1,
        "handle_not_found": 1,
    }
    with archive.connect() as conn:
        queued = conn.execute(
            sa.select(ahg_doi_queue.c.information_object_id).where(
                ahg_doi_queue.c.pipeline_action == "update", ahg_doi_queue.c.status == "pending"
            )
        ).scalars()
        assert list(queued) == [ids[5]]
    with (tmp_path / LANDING_CSV).open(newline="", encoding="utf-8") as fh:
        rows = {row["doi"]: row for row in csv.DictReader(fh)}
    assert set(rows) == set(dois)
    assert rows[dois[2]]["problem"] == "redirect_loop" and rows[dois[6]]["problem"] == ""
    assert (rows[dois[0]]["http_status"], rows[dois[3]]["http_status"]) == ("404", "")
    assert (rows[dois[1]]["shows_doi"], rows[dois[6]]["shows_doi"]) == ("False", "True")
    # every page fetched once, as the check says who it is
    assert max(site.stats.by_path.values()) == 1
    assert all(CONTACT in agent for agent in site.stats.user_agents)

    # the queued update sends the new URL; DataCite and the handle then agree again
    process_queue(archive, archive, overrides=site_overrides, actions=["update"])
    site.site.broken.clear()
    emulator.set_handle_target(dois[4], None)
    run_linkcheck(archive, archive, site_overrides, out_dir=tmp_path)
    assert _problems(archive) == {**{doi: None for doi in dois}, dois[11]: "handle_not_found"}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # pages, not SQL: one backend
def test_caps_are_respected(
    archive: sa.Engine, site: SiteHandle, site_overrides: dict[str, object], tmp_path: Path
) -> None:
    minted = _mint(archive, site_overrides, 12)
    site.site.latency_ms = 50
    site.site.reset_stats()
    capped = {**site_overrides, "linkcheck_host_concurrency": 2, "linkcheck_host_rate": 6}
    report = run_linkcheck(archive, archive, capped, out_dir=tmp_path)
    assert report.checked == len(minted), report.summary()
    assert not report.problems, [c.detail for c in report.problems]
    stats = site.stats
    assert stats.requests == len(minted)
    assert 1 <= stats.peak_in_flight <= 2
    starts = sorted(stats.starts)
    # at most 6 starts in any second (one of slack for network jitter), not one burst of 12
    assert max(sum(1 for s in starts if first <= s < first + 1.0) for first in starts) <= 7


def test_an_interrupted_run_resumes_with_the_unchecked_dois(
    archive: sa.Engine, site_overrides: dict[str, object], tmp_path: Path
) -> None:
    minted = _mint(archive, site_overrides, 8)

    class Interrupted(Exception):
        pass

    seen: list[str] = []

    def stop_after_three(check: object) -> None:
        seen.append(check.doi)  # type: ignore[attr-defined]
        if len(seen) == 3:
            raise Interrupted

    with pytest.raises(Interrupted):
        run_linkcheck(
            archive,
            archive,
            {**site_overrides, "linkcheck_host_concurrency": 1},
            out_dir=tmp_path,
            progress=stop_after_three,
        )
    stored = {c.doi for c in current_checks(archive, ("findable",))}
    assert set(seen) <= stored and len(stored) < len(minted)
    left = set(minted.values()) - stored
    # the never-checked DOIs come first, so a bounded re-run checks exactly those
    assert {d.doi for chunk in due_dois(archive, ("findable",), len(left)) for d in chunk} == left
    rechecked: list[str] = []
    report = run_linkcheck(
        archive,
        archive,
        site_overrides,
        out_dir=tmp_path,
        limit=len(left),
        progress=lambda check: rechecked.append(check.doi),
    )
    assert set(rechecked) == left and report.checked == len(left)
    assert {c.doi for c in current_checks(archive, ("findable",))} == set(minted.values())
    # then the oldest results come first
    ((oldest,),) = due_dois(archive, ("findable",), 1)
    assert oldest.doi in stored


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # pages, not SQL: one backend
def test_cli_linkcheck_and_show(
    archive: sa.Engine,
    site: SiteHandle,
    site_overrides: dict[str, object],
    monkeypatch: pytest.MonkeyPatch,
    db_url: str,
) -> None:
    minted = _mint(archive, site_overrides, 3)
    first_id, first_doi = next(iter(minted.items()))
    site.site.break_page(f"/{_slug(archive, first_id)}", "not_found")
    monkeypatch.setenv("HERATIO_DOI_DB_URL", db_url)
    monkeypatch.setenv("HERATIO_CATALOGUE_DB_URL", db_url)
    monkeypatch.setenv("HERATIO_BASE_URL", site.url)
    monkeypatch.setenv("DOI_RESOLVER_URL", str(site_overrides["resolver_url"]))
    runner = CliRunner()
    result = runner.invoke(main, ["linkcheck", "--limit", "3", "--state", "findable"])
    assert result.exit_code == 0, result.output
    assert "1 error_page" in result.output and first_doi in result.output
    assert LANDING_CSV in result.output
    shown = runner.invoke(main, ["show", first_doi])
    assert shown.exit_code == 0, shown.output
    assert "error_page" in shown.output and "answered HTTP 404" in shown.output


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # pages, not SQL: one backend
def test_landing_page_health_asset_fails_its_check_on_broken_pages(
    archive: sa.Engine,
    site: SiteHandle,
    emulator: EmulatorHandle,
    site_overrides: dict[str, object],
    db_url: str,
    tmp_path: Path,
) -> None:
    import dagster as dg

    from heratio_doi_pipelines.defs.landing.assets import landing_page_health
    from heratio_doi_pipelines.defs.landing.checks import LANDING_CHECK
    from heratio_doi_pipelines.defs.reports.resources import ReportsFolder
    from heratio_doi_pipelines.defs.shared.resources import DataCite, HeratioDatabase

    minted = _mint(archive, site_overrides, 4)
    broken_id, broken_doi = next(iter(minted.items()))
    site.site.break_page(f"/{_slug(archive, broken_id)}", "not_found")
    # Heratio's settings screen: the resolver and the caps as ahg_settings rows
    with archive.begin() as conn:
        conn.execute(
            ahg_settings.delete().where(
                ahg_settings.c.setting_key.in_(["doi_resolver_url", "doi_linkcheck_host_rate"])
            )
        )
        conn.execute(
            ahg_settings.insert(),
            [
                {"setting_key": "doi_resolver_url", "setting_value": emulator.url},
                {"setting_key": "doi_linkcheck_host_rate", "setting_value": "0"},
            ],
        )
    resources = {
        "heratio_db": HeratioDatabase(doi_db_url=db_url),
        "datacite": DataCite(base_url=site.url),
        "reports_folder": ReportsFolder(path=str(tmp_path / "reports")),
    }
    result = dg.materialize([landing_page_health], resources=resources, raise_on_error=False)
    assert result.success
    metadata = result.asset_materializations_for_node("landing_page_health")[0].metadata
    assert metadata["problem_error_page"].value == 1 and metadata["ok"].value == 3
    assert [r.data["doi"] for r in metadata["preview"].value.records] == [broken_doi]
    assert Path(str(metadata["csv"].value)).name == LANDING_CSV
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.check_name == LANDING_CHECK and not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR

    site.site.broken.clear()
    again = dg.materialize([landing_page_health], resources=resources)
    (evaluation,) = again.get_asset_check_evaluations()
    assert evaluation.passed


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # pages, not SQL: one backend
@pytest.mark.parametrize("pattern", ["{url}", "{base_url}/doi/tombstone/{doi}"])
def test_a_tombstone_page_is_checked_and_answers(
    archive: sa.Engine,
    site_overrides: dict[str, object],
    tmp_path: Path,
    pattern: str,
) -> None:
    overrides = {**site_overrides, "tombstone_url_pattern": pattern}
    minted = _mint(archive, overrides, 2)
    withdrawn_id, withdrawn_doi = next(iter(minted.items()))
    enqueue(archive, "deactivate", [withdrawn_id])
    outcomes = process_queue(archive, archive, overrides=overrides).outcomes
    assert [o.status for o in outcomes] == ["completed"]
    report = run_linkcheck(archive, archive, overrides, out_dir=tmp_path, states=["tombstone"])
    assert report.checked == 1
    (check,) = current_checks(archive, ("tombstone",))
    assert (check.doi, check.status, check.problem) == (withdrawn_doi, "tombstone", None)
    assert check.http_status == 200 and check.shows_doi is True
    assert check.handle_target == check.registered_url
    if pattern != "{url}":
        assert check.registered_url == f"{site_overrides['base_url']}/doi/tombstone/{withdrawn_doi}"


def test_linkcheck_without_the_tables_says_what_to_do(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HERATIO_DOI_DB_URL", db_url)
    result = CliRunner().invoke(main, ["linkcheck"])
    assert result.exit_code == 1
    assert "DOI tables not found: run `heratio-doi init`" in result.output
    assert "Traceback" not in result.output


def test_the_check_runs_weekly() -> None:
    from heratio_doi_pipelines.definitions import defs

    definitions = defs()
    schedule = definitions.resolve_schedule_def("landing_check_job_schedule")
    assert (schedule.cron_schedule, schedule.job_name) == ("0 3 * * 1", "landing_check_job")
    job = definitions.resolve_job_def("landing_check_job")
    assert [key.to_user_string() for key in job.asset_layer.executable_asset_keys] == [
        "landing_page_health"
    ]
