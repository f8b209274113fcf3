"""``heratio-doi demo``: the whole pipeline on the embedded default, with nothing to set up.

Creates the tables in the SQLite file under the data folder, writes a sample archive when
the catalogue is empty, starts the bundled DataCite emulator on loopback, runs ``mint_job``
on a persistent Dagster instance (so the run shows up in ``dagster dev`` afterwards), stops
the emulator and prints what was minted and where everything is.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
import sqlalchemy as sa

from heratio_doi_pipelines.db import cached_engine, catalogue_db_url, doi_db_url
from heratio_doi_pipelines.paths import data_dir

DEMO_REPOSITORY_ID = "HERATIO.DEMO"
DEMO_PASSWORD = "demo-password"
DEMO_PREFIX = "10.5072"


@click.command("demo")
@click.option("--records", type=int, default=150, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--latency-ms", type=int, default=20, show_default=True)
def demo_command(records: int, seed: int, latency_ms: int) -> None:
    """Mint a sample archive's DOIs end to end against the local DataCite emulator."""
    from heratio_doi_pipelines.devtools.emulator import EmulatorConfig, running_emulator
    from heratio_doi_pipelines.devtools.sample_archive import generate_sample_archive
    from heratio_doi_pipelines.queue.enqueue import enqueue_mint_batch
    from heratio_doi_pipelines.reports.dashboard import dashboard_counts
    from heratio_doi_pipelines.reports.queue_status import queue_counts
    from heratio_doi_pipelines.store.schema import init_database

    folder = data_dir()
    doi_engine = cached_engine(doi_db_url())
    catalogue_engine = cached_engine(catalogue_db_url())
    init_database(doi_engine)
    if not _has_records(catalogue_engine):
        summary = generate_sample_archive(catalogue_engine, records=records, seed=seed)
        click.echo(f"sample archive: {summary}")
    queued = enqueue_mint_batch(doi_engine, catalogue_engine, all_without_doi=True, cap=10**9)
    click.echo(f"queued {queued.count} record(s) without a DOI for minting")

    dagster_home = _dagster_home(folder)
    config = EmulatorConfig(
        prefix=DEMO_PREFIX,
        repository_id=DEMO_REPOSITORY_ID,
        password=DEMO_PASSWORD,
        latency_ms=latency_ms,
        state_file=str(folder / "emulator_state.json"),
    )
    with running_emulator(config) as emulator:
        click.echo(f"DataCite emulator on {emulator.url}")
        os.environ.update(
            DATACITE_URL=emulator.url,
            DATACITE_REPOSITORY_ID=os.environ.get("DATACITE_REPOSITORY_ID", DEMO_REPOSITORY_ID),
            DATACITE_PASSWORD=os.environ.get("DATACITE_PASSWORD", DEMO_PASSWORD),
            DATACITE_PREFIX=os.environ.get("DATACITE_PREFIX", DEMO_PREFIX),
        )
        success, run_id = _run_mint_job()
        stats = emulator.stats()
    counts = dashboard_counts(doi_engine)
    click.echo("")
    click.echo(f"mint_job run {run_id}: {'succeeded' if success else 'FAILED'}")
    click.echo(
        "DOIs: "
        + ", ".join(f"{name} {value}" for name, value in counts.items())
        + f"; the emulator now holds {sum(stats.get('dois_by_state', {}).values())} DOI(s)"
    )
    queue = queue_counts(doi_engine)
    if queue.get("failed"):
        click.echo(
            f"queue: {queue['failed']} item(s) refused with a reason (e.g. catalogue drafts, "
            "invalid metadata): `heratio-doi queue --status failed`"
        )
    click.echo(f"catalogue and ahg_* tables: {doi_db_url()}")
    click.echo(
        f"Dagster instance:           {dagster_home} "
        f"(DAGSTER_HOME={dagster_home} dagster dev -w workspace.yaml)"
    )
    click.echo(f"emulator state:             {folder / 'emulator_state.json'}")
    click.echo("next: `heratio-doi status`, `heratio-doi browse`, `heratio-doi report`")
    if not success:
        raise SystemExit(1)


def _dagster_home(folder: Path) -> Path:
    """The checkout's own instance (its dagster.yaml keeps history under data/dagster_home),
    else a persistent one in the data folder, so the run shows up in ``dagster dev``."""
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


def _run_mint_job() -> tuple[bool, str]:
    import dagster as dg

    from heratio_doi_pipelines.definitions import defs

    job = defs().resolve_job_def("mint_job")
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        )
    return result.success, result.run_id
