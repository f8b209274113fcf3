"""``heratio-doi demo``: the whole pipeline on the embedded default, with nothing to set up.

Creates the tables in the SQLite file under the data folder, writes a sample archive when
the catalogue is empty, starts the bundled DataCite emulator on loopback, runs ``mint_job``
and then ``report_job`` on a persistent Dagster instance (so the runs and every report asset
show up in the UI afterwards), stops the emulator and prints what was minted and where
everything is. ``heratio-doi ui`` starts the UI (``dg dev``) on the same settings with the
emulator and the landing site running, so runs launched from the UI reach a DataCite.

The catalogue's public pages are the sample landing site on loopback (the demo's base URL),
with a few pages broken on purpose; the demo ends with the landing-page health report, which
must find exactly those.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa

from heratio_doi_pipelines.clock import utcnow
from heratio_doi_pipelines.db import cached_engine, catalogue_db_url, doi_db_url
from heratio_doi_pipelines.paths import data_dir, reports_dir
from heratio_doi_pipelines.reports.months import month_start

DEMO_REPOSITORY_ID = "HERATIO.DEMO"
DEMO_PASSWORD = "demo-password"
DEMO_PREFIX = "10.5072"
DEMO_SITE_PORT = 8765
# The demo's site is on loopback: check it fast, and give the slow page time to be slow.
DEMO_LINKCHECK = {
    "linkcheck_host_concurrency": 8,
    "linkcheck_host_rate": 0,
    "linkcheck_timeout_s": 2.0,
}
DEMO_SLOW_SECONDS = 4.0
# What each deliberately broken page must be reported as.
DEMO_BREAKAGES = {
    "not_found": "error_page",
    "no_doi": "doi_not_shown",
    "redirect_loop": "redirect_loop",
    "slow": "timeout",
}
SHOWN_PROBLEMS = 20
WRONG_HANDLE_TARGET = "https://elsewhere.example.org/not-this-record"


@click.command("demo")
@click.option("--records", type=int, default=150, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--latency-ms", type=int, default=20, show_default=True)
@click.option(
    "--site-port",
    type=int,
    default=DEMO_SITE_PORT,
    show_default=True,
    help="Port of the sample landing site (the catalogue's public pages).",
)
def demo_command(records: int, seed: int, latency_ms: int, site_port: int) -> None:
    """Mint a sample archive's DOIs end to end against the local DataCite emulator."""
    from heratio_doi_pipelines.queue.batch_mint import enqueue_mint_batch
    from heratio_doi_pipelines.reports.dashboard import COUNT_LABELS, dashboard_counts

    folder = data_dir()
    doi_engine, catalogue_engine = _demo_database(records, seed)
    # Every record without a DOI, except those whose last mint failed and that have not
    # changed since: running the demo again never piles up the same failures.
    queued = enqueue_mint_batch(doi_engine, catalogue_engine, all_without_doi=True, cap=10**9)
    click.echo(queued.summary())

    dagster_home = _dagster_home(folder)
    with _demo_services(folder, latency_ms, site_port, doi_engine, catalogue_engine) as (
        emulator,
        site,
    ):
        success, run_id = _run_job("mint_job")
        stats = emulator.stats()
        expected = _break_some_pages(doi_engine, site, emulator)
        health = _check_landing_pages(doi_engine, catalogue_engine, folder)
    reported, _ = _run_job("report_job", partition_key=month_start(utcnow()).isoformat())
    counts = dashboard_counts(doi_engine)
    click.echo("")
    click.echo(f"mint_job run {run_id}: {'succeeded' if success else 'FAILED'}")
    click.echo(
        "DOIs: "
        + ", ".join(f"{COUNT_LABELS.get(name, name)} {value}" for name, value in counts.items())
        + f"; the emulator now holds {sum(stats.get('dois_by_state', {}).values())} DOI(s)"
    )
    cli = _command("heratio-doi")
    if counts.get("failed_items"):
        click.echo(
            f"queue: {counts['failed_items']} failed item(s), each with its reason (e.g. "
            f"catalogue drafts, invalid metadata): `{cli} queue --status failed`"
        )
    click.echo(
        "reports: "
        + ("written" if reported else "FAILED")
        + f" to {reports_dir()} (dashboard, queue status, monthly, by repository)"
    )
    click.echo(f"catalogue and ahg_* tables: {doi_db_url()}")
    click.echo(f"Dagster instance:           {dagster_home}")
    click.echo(f"emulator state:             {folder / 'emulator_state.json'}")
    found_exactly = _print_health(health, expected)
    click.echo(f"next: `{cli} status`, `{cli} browse`, `{cli} report`, `{cli} show DOI`")
    ui = "bash scripts/ui.sh" if Path("scripts/ui.sh").exists() else f"{cli} ui"
    click.echo(f"the Dagster UI with the emulator: `{ui}`, then http://127.0.0.1:3000")
    if not (success and reported and found_exactly):
        raise SystemExit(1)


