"""The code location as an operator sees it: dagster-webserver on loopback, checked through
its GraphQL API: runs launched through it against the emulator, launchpad input refused
before a run exists, and run status, checks and report metadata as the UI shows them.

One webserver serves the whole module (starting one costs many seconds here)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from base64 import b64decode
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from dagster_graphql import DagsterGraphQLClient

from heratio_doi_pipelines.clock import utcnow
from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.devtools.emulator import EmulatorConfig, EmulatorHandle, running_emulator
from heratio_doi_pipelines.devtools.sample_archive import generate_sample_archive
from heratio_doi_pipelines.store.schema import init_database
from heratio_doi_pipelines.store.tables import ahg_doi_queue

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


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorHandle]:
    with running_emulator(EmulatorConfig(repository_id="HERATIO.WEB", password=PASSWORD)) as em:
        yield em


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("site")
    engine = make_engine(f"sqlite:///{folder / 'site.db'}")
    init_database(engine)
    generate_sample_archive(engine, records=25, seed=8)
    engine.dispose()
    return folder


@pytest.fixture(scope="module")
def webserver(site: Path, emulator: EmulatorHandle) -> Iterator[tuple[str, int]]:
    db_url = f"sqlite:///{site / 'site.db'}"
    home = site / "dagster_home"
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
        HERATIO_DOI_DATA_DIR=str(site / "data"),
        HERATIO_DOI_REPORTS_DIR=str(site / "data" / "reports"),
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


LAUNCH_RUN = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on PythonError { message causes { message } }
  }
}
"""

RUNS = """
query Runs($job: String!) {
  runsOrError(filter: {pipelineName: $job}) { ... on Runs { results { runId status } } }
}
"""

RUN_FAILURE = """
query Failure($runId: ID!) {
  logsForRun(runId: $runId) {
    ... on EventConnection {
      events {
        __typename
        ... on ExecutionStepFailureEvent { stepKey failureMetadata { description } }
      }
    }
  }
}
"""

CHECK = """
query Check($asset: [String!]!, $check: String!) {
  assetCheckExecutions(assetKey: {path: $asset}, checkName: $check, limit: 1) {
    runId
    evaluation {
      success
      severity
      description
      metadataEntries { label ... on PathMetadataEntry { path } }
    }
  }
}
"""

MATERIALIZATION = """
query Latest($asset: [String!]!) {
  assetNodeOrError(assetKey: {path: $asset}) {
    ... on AssetNode {
      assetMaterializations(limit: 1) {
        metadataEntries { label ... on MarkdownMetadataEntry { mdStr } }
      }
    }
  }
}
"""


def _graphql(server: tuple[str, int], query: str, **variables: Any) -> dict[str, Any]:
    host, port = server
    answer = requests.post(
        f"http://{host}:{port}/graphql",
        json={"query": query, "variables": variables},
        timeout=120,
    ).json()
    assert "errors" not in answer, answer
    return dict(answer["data"])


def _launch(
    server: tuple[str, int], job: str, run_config: dict[str, Any], **tags: str
) -> dict[str, Any]:
    params = {
        "selector": {
            "repositoryLocationName": "heratio_doi_pipelines",
            "repositoryName": "__repository__",
            "jobName": job,
        },
        "runConfigData": run_config,
        "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in tags.items()]},
    }
    return dict(_graphql(server, LAUNCH_RUN, params=params)["launchRun"])


def _run_ids(server: tuple[str, int], job: str) -> list[str]:
    return [r["runId"] for r in _graphql(server, RUNS, job=job)["runsOrError"]["results"]]


def _finished(server: tuple[str, int], run_id: str) -> str:
    client = DagsterGraphQLClient(server[0], port_number=server[1])
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        status = client.get_run_status(run_id).value
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            return str(status)
        time.sleep(1)
    raise AssertionError(f"run {run_id} did not finish")


def _batch(**config: Any) -> dict[str, Any]:
    return {"ops": {"pending_records": {"config": config}}}


def _queued(site: Path, record_ids: list[int]) -> int:
    engine = make_engine(f"sqlite:///{site / 'site.db'}")
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count())
                    .select_from(ahg_doi_queue)
                    .where(ahg_doi_queue.c.information_object_id.in_(record_ids))
                ).scalar_one()
            )
    finally:
        engine.dispose()


