"""The DataCite client against the emulator: typed errors, 429 handling, pagination."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
import requests

from heratio_doi_pipelines.datacite.client import (
    DataCiteClient,
    DoiResponse,
    base_url_for,
    decode_xml,
    same_doi,
)
from heratio_doi_pipelines.datacite.errors import (
    AuthenticationError,
    ForbiddenError,
    MetadataRejectedError,
    MethodNotAllowedError,
    NotFoundError,
    RateLimitedError,
    TransientError,
)
from heratio_doi_pipelines.datacite.rate_limit import RateLimiter
from heratio_doi_pipelines.devtools.emulator import (
    EmulatorConfig,
    EmulatorHandle,
    Fault,
    running_emulator,
)
from heratio_doi_pipelines.metadata.payload import payload_hash
from heratio_doi_pipelines.metadata.stored import compare_stored

PASSWORD = "client-test-password"


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorHandle]:
    with running_emulator(EmulatorConfig(repository_id="REPO.CLIENT", password=PASSWORD)) as em:
        yield em


@pytest.fixture
def client(emulator: EmulatorHandle) -> Iterator[DataCiteClient]:
    emulator.reset()
    c = DataCiteClient(emulator.url, "REPO.CLIENT", PASSWORD, read_timeout_s=2.0)
    yield c
    c.close()


def _attrs(n: int) -> dict:
    return {
        "url": f"https://archive.example.org/r{n}",
        "titles": [{"title": f"Record {n}"}],
        "creators": [{"name": "Archive", "nameType": "Organizational"}],
        "publisher": "Archive",
        "publicationYear": 2026,
        "types": {"resourceTypeGeneral": "Text"},
    }


def test_put_creates_then_updates_and_states_follow_events(client: DataCiteClient) -> None:
    first = client.put_doi("10.5072/ABC/1", {**_attrs(1), "event": "publish"})
    assert first.created and first.doi == "10.5072/abc/1" and first.state == "findable"
    again = client.put_doi("10.5072/abc/1", _attrs(1))
    assert not again.created and again.state == "findable"
    hidden = client.put_doi("10.5072/abc/1", {"event": "register"})  # invalid: ignored
    assert hidden.state == "findable"
    assert client.get_doi("10.5072/ABC/1").url == "https://archive.example.org/r1"
    assert same_doi("10.5072/ABC/1", hidden.doi)


def test_errors_are_typed(client: DataCiteClient, emulator: EmulatorHandle) -> None:
    with pytest.raises(NotFoundError):
        client.get_doi("10.5072/missing")
    with pytest.raises(MetadataRejectedError) as rejected:
        client.put_doi("10.5072/nourl", {**_attrs(2), "url": None, "event": "publish"})
    assert "url: Can't be blank" in str(rejected.value)
    client.put_doi("10.5072/taken", {**_attrs(3), "event": "publish"})
    with pytest.raises(MethodNotAllowedError):
        client.delete_doi("10.5072/taken")
    with pytest.raises(ForbiddenError):
        client.put_doi("10.9999/not-ours", _attrs(4))
    bad = DataCiteClient(emulator.url, "REPO.CLIENT", "wrong")
    with pytest.raises(AuthenticationError) as auth:
        bad.get_doi("10.5072/taken")
    assert auth.value.stops_batch and "wrong" not in str(auth.value)


def test_server_errors_timeouts_and_drops_are_transient(
    client: DataCiteClient, emulator: EmulatorHandle
) -> None:
    for kind in ("500", "502", "503", "drop", "reset"):
        emulator.set_faults(script=[Fault(kind)])
        with pytest.raises(TransientError):
            client.get_doi("10.5072/any")
    emulator.set_faults(script=[Fault("slow", delay_seconds=3)])
    with pytest.raises(TransientError, match="did not answer in time"):
        client.get_doi("10.5072/any")


def test_an_unreachable_host_is_named_with_how_to_point_elsewhere() -> None:
    with socket.socket() as sock:  # a loopback port with nothing listening
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    unreachable = DataCiteClient(url, "REPO.CLIENT", PASSWORD, read_timeout_s=2.0)
    try:
        with pytest.raises(TransientError) as caught:
            unreachable.get_doi("10.5072/any")
    finally:
        unreachable.close()
    message = str(caught.value)
    assert f"connection to DataCite at {url} failed" in message
    assert "DATACITE_URL" in message and "scripts/ui.sh" in message
    assert PASSWORD not in message


def test_429_honours_retry_after_then_succeeds(
    client: DataCiteClient, emulator: EmulatorHandle
) -> None:
    client.put_doi("10.5072/rl", {**_attrs(5), "event": "publish"})
    emulator.set_faults(script=[Fault("429", retry_after=1)])
    start = time.monotonic()
    assert client.get_doi("10.5072/rl").state == "findable"
    assert time.monotonic() - start >= 1.0
    assert client.rate_limited == 1
    emulator.set_faults(rules=[Fault("429", retry_after=0)])
    client.max_rate_limit_retries = 1
    with pytest.raises(RateLimitedError):
        client.get_doi("10.5072/rl")


def test_listing_pages_with_the_cursor(client: DataCiteClient) -> None:
    for n in range(7):
        client.put_doi(f"10.5072/list/{n}", {**_attrs(n), "event": "publish"})
    listed = list(client.iter_dois(prefix="10.5072", page_size=3))
    assert sorted(d.doi for d in listed) == sorted(f"10.5072/list/{n}" for n in range(7))


def test_user_agent_names_the_pipeline_and_contact(emulator: EmulatorHandle) -> None:
    c = DataCiteClient(emulator.url, "x", "y", contact_email="doi@archive.example.org")
    agent = str(c.session.headers["User-Agent"])
    assert agent.startswith("heratio-doi-pipelines/") and "mailto:doi@archive.example.org" in agent


def test_hosts_follow_the_environment() -> None:
    assert base_url_for("production") == "https://api.datacite.org"
    assert base_url_for("test") == "https://api.test.datacite.org"
    assert base_url_for("production", "http://127.0.0.1:9/") == "http://127.0.0.1:9"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.mark.parametrize(("limit", "window"), [(10, 1.0), (3000, 300.0), (750, 300.0)])
def test_rate_limiter_never_exceeds_the_limit_in_any_window(limit: int, window: float) -> None:
    clock = FakeClock()
    limiter = RateLimiter(limit, window, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(limit * 3):
        limiter.acquire()
        starts.append(clock.now)
    for i in range(len(starts) - limit):
        assert starts[i + limit] - starts[i] >= window
    achieved = (len(starts) - 1) / (starts[-1] - starts[0])
    # the derived spacing gives up one request per window (see rate_limit's docstring)
    assert achieved >= 0.99 * (limit - 1) / window


def test_rate_limiter_pause_holds_every_caller() -> None:
    clock = FakeClock()
    limiter = RateLimiter(100, 1.0, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    limiter.pause(5.0)
    limiter.acquire()
    assert clock.now >= 5.0


def test_publisher_and_affiliation_come_back_in_either_shape(
    client: DataCiteClient, emulator: EmulatorHandle
) -> None:
    ror = {
        "publisherIdentifier": "https://ror.org/04wxnsj81",
        "publisherIdentifierScheme": "ROR",
        "schemeUri": "https://ror.org",
    }
    attrs = {
        **_attrs(1),
        "publisher": {"name": "Archive", **ror},
        "creators": [
            {"name": "Doe, Jane", "nameType": "Personal", "affiliation": [{"name": "Archive"}]}
        ],
        "event": "publish",
    }
    written = client.put_doi("10.5072/SHAPE/1", attrs)
    # the client asks for objects on every call: writes, reads and listings
    assert written.attributes["publisher"] == {"name": "Archive", **ror}
    read = client.get_doi("10.5072/shape/1")
    assert read.attributes["creators"][0]["affiliation"] == [{"name": "Archive"}]
    listed = next(client.iter_dois(prefix="10.5072"))
    assert listed.attributes["publisher"] == {"name": "Archive", **ror}

    # without the flags DataCite (and the emulator) answer with plain names
    plain = requests.get(f"{emulator.url}/dois/10.5072/shape/1", timeout=5).json()
    old_shape = DoiResponse.from_body(plain)
    assert old_shape.attributes["publisher"] == "Archive"
    assert old_shape.attributes["creators"][0]["affiliation"] == ["Archive"]
    assert old_shape.publisher == read.publisher == "Archive"

    # hashes and comparisons treat both shapes of the same metadata alike
    sent = {k: v for k, v in _attrs(2).items()}
    as_objects = {**sent, "publisher": {"name": sent["publisher"]}}
    assert payload_hash(sent) == payload_hash(as_objects)
    assert payload_hash(sent) != payload_hash({**sent, "publisher": {"name": "Archive", **ror}})
    xml = decode_xml(read.attributes)
    assert xml is not None
    assert not compare_stored(attrs, xml).differs
    # the string shape lost the ROR: against the stored XML that is a real difference
    lossy = compare_stored({**attrs, "publisher": old_shape.attributes["publisher"]}, xml)
    assert lossy.differing_fields == ["publisher"]
