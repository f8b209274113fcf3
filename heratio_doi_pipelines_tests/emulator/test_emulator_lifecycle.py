"""Counters, persistence, configuration and the ``heratio-doi emulator`` command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from heratio_doi_pipelines.devtools.emulator import (
    EmulatorConfig,
    Fault,
    parse_rate_limit,
    running_emulator,
)

AUTH = ("HERATIO.DEMO", "demo-password")
TOKEN = {"Authorization": "Bearer demo-token"}


def test_stats_count_requests_states_and_creations(emulator, api, body, metadata):
    api.put(f"{emulator.url}/dois/10.5072/s-1", json=body())
    api.put(f"{emulator.url}/dois/10.5072/s-2", json=body(event="publish", **metadata()))
    api.put(f"{emulator.url}/dois/10.5072/s-2", json=body(event="hide"))
    api.get(f"{emulator.url}/dois/10.5072/none")
    api.post(f"{emulator.url}/dois", json=body(doi="10.5072/s-1"))

    stats = requests.get(f"{emulator.url}/_emulator/stats").json()
    assert stats == emulator.stats()
    assert stats["requests"] == {"PUT": {"201": 2, "200": 1}, "GET": {"404": 1}, "POST": {"422": 1}}
    assert stats["requests_by_status"] == {"201": 2, "200": 1, "404": 1, "422": 1}
    assert stats["dois_by_state"] == {"draft": 1, "registered": 1}
    assert stats["dois_created"] == 2
    assert stats["total_requests"] == 5
    assert stats["max_requests_in_window_by_route"] == {"dois": 5}
    assert set(stats) >= {"events", "reports", "max_requests_in_window", "faults_injected"}


def test_state_file_survives_a_restart(tmp_path, body, metadata):
    state_file = tmp_path / "emulator.json"
    config = EmulatorConfig(state_file=state_file)
    with running_emulator(config) as first, requests.Session() as api:
        api.auth = AUTH
        api.put(f"{first.url}/dois/10.5072/kept", json=body(event="publish", **metadata()))
        api.put(f"{first.url}/dois/10.5072/gone", json=body())
        api.delete(f"{first.url}/dois/10.5072/gone")
        api.put(f"{first.url}/dois/10.5072/gone", json=body())
        requests.put(
            f"{first.url}/events/{'0' * 8}-0000-4000-8000-{'0' * 12}",
            json={
                "data": {
                    "attributes": {"subj-id": "s", "source-id": "x", "source-token": "t"},
                }
            },
            headers=TOKEN,
        )
    saved = json.loads(state_file.read_text())
    assert {d["doi"] for d in saved["dois"]} == {"10.5072/KEPT", "10.5072/GONE"}

    with running_emulator(config) as second, requests.Session() as api:
        api.auth = AUTH
        shown = api.get(f"{second.url}/dois/10.5072/kept").json()["data"]["attributes"]
        assert shown["state"] == "findable"
        assert shown["url"] == metadata()["url"]
        assert second.state.doi("10.5072/gone").created_count == 2
        assert len(second.state.events) == 1
        # New DOIs keep listing after the restored ones.
        api.put(f"{second.url}/dois/10.5072/new", json=body())
        listed = [d["id"] for d in api.get(f"{second.url}/dois").json()["data"]]
        assert listed[-1] == "10.5072/new"


def test_configuration_is_checked():
    assert parse_rate_limit("3000/300") == (3000, 300.0)
    assert parse_rate_limit(" 10 / 1s ") == (10, 1.0)
    for bad in ("fast", "0/10", "10/0", "10"):
        with pytest.raises(ValueError):
            parse_rate_limit(bad)
    with pytest.raises(ValueError):
        EmulatorConfig(prefix=[])
    with pytest.raises(ValueError):
        EmulatorConfig(report_mode="later")
    with pytest.raises(ValueError):
        Fault("418")
    assert EmulatorConfig(prefix=["10.5072", "10.1234"]).prefixes == ("10.5072", "10.1234")
    assert "demo-password" not in repr(EmulatorConfig())


def test_start_up_faults_and_rate_limit_from_the_config(body):
    config = EmulatorConfig(fault_script=[Fault("503")], rate_limit=(2, 60))
    with running_emulator(config) as handle:
        statuses = [requests.get(f"{handle.url}/heartbeat").status_code for _ in range(3)]
        assert statuses == [503, 200, 429]


def test_command_line_emulator(tmp_path):
    script = Path(sys.executable).with_name("heratio-doi")
    command = (
        [str(script)] if script.exists() else [sys.executable, "-m", "heratio_doi_pipelines.cli"]
    )
    process = subprocess.Popen(
        [
            *command,
            "emulator",
            "--port",
            "0",
            "--prefix",
            "10.5072",
            "--prefix",
            "10.9999",
            "--rate-limit",
            "100/1",
            "--state-file",
            str(tmp_path / "state.json"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "HERATIO_EMULATOR_PASSWORD": "from-env"},
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert "listening on http://127.0.0.1:" in banner
        url = banner.split("listening on ", 1)[1].split()[0]
        response = None
        for _ in range(200):
            try:
                response = requests.get(f"{url}/heartbeat", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        assert response is not None and response.status_code == 200
        created = requests.put(
            f"{url}/dois/10.9999/cli",
            json={"data": {"attributes": {}}},
            auth=("HERATIO.DEMO", "from-env"),
            timeout=5,
        )
        assert created.status_code == 201
        assert requests.get(f"{url}/_emulator/stats", timeout=5).json()["rate_limit"] == [100, 1]
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=15)
    assert process.returncode == 0, stderr
    assert "10.9999/CLI" in (tmp_path / "state.json").read_text()
