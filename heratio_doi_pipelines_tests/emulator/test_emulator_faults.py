"""Latency, injected faults and DataCite's rate limit, as a client meets them over HTTP."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from heratio_doi_pipelines.devtools.emulator import Fault, RemoteEmulator

PUT_ONLY = frozenset({"PUT"})


def test_latency_delays_every_answer_and_requests_overlap(emulator, api, body):
    emulator.set_latency(250)
    started = time.monotonic()
    assert api.put(f"{emulator.url}/dois/10.5072/slowpoke", json=body()).status_code == 201
    assert time.monotonic() - started >= 0.25

    barrier = threading.Barrier(8)

    def one(n: int) -> int:
        with requests.Session() as session:
            session.auth = api.auth
            barrier.wait()
            return session.get(f"{emulator.url}/dois/10.5072/slowpoke").status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(one, range(8))) == {200}
    # The server held several requests at once: latency is an async sleep, not a queue.
    assert emulator.stats()["max_in_flight"] >= 2


@pytest.mark.parametrize("kind", ["500", "502", "503"])
def test_server_errors_then_recovery(emulator, api, body, kind):
    emulator.set_faults(script=[Fault(kind, methods=PUT_ONLY)])
    failed = api.put(f"{emulator.url}/dois/10.5072/flaky", json=body())
    assert failed.status_code == int(kind)
    assert emulator.state.doi("10.5072/flaky") is None  # the write did not happen
    recovered = api.put(f"{emulator.url}/dois/10.5072/flaky", json=body())
    assert recovered.status_code == 201
    stats = emulator.stats()
    assert stats["faults_injected"] == {kind: 1}
    assert stats["requests"]["PUT"] == {kind: 1, "201": 1}


def test_bad_gateway_pages_are_html_like_a_load_balancer(emulator, api, body):
    emulator.set_faults(script=[Fault("502")])
    response = api.get(f"{emulator.url}/dois/10.5072/any")
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")


def test_apply_before_fault_means_the_change_landed_but_the_answer_was_lost(emulator, api, body):
    emulator.set_faults(script=[Fault("503", methods=PUT_ONLY, apply_before_fault=True)])
    assert api.put(f"{emulator.url}/dois/10.5072/landed", json=body()).status_code == 503
    assert emulator.state.doi("10.5072/landed") is not None
    retry = api.put(f"{emulator.url}/dois/10.5072/landed", json=body())
    assert retry.status_code == 200  # the retry is an update, not a second DOI
    assert emulator.stats()["dois_created"] == 1


@pytest.mark.parametrize("kind", ["drop", "reset"])
def test_dropped_connections_surface_as_connection_errors(emulator, api, body, kind):
    emulator.set_faults(script=[Fault(kind, methods=PUT_ONLY)])
    with pytest.raises(requests.ConnectionError):
        api.put(f"{emulator.url}/dois/10.5072/dropped", json=body())
    assert emulator.state.doi("10.5072/dropped") is None
    assert api.put(f"{emulator.url}/dois/10.5072/dropped", json=body()).status_code == 201
    assert emulator.stats()["requests"]["PUT"]["dropped"] == 1


def test_dropped_connection_after_the_write(emulator, api, body):
    emulator.set_faults(script=[Fault("drop", methods=PUT_ONLY, apply_before_fault=True)])
    with pytest.raises(requests.ConnectionError):
        api.put(f"{emulator.url}/dois/10.5072/ghost", json=body())
    assert emulator.state.doi("10.5072/ghost") is not None


def test_slow_answers_exceed_a_client_timeout(emulator, api, body):
    emulator.set_faults(
        script=[Fault("slow", methods=PUT_ONLY, delay_seconds=1.0, apply_before_fault=True)]
    )
    with pytest.raises(requests.Timeout):
        api.put(f"{emulator.url}/dois/10.5072/late", json=body(), timeout=0.2)
    assert emulator.state.doi("10.5072/late") is not None
    assert api.get(f"{emulator.url}/dois/10.5072/late", timeout=5).status_code == 200


def test_injected_429_with_and_without_retry_after(emulator, api):
    emulator.set_faults(script=[Fault("429", retry_after=7), Fault("429")])
    first = api.get(f"{emulator.url}/dois/10.5072/x")
    assert first.status_code == 429
    assert first.headers["Retry-After"] == "7"
    second = api.get(f"{emulator.url}/dois/10.5072/x")
    assert second.status_code == 429
    assert "Retry-After" not in second.headers
    assert emulator.stats()["requests_by_status"]["429"] == 2


def test_scripted_ok_entries_let_requests_through_in_order(emulator, api, body):
    emulator.set_faults(
        script=[Fault("ok", methods=PUT_ONLY), Fault("503", methods=PUT_ONLY), None],
    )
    statuses = []
    for n in range(4):
        statuses.append(api.put(f"{emulator.url}/dois/10.5072/seq-{n}", json=body()).status_code)
        # GETs do not match the PUT-only script and do not consume it.
        assert api.get(f"{emulator.url}/dois/10.5072/none").status_code == 404
    assert statuses == [201, 503, 201, 201]


def test_probability_rules_are_reproducible_and_targeted(emulator, api):
    def run() -> list[int]:
        emulator.set_faults(rules=[Fault("503", probability=0.5, path_prefix="/dois")], seed=11)
        return [api.get(f"{emulator.url}/dois/10.5072/p").status_code for _ in range(30)]

    first, second = run(), run()
    assert first == second
    assert {404, 503} == set(first)
    # Other paths are not targeted.
    assert api.get(f"{emulator.url}/heartbeat").status_code == 200


def test_method_targeting(emulator, api, body):
    emulator.set_faults(rules=[Fault("500", methods=PUT_ONLY)])
    assert api.get(f"{emulator.url}/dois/10.5072/m").status_code == 404
    assert api.put(f"{emulator.url}/dois/10.5072/m", json=body()).status_code == 500
    emulator.clear_faults()
    assert api.put(f"{emulator.url}/dois/10.5072/m", json=body()).status_code == 201


def test_rate_limit_answers_429_with_retry_after(emulator, api):
    emulator.set_rate_limit(5, 60)
    statuses = [api.get(f"{emulator.url}/heartbeat").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    rejected = api.get(f"{emulator.url}/heartbeat")
    assert rejected.status_code == 429
    assert 1 <= int(rejected.headers["Retry-After"]) <= 60
    # The control endpoints are not DataCite's and are never limited.
    stats = requests.get(f"{emulator.url}/_emulator/stats").json()
    assert stats["rate_limited"] == 2
    assert stats["requests_by_status"] == {"200": 5, "429": 2}
    assert stats["max_requests_in_window"] == 7
    assert stats["window_seconds"] == 60


def test_rate_limit_window_rolls_and_retry_after_is_optional(emulator, api):
    emulator.set_rate_limit(2, 1.0, retry_after=False)
    assert [api.get(f"{emulator.url}/heartbeat").status_code for _ in range(3)] == [200, 200, 429]
    assert "Retry-After" not in api.get(f"{emulator.url}/heartbeat").headers
    time.sleep(1.05)
    assert api.get(f"{emulator.url}/heartbeat").status_code == 200


def test_another_process_can_drive_faults_config_and_reset(emulator, api, body):
    remote = RemoteEmulator(emulator.url)
    try:
        remote.set_faults(script=[Fault("503", methods=PUT_ONLY, apply_before_fault=True)])
        settings = remote.configure(latency_ms=5, rate_limit="100/10")
        assert settings["rate_limit"] == [100, 10.0]
        assert settings["latency_ms"] == 5
        assert "password" not in settings

        assert api.put(f"{emulator.url}/dois/10.5072/r", json=body()).status_code == 503
        assert remote.dois() == {
            "10.5072/r": {"state": "draft", "url": None, "created_count": 1, "update_count": 0}
        }
        assert remote.stats()["faults_injected"] == {"503": 1}

        remote.reset(dois=False)
        assert remote.stats()["total_requests"] == 0
        assert emulator.state.doi("10.5072/r") is not None
        assert emulator.stats()["rate_limit"] is None  # settings back to start-up
        remote.reset()
        assert remote.dois() == {}
    finally:
        remote.close()


def test_control_endpoints_reject_bad_input(emulator):
    bad_fault = requests.post(f"{emulator.url}/_emulator/faults", json={"rules": ["418"]})
    assert bad_fault.status_code == 400
    bad_setting = requests.post(f"{emulator.url}/_emulator/config", json={"colour": "red"})
    assert bad_setting.status_code == 400
    bad_limit = requests.post(f"{emulator.url}/_emulator/config", json={"rate_limit": "fast"})
    assert bad_limit.status_code == 400
