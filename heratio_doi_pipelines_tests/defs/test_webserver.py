"""The code location as an operator sees it: dagster-webserver on loopback, checked through
its GraphQL API, and a mint run launched through it against the emulator."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from dagster_graphql import DagsterGraphQLClient

from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.devtools.emulator import EmulatorConfig, EmulatorHandle, running_emulator
from heratio_doi_pipelines.devtools.sample_archive import generate_sample_archive
from heratio_doi_pipelines.store.schema import init_database

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "webserver-secret-pw"

INVENTORY = """
query {
  workspaceOrError {
    ... on Workspace {
      locationEntries {
        name
        locationOrLoadError {
          ... on RepositoryLocation {
            repositories {
              name
              jobs { name }
              schedules { name }
              sensors { name }
              assetNodes { assetKey { path } }
            }
          }
          ... on PythonError { message }
        }
      }
    }
  }
}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def emulator() -> Iterator[EmulatorHandle]:
    with running_emulator(EmulatorConfig(repository_id="HERATIO.WEB", password=PASSWORD)) as em:
        yield em


@pytest.fixture
def webserver(tmp_path: Path, emulator: EmulatorHandle) -> Iterator[tuple[str, int]]:
    db_url = f"sqlite:///{tmp_path / 'site.db'}"
    engine = make_engine(db_url)
    init_database(engine)
    generate_sample_archive(engine, records=25, seed=8)
    engine.dispose()
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        "run_coordinator:\n"
        "  module: dagster._core.run_coordinator\n"
        "  class: DefaultRunCoordinator\n"
        "telemetry:\n  enabled: false\n"
    )
    env = dict(os.environ)
    env.update(
        DAGSTER_HOME=str(home),
        HERATIO_DOI_DB_URL=db_url,
        HERATIO_DOI_DATA_DIR=str(tmp_path / "data"),
        DATACITE_URL=emulator.url,
        DATACITE_REPOSITORY_ID="HERATIO.WEB",
        DATACITE_PASSWORD=PASSWORD,
        HERATIO_BASE_URL="https://archive.example.org",
    )
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dagster_webserver",
            "-w",
            str(ROOT / "workspace.yaml"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/server_info", timeout=2).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.5)
        else:
            raise AssertionError("dagster-webserver did not start")
        yield "127.0.0.1", port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_every_definition_is_served_and_a_mint_run_succeeds(
    webserver: tuple[str, int], emulator: EmulatorHandle
) -> None:
    host, port = webserver
    answer = requests.post(
        f"http://{host}:{port}/graphql", json={"query": INVENTORY}, timeout=60
    ).json()
    entries = answer["data"]["workspaceOrError"]["locationEntries"]
    assert [e["name"] for e in entries] == ["heratio_doi_pipelines"]
    repo = entries[0]["locationOrLoadError"]["repositories"][0]
    jobs = {j["name"] for j in repo["jobs"]}
    assets = {"/".join(a["assetKey"]["path"]) for a in repo["assetNodes"]}
    assert {"mint_job", "update_job", "verify_job", "deactivate_job", "sync_job"} <= jobs
    assert {"pending_queue_sensor", "auto_mint_sensor"} <= {s["name"] for s in repo["sensors"]}
    assert {"sync_job_schedule", "verify_job_schedule"} <= {s["name"] for s in repo["schedules"]}
    assert {
        "pending_records",
        "doi_metadata_payloads",
        "minted_dois",
        "metadata_preflight_report",
    } <= assets

    client = DagsterGraphQLClient(host, port_number=port)
    run_id = client.submit_job_execution(
        "mint_job",
        run_config={"ops": {"pending_records": {"config": {"all_without_doi": True}}}},
    )
    deadline = time.monotonic() + 180
    status = None
    while time.monotonic() < deadline:
        status = client.get_run_status(run_id).value
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        time.sleep(1)
    assert status == "SUCCESS"
    assert emulator.stats()["dois_by_state"].get("findable", 0) >= 15


LAUNCH = """
mutation($executionParams: ExecutionParams!) {
  launchPipelineExecution(executionParams: $executionParams) {
    __typename
    ... on RunConfigValidationInvalid { errors { message } }
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
  }
}
"""

DEFAULT_CONFIG = """
query {
  runConfigSchemaOrError(selector: {
    repositoryLocationName: "heratio_doi_pipelines", repositoryName: "__repository__",
    pipelineName: "mint_job"
  }) {
    ... on RunConfigSchema { rootDefaultYaml }
  }
}
"""

RUN_COUNT = "query { runsOrError { ... on Runs { count } } }"


def test_a_typed_secret_is_refused_at_launch_and_never_stored(
    webserver: tuple[str, int], tmp_path: Path
) -> None:
    host, port = webserver
    url = f"http://{host}:{port}/graphql"
    typed = "typed-in-the-launchpad-S3cret"

    def graphql(query: str, variables: dict | None = None) -> dict:
        return requests.post(url, json={"query": query, "variables": variables}, timeout=60).json()

    default_yaml = graphql(DEFAULT_CONFIG)["data"]["runConfigSchemaOrError"]["rootDefaultYaml"]
    # the launchpad's scaffold names the variables and holds no secret value
    assert "env: DATACITE_PASSWORD" in default_yaml and "env: SMTP_PASSWORD" in default_yaml
    assert "password: ''" not in default_yaml and PASSWORD not in default_yaml

    for secret in ("password", "smtp_password"):
        answer = graphql(
            LAUNCH,
            {
                "executionParams": {
                    "selector": {
                        "repositoryLocationName": "heratio_doi_pipelines",
                        "repositoryName": "__repository__",
                        "pipelineName": "mint_job",
                    },
                    "runConfigData": {"resources": {"datacite": {"config": {secret: typed}}}},
                }
            },
        )["data"]["launchPipelineExecution"]
        assert answer["__typename"] == "RunConfigValidationInvalid", answer
        (error,) = answer["errors"]
        variable = "DATACITE_PASSWORD" if secret == "password" else "SMTP_PASSWORD"
        assert f"config:{secret} must be dict" in error["message"]
        assert variable in error["message"] and typed not in error["message"]

    assert graphql(RUN_COUNT)["data"]["runsOrError"]["count"] == 0
    stored = [p for p in (tmp_path / "dagster_home").rglob("*") if p.is_file()]
    assert stored  # the instance exists (its storage was written)
    for path in stored:
        assert typed.encode() not in path.read_bytes(), path
