"""``heratio-doi demo`` as a newcomer runs it: twice in a row, then after editing a record."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from heratio_doi_pipelines.catalogue import atom_tables
from heratio_doi_pipelines.cli import main
from heratio_doi_pipelines.clock import utcnow
from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.store.tables import ahg_doi_queue
from heratio_doi_pipelines_tests.notify.conftest import free_port

REPORT_ASSETS = ("doi_dashboard", "doi_queue_status", "monthly_doi_report", "repository_doi_report")


@pytest.fixture
def demo_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> sa.Engine:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    url = f"sqlite:///{tmp_path / 'data' / 'heratio.db'}"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("HERATIO_DOI_DB_URL", url)
    (tmp_path / "data").mkdir(exist_ok=True)
    engine = make_engine(url)
    yield engine
    engine.dispose()


SITE_PORT = free_port()  # one port for every run: the DOIs keep the landing site's URLs


def _demo(exit_code: int = 0) -> str:
    args = ["demo", "--records", "40", "--latency-ms", "0", "--site-port", str(SITE_PORT)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == exit_code, result.output
    return result.output


def _failed_items(engine: sa.Engine) -> list[int]:
    with engine.connect() as conn:
        return sorted(
            conn.execute(
                sa.select(ahg_doi_queue.c.information_object_id).where(
                    ahg_doi_queue.c.status == "failed"
                )
            ).scalars()
        )


def test_the_demo_can_be_rerun_and_leaves_every_report_materialised(
    demo_site: sa.Engine,
) -> None:
    first = _demo()
    failed = _failed_items(demo_site)
    assert failed  # the sample archive's catalogue drafts are refused, each with its reason
    assert f"queue: {len(failed)} failed item(s)" in first
    assert "failed DOIs" in first and "queue items failed" in first

    second = _demo()
    assert _failed_items(demo_site) == failed  # the same refusals, not a second copy of each
    assert "queued 0 record(s) for mint" in second
    assert f"{len(failed)} left out: their last mint failed" in second

    with dg.DagsterInstance.get() as instance:
        for asset in REPORT_ASSETS:
            assert instance.get_latest_materialization_event(dg.AssetKey(asset)), asset

    [hint] = re.findall(r"next: `([^`]+) status`", second)
    assert shutil.which(hint) or Path(hint).exists()

    # an edited record is worth another try
    edited = failed[0]
    with demo_site.begin() as conn:
        conn.execute(
            atom_tables.object_.update()
            .where(atom_tables.object_.c.id == edited)
            .values(updated_at=utcnow() + timedelta(minutes=5))
        )
    # ... and still a draft: the one item fails again, so this time the run fails, and says so
    third = _demo(exit_code=1)
    assert "queued 1 record(s) for mint" in third
    assert f"{len(failed) - 1} left out" in third
    assert f"1 item(s) failed and none succeeded: record {edited}: invalid metadata" in third
    assert "mint_job run " in third and ": FAILED" in third
