"""``heratio-doi ui`` (what ``scripts/ui.sh`` runs) as the README tells a newcomer: one command,
then a mint run launched from the UI reaches the bundled emulator."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from dagster_graphql import DagsterGraphQLClient

from heratio_doi_pipelines_tests.notify.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
FINISHED = ("SUCCESS", "FAILURE", "CANCELED")


def _wait_for(url: str, proc: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, "heratio-doi ui exited early"
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(1)
    raise AssertionError(f"{url} did not answer")


def test_one_command_starts_the_ui_with_the_emulator(tmp_path: Path) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATACITE_", "HERATIO_"))},
        "DAGSTER_HOME": str(home),
        "HERATIO_DOI_DATA_DIR": str(tmp_path / "data"),
    }
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "heratio_doi_pipelines.cli", "ui", "--port", str(port)]
        + ["--records", "20", "--latency-ms", "0", "--site-port", str(free_port())],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/server_info", proc, 240)
        client = DagsterGraphQLClient("127.0.0.1", port_number=port)
        run_id = client.submit_job_execution(
            "mint_job",
            run_config={"ops": {"pending_records": {"config": {"all_without_doi": True}}}},
        )
        deadline = time.monotonic() + 240
        status = None
        while time.monotonic() < deadline and status not in FINISHED:
            time.sleep(2)
            status = client.get_run_status(run_id).value
        assert status == "SUCCESS"
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: stops dg dev and the emulator
        try:
            output = proc.communicate(timeout=60)[0].decode()
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            output = proc.communicate()[0].decode()
    assert "DataCite emulator on http://127.0.0.1:" in output
    assert f"the UI at http://127.0.0.1:{port}" in output
    assert "SupersessionWarning" not in output
    state = (tmp_path / "data" / "emulator_state.json").read_text()
    assert '"findable"' in state  # the run minted at the emulator the command started