def test_every_definition_is_served_and_a_partly_failing_batch_fails_its_check(
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
    [check] = _graphql(webserver, CHECK, asset=["minted_dois"], check="no_failed_items")[
        "assetCheckExecutions"
    ]
    assert check["runId"] == run_id
    evaluation = check["evaluation"]
    # the sample archive's catalogue drafts are refused: the run is green, the check is not
    assert not evaluation["success"] and evaluation["severity"] == "ERROR"
    assert "item(s) failed: record " in evaluation["description"]
    [csv] = [e["path"] for e in evaluation["metadataEntries"] if e["label"] == "open_items_csv"]
    assert Path(csv).name == "doi_queue_open_items.csv" and Path(csv).exists()


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
    webserver: tuple[str, int], site: Path
) -> None:
    host, port = webserver
    url = f"http://{host}:{port}/graphql"
    typed = "typed-in-the-launchpad-S3cret"

    def graphql(query: str, variables: dict | None = None) -> dict:
        return requests.post(url, json={"query": query, "variables": variables}, timeout=60).json()

    runs_before = graphql(RUN_COUNT)["data"]["runsOrError"]["count"]
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

    assert graphql(RUN_COUNT)["data"]["runsOrError"]["count"] == runs_before
    stored = [p for p in (site / "dagster_home").rglob("*") if p.is_file()]
    assert stored  # the instance exists (its storage was written)
    for path in stored:
        assert typed.encode() not in path.read_bytes(), path


def test_a_bogus_target_state_is_refused_before_a_run_exists(
    webserver: tuple[str, int], site: Path
) -> None:
    before = _run_ids(webserver, "mint_job")
    answer = _launch(webserver, "mint_job", _batch(record_ids=[2], target_state="bogus"))
    assert answer["__typename"] == "RunConfigValidationInvalid"
    assert any("TargetState" in e["message"] for e in answer["errors"])
    assert _run_ids(webserver, "mint_job") == before


def _step_failure(server: tuple[str, int], run_id: str) -> tuple[str, str]:
    events = _graphql(server, RUN_FAILURE, runId=run_id)["logsForRun"]["events"]
    [failure] = [e for e in events if e["__typename"] == "ExecutionStepFailureEvent"]
    return failure["stepKey"], failure["failureMetadata"]["description"]


def test_more_than_100_record_ids_are_refused_before_anything_is_queued(
    webserver: tuple[str, int], site: Path
) -> None:
    ids = list(range(2, 103))
    queued_before = _queued(site, ids)
    answer = _launch(webserver, "mint_job", _batch(record_ids=ids))
    assert answer["__typename"] == "LaunchRunSuccess"
    run_id = answer["run"]["runId"]
    assert _finished(webserver, run_id) == "FAILURE"
    step, description = _step_failure(webserver, run_id)
    assert step == "pending_records"
    assert description.startswith("record_ids: at most 100 records per batch, got 101")
    assert _queued(site, ids) == queued_before


def test_a_run_of_unknown_record_ids_fails_and_names_them(
    webserver: tuple[str, int], site: Path
) -> None:
    answer = _launch(webserver, "mint_job", _batch(record_ids=[999999, 999998]))
    assert answer["__typename"] == "LaunchRunSuccess"
    run_id = answer["run"]["runId"]
    assert _finished(webserver, run_id) == "FAILURE"
    step, description = _step_failure(webserver, run_id)
    assert step == "pending_records"
    assert "2 record id(s) are not descriptions in the catalogue: 999999, 999998" in description
    assert "nothing was queued" in description
    assert _queued(site, [999999, 999998]) == 0


def test_the_monthly_chart_is_on_the_asset_page(webserver: tuple[str, int]) -> None:
    month = utcnow().date().replace(day=1).isoformat()
    answer = _launch(webserver, "report_job", {}, **{"dagster/partition": month})
    assert answer["__typename"] == "LaunchRunSuccess", answer
    assert _finished(webserver, answer["run"]["runId"]) == "SUCCESS"
    node = _graphql(webserver, MATERIALIZATION, asset=["monthly_doi_report"])["assetNodeOrError"]
    [latest] = node["assetMaterializations"]
    [chart] = [e["mdStr"] for e in latest["metadataEntries"] if e["label"] == "chart"]
    prefix = "![DOIs per month](data:image/png;base64,"
    assert chart.startswith(prefix) and chart.endswith(")")
    assert b64decode(chart[len(prefix) : -1]).startswith(b"\x89PNG\r\n")
