"""The cap on requests in flight: never more than the limit, and a slot let go goes to the
next sender first (the thread that let go returns once a request has left)."""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Iterator

import pytest

from heratio_doi_pipelines.datacite import in_flight
from heratio_doi_pipelines.datacite.client import DataCiteClient
from heratio_doi_pipelines.datacite.errors import TransientError
from heratio_doi_pipelines.datacite.in_flight import InFlightSlots, request_written
from heratio_doi_pipelines.devtools.emulator import EmulatorConfig, EmulatorHandle, running_emulator

PASSWORD = "in-flight-test-password"
JOIN_S = 10.0  # generous: these bound a hang, they time nothing


def _in_thread(target: object) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)  # type: ignore[arg-type]
    thread.start()
    return thread


def test_never_more_holders_than_the_limit() -> None:
    slots = InFlightSlots(3, handover_wait_s=0.001)
    holding, peak, lock = [0], [0], threading.Lock()

    def sender() -> None:
        for _ in range(50):
            slots.acquire()
            with lock:
                holding[0] += 1
                peak[0] = max(peak[0], holding[0])
            request_written()
            time.sleep(0.0005)
            with lock:
                holding[0] -= 1
            slots.release()

    threads = [_in_thread(sender) for _ in range(8)]
    for thread in threads:
        thread.join(JOIN_S)
    assert not any(t.is_alive() for t in threads)
    assert peak[0] == 3
    assert holding[0] == 0


def test_letting_go_with_nobody_waiting_returns_at_once() -> None:
    slots = InFlightSlots(1, handover_wait_s=3600)
    slots.acquire()
    releaser = _in_thread(slots.release)
    releaser.join(JOIN_S)
    assert not releaser.is_alive()


def test_a_slot_let_go_to_a_waiting_sender_returns_once_its_request_left() -> None:
    slots = InFlightSlots(1, handover_wait_s=3600)
    slots.acquire()
    taken, write = threading.Event(), threading.Event()

    def sender() -> None:
        slots.acquire()
        taken.set()
        write.wait(JOIN_S)
        request_written()

    waiting = _in_thread(sender)
    while not slots._waiting:  # the sender waits for the slot
        time.sleep(0.001)
    releaser = _in_thread(slots.release)
    assert taken.wait(JOIN_S)
    releaser.join(0.2)
    assert releaser.is_alive(), "returned before the next request left"
    write.set()
    releaser.join(JOIN_S)
    waiting.join(JOIN_S)
    assert not releaser.is_alive() and not waiting.is_alive()


def test_a_sender_that_never_writes_holds_the_one_letting_go_only_for_the_cap() -> None:
    slots = InFlightSlots(1, handover_wait_s=0.05)
    slots.acquire()
    waiting = _in_thread(slots.acquire)
    while not slots._waiting:
        time.sleep(0.001)
    releaser = _in_thread(slots.release)
    releaser.join(JOIN_S)
    waiting.join(JOIN_S)
    assert not releaser.is_alive() and not waiting.is_alive()


def test_a_sender_that_gives_its_slot_back_unwritten_frees_the_one_letting_go() -> None:
    slots = InFlightSlots(1, handover_wait_s=3600)
    slots.acquire()
    taken, give_back = threading.Event(), threading.Event()

    def sender() -> None:
        slots.acquire()
        taken.set()
        give_back.wait(JOIN_S)
        slots.release()  # its request failed before it left

    waiting = _in_thread(sender)
    while not slots._waiting:
        time.sleep(0.001)
    releaser = _in_thread(slots.release)
    assert taken.wait(JOIN_S)
    releaser.join(0.2)
    assert releaser.is_alive()
    give_back.set()
    releaser.join(JOIN_S)
    waiting.join(JOIN_S)
    assert not releaser.is_alive() and not waiting.is_alive()
    assert slots._free == 1


def test_letting_go_of_more_slots_than_taken_is_an_error() -> None:
    slots = InFlightSlots(2)
    with pytest.raises(ValueError, match="more slots than were taken"):
        slots.release()
    with pytest.raises(ValueError, match="at least one"):
        InFlightSlots(0)


class ConnectionReports:
    """Counts the writes reported by the connection that made them."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        stack = traceback.extract_stack()
        if any(f.name == "request" and f.filename.endswith("client.py") for f in stack):
            self.count += 1
        request_written()


@pytest.fixture
def reports(monkeypatch: pytest.MonkeyPatch) -> ConnectionReports:
    recorder = ConnectionReports()
    monkeypatch.setattr(in_flight, "request_written", recorder)
    return recorder


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorHandle]:
    with running_emulator(EmulatorConfig(repository_id="REPO.SLOTS", password=PASSWORD)) as em:
        yield em


def test_the_client_reports_each_request_from_its_connection_once_written(
    emulator: EmulatorHandle, reports: ConnectionReports
) -> None:
    client = DataCiteClient(emulator.url, "REPO.SLOTS", PASSWORD, read_timeout_s=5.0)
    slots = InFlightSlots(1)
    client.in_flight = slots
    try:
        attributes = {
            "url": "https://archive.example.org/r1",
            "titles": [{"title": "Record 1"}],
            "creators": [{"name": "Archive", "nameType": "Organizational"}],
            "publisher": "Archive",
            "publicationYear": "2026",
            "types": {"resourceTypeGeneral": "Text"},
        }
        client.put_doi("10.5072/slots-1", attributes)
        client.get_doi("10.5072/slots-1")
    finally:
        client.close()
    # once per request, from the connection that wrote it (before DataCite answered)
    assert reports.count == 2
    assert slots._free == 1


def test_a_request_that_never_left_still_reports_so_nobody_waits_on_it(
    reports: ConnectionReports,
) -> None:
    client = DataCiteClient("http://127.0.0.1:9", "REPO.SLOTS", PASSWORD, connect_timeout_s=1.0)
    slots = InFlightSlots(1)
    client.in_flight = slots
    try:
        with pytest.raises(TransientError):
            client.get_doi("10.5072/slots-2")
    finally:
        client.close()
    assert reports.count == 0
    assert slots._free == 1