@click.command("ui")
@click.option("--port", type=int, default=3000, show_default=True, help="Dagster UI port.")
@click.option("--records", type=int, default=150, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--latency-ms", type=int, default=20, show_default=True)
@click.option("--site-port", type=int, default=DEMO_SITE_PORT, show_default=True)
def ui_command(port: int, records: int, seed: int, latency_ms: int, site_port: int) -> None:
    """Start the Dagster UI (``dg dev``) on the demo settings with the local DataCite
    emulator and landing site, so runs launched from the UI reach a DataCite; Ctrl-C stops
    them all."""
    folder = data_dir().resolve()
    doi_engine, catalogue_engine = _demo_database(records, seed)
    dagster_home = _dagster_home(folder)
    os.environ["HERATIO_DOI_DATA_DIR"] = str(folder)  # the same data wherever dg dev runs
    beside = Path(sys.executable).parent / "dg"  # this environment's dg, wherever it runs
    dg_cli = str(beside) if beside.exists() else "dg"
    command = [dg_cli, "dev", "--host", "127.0.0.1", "--port", str(port)]
    checkout = Path(__file__).resolve().parents[2]
    in_checkout = (checkout / "pyproject.toml").exists()
    if not in_checkout:  # an installed package: name the code location's module
        command += ["-m", "heratio_doi_pipelines.definitions"]
    with _demo_services(folder, latency_ms, site_port, doi_engine, catalogue_engine):
        click.echo(f"Dagster instance {dagster_home}; the UI at http://127.0.0.1:{port}")
        ui = subprocess.Popen(command, cwd=checkout if in_checkout else None)
        try:
            code = ui.wait()
        except KeyboardInterrupt:
            ui.terminate()
            code = ui.wait()
    if code not in (0, -signal.SIGTERM, -signal.SIGINT):
        raise SystemExit(code)


def _demo_database(records: int, seed: int) -> tuple[sa.Engine, sa.Engine]:
    """The ahg_* tables, and a sample archive when the catalogue is empty."""
    from heratio_doi_pipelines.devtools.sample_archive import generate_sample_archive
    from heratio_doi_pipelines.store.schema import init_database

    doi_engine = cached_engine(doi_db_url())
    catalogue_engine = cached_engine(catalogue_db_url())
    init_database(doi_engine)
    if not _has_records(catalogue_engine):
        summary = generate_sample_archive(catalogue_engine, records=records, seed=seed)
        click.echo(f"sample archive: {summary}")
    return doi_engine, catalogue_engine


@contextmanager
def _demo_services(
    folder: Path,
    latency_ms: int,
    site_port: int,
    doi_engine: sa.Engine,
    catalogue_engine: sa.Engine,
) -> Iterator[tuple[Any, Any]]:
    """The bundled emulator with the demo repository (its DOIs kept in the data folder) and
    the sample landing site, with the environment pointed at both (credentials already set in
    the environment win)."""
    from heratio_doi_pipelines.devtools.emulator import EmulatorConfig, running_emulator
    from heratio_doi_pipelines.devtools.landing_site import running_landing_site

    config = EmulatorConfig(
        prefix=DEMO_PREFIX,
        repository_id=DEMO_REPOSITORY_ID,
        password=DEMO_PASSWORD,
        latency_ms=latency_ms,
        state_file=str(folder / "emulator_state.json"),
    )
    with (
        running_emulator(config) as emulator,
        running_landing_site(
            doi_engine, catalogue_engine, port=site_port, slow_seconds=DEMO_SLOW_SECONDS
        ) as site,
    ):
        click.echo(f"DataCite emulator on {emulator.url} (repository {DEMO_REPOSITORY_ID})")
        click.echo(f"sample landing site (the catalogue's public pages) on {site.url}")
        os.environ.update(
            HERATIO_BASE_URL=site.url,
            DOI_RESOLVER_URL=emulator.url,
            DATACITE_URL=emulator.url,
            DATACITE_REPOSITORY_ID=os.environ.get("DATACITE_REPOSITORY_ID", DEMO_REPOSITORY_ID),
            DATACITE_PASSWORD=os.environ.get("DATACITE_PASSWORD", DEMO_PASSWORD),
            DATACITE_PREFIX=os.environ.get("DATACITE_PREFIX", DEMO_PREFIX),
        )
        yield emulator, site


def _command(name: str) -> str:
    """How to call one of this environment's commands from here: its bare name when that
    is what PATH finds, else its path (``.venv/bin/heratio-doi`` in a checkout)."""
    beside = Path(sys.executable).parent / name
    if not beside.exists() or shutil.which(name) == str(beside):
        return name
    try:
        return str(beside.relative_to(Path.cwd()))
    except ValueError:
        return str(beside)


def _break_some_pages(doi_engine: sa.Engine, site: Any, emulator: Any) -> dict[str, str]:
    """Break one page of each kind, and point one handle elsewhere; DOI -> expected problem."""
    from urllib.parse import urlsplit

    from heratio_doi_pipelines.store.tables import ahg_doi

    with doi_engine.connect() as conn:
        rows = conn.execute(
            sa.select(ahg_doi.c.doi, ahg_doi.c.url)
            .where(ahg_doi.c.status == "findable", ahg_doi.c.url.is_not(None))
            .order_by(ahg_doi.c.id)
            .limit(len(DEMO_BREAKAGES) + 1)
        ).all()
    expected: dict[str, str] = {}
    for (doi, url), (kind, problem) in zip(rows, DEMO_BREAKAGES.items(), strict=False):
        site.site.break_page(urlsplit(url).path, kind)
        expected[doi] = problem
    if len(rows) > len(DEMO_BREAKAGES):
        doi = rows[len(DEMO_BREAKAGES)][0]
        emulator.set_handle_target(doi, WRONG_HANDLE_TARGET)
        expected[doi] = "resolves_elsewhere"
    return expected


def _check_landing_pages(doi_engine: sa.Engine, catalogue_engine: sa.Engine, folder: Path) -> Any:
    from heratio_doi_pipelines.datacite_access import deployment_overrides
    from heratio_doi_pipelines.linkcheck import run_linkcheck
    from heratio_doi_pipelines.paths import reports_dir

    click.echo("checking every DOI's resolution and landing page...")
    return run_linkcheck(
        doi_engine,
        catalogue_engine,
        deployment_overrides(DEMO_LINKCHECK),
        out_dir=reports_dir(),
    )


def _print_health(report: Any, expected: dict[str, str]) -> bool:
    """The health report's problems beside the broken pages; whether they are the same."""
    problems = report.problems
    found = {check.doi: check.problem for check in problems}
    click.echo(f"landing pages: {report.summary()}")
    for check in problems[:SHOWN_PROBLEMS]:
        click.echo(f"  {check.problem:20} {check.doi}  {(check.detail or '')[:140]}")
    if report.problem_count > SHOWN_PROBLEMS:
        click.echo(f"  ... {report.problem_count - SHOWN_PROBLEMS} more in the CSV")
    missed = sorted(doi for doi, problem in expected.items() if found.get(doi) != problem)
    extra = report.problem_count - sum(1 for doi in found if doi in expected)
    if not missed and extra == 0:
        click.echo(f"the health report found exactly the {len(expected)} broken page(s)")
    else:
        click.echo(
            f"the health report does not match the {len(expected)} broken page(s): "
            f"{len(missed)} not reported as expected, {extra} other DOI(s) with problems "
            "(were these DOIs registered at another base URL or --site-port?)"
        )
    click.echo(f"landing-page report:        {report.csv_path}")
    return not missed and extra == 0


def _dagster_home(folder: Path) -> Path:
    """The checkout's own instance (its dagster.yaml keeps history under data/dagster_home),
    else a persistent one in the data folder, so the runs show up in ``dg dev``."""
    if os.environ.get("DAGSTER_HOME"):
        return Path(os.environ["DAGSTER_HOME"])
    home = Path.cwd() if (Path.cwd() / "dagster.yaml").exists() else folder / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def _has_records(engine: sa.Engine) -> bool:
    inspector = sa.inspect(engine)
    if not inspector.has_table("information_object"):
        return False
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT COUNT(*) FROM information_object WHERE id <> 1"))
        return bool(count.scalar_one())


def _run_job(name: str, partition_key: str | None = None) -> tuple[bool, str]:
    """Run one job of the code location on the demo's persistent instance."""
    import dagster as dg

    from heratio_doi_pipelines.definitions import defs

    job = defs().resolve_job_def(name)
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            partition_key=partition_key,
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        )
    return result.success, result.run_id
