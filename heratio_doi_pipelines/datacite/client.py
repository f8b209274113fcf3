"""The one DataCite REST client: pooled session, timeouts, rate limit, typed errors.

Every call goes through :meth:`DataCiteClient._request`, which waits for the request budget,
waits out 429s (``Retry-After``, or a jittered back-off when DataCite sends none: the only
retry at this level; durable retries belong to the queue) and turns every other failure into a
typed :mod:`heratio_doi_pipelines.datacite.errors` exception. Credentials live only in the
session's auth object: they are never part of a message, log line or exception.
"""

from __future__ import annotations

import base64
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import requests
import urllib3.connection
import urllib3.connectionpool
from requests.adapters import HTTPAdapter

from heratio_doi_pipelines import __version__
from heratio_doi_pipelines.datacite import in_flight
from heratio_doi_pipelines.datacite.errors import (
    AuthenticationError,
    DataCiteError,
    ForbiddenError,
    MetadataRejectedError,
    MethodNotAllowedError,
    NotFoundError,
    RateLimitedError,
    TransientError,
    describe_errors,
)
from heratio_doi_pipelines.datacite.in_flight import InFlightSlots
from heratio_doi_pipelines.datacite.rate_limit import RateLimiter, UnlimitedRateLimiter
from heratio_doi_pipelines.datacite.shapes import SHAPE_PARAMS, publisher_name

PRODUCTION_URL = "https://api.datacite.org"
TEST_URL = "https://api.test.datacite.org"
JSON_API = "application/vnd.api+json"


def base_url_for(environment: str, datacite_url: str | None = None) -> str:
    """An explicit ``datacite_url`` wins; otherwise the host of the environment."""
    if datacite_url:
        return datacite_url.rstrip("/")
    return PRODUCTION_URL if environment == "production" else TEST_URL


def is_datacite_host(url: str) -> bool:
    """True for DataCite's own API hosts (their rate limits apply), not for local stand-ins."""
    host = (urlsplit(url).hostname or "").lower()
    return host == "datacite.org" or host.endswith(".datacite.org")


@dataclass(frozen=True)
class DoiResponse:
    """What DataCite says about one DOI after a call."""

    doi: str  # lower-case, as DataCite returns it
    state: str
    url: str | None
    attributes: dict[str, Any] = field(repr=False)
    created: bool = False  # 201 on PUT/POST

    @classmethod
    def from_body(cls, body: dict[str, Any], *, created: bool = False) -> DoiResponse:
        data = body.get("data") or {}
        attrs = data.get("attributes") or {}
        doi = str(attrs.get("doi") or data.get("id") or "").lower()
        return cls(
            doi=doi,
            state=str(attrs.get("state") or ""),
            url=attrs.get("url"),
            attributes=attrs,
            created=created,
        )

    @property
    def publisher(self) -> str | None:
        """The publisher's name, whichever shape DataCite answered in."""
        return publisher_name(self.attributes.get("publisher"))

    def stored_response(self) -> dict[str, Any]:
        """The response as kept in ``ahg_doi.datacite_response`` (without the bulky XML)."""
        return {k: v for k, v in self.attributes.items() if k != "xml"}


def same_doi(a: str | None, b: str | None) -> bool:
    """DOIs are case-insensitive; DataCite returns them lower-case."""
    return (a or "").strip().lower() == (b or "").strip().lower()


class DataCiteClient:
    """REST client for ``/dois``, shared by the threads of one worker. Every ``/dois`` call asks
    for the object shape of publisher and affiliation (``affiliation=true&publisher=true``),
    which DataCite makes the default in September 2027."""

    def __init__(
        self,
        base_url: str,
        repository_id: str,
        password: str,
        *,
        rate_limiter: RateLimiter | None = None,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 30.0,
        max_rate_limit_retries: int = 3,
        contact_email: str = "",
        pool_size: int = 32,
        bearer_token: str | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.repository_id = repository_id
        self.timeout = (connect_timeout_s, read_timeout_s)
        self.rate_limiter = rate_limiter or UnlimitedRateLimiter()
        self.max_rate_limit_retries = max_rate_limit_retries
        self.session = requests.Session()
        adapter = _ReportingAdapter(
            pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0
        )
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        if bearer_token:
            self.session.headers["Authorization"] = f"Bearer {bearer_token}"
        else:
            self.session.auth = (repository_id, password)
        contact = f"; mailto:{contact_email}" if contact_email else ""
        self.session.headers.update(
            {
                "User-Agent": f"heratio-doi-pipelines/{__version__} (DOI pipeline{contact})",
                "Accept": JSON_API,
                "Content-Type": JSON_API,
            }
        )
        # Proxy and CA settings from the environment, looked up once: requests would read
        # them (and netrc) again on every call, about a millisecond each.
        self._send_options = self.session.merge_environment_settings(
            self.base_url, {}, None, None, None
        )
        # The run's cap on requests in flight (``ClientPool.limit_in_flight``), shared by
        # every client of the run; None: no cap beyond the callers' threads.
        self.in_flight: InFlightSlots | None = None
        self.requests_sent = 0
        self.rate_limited = 0  # 429s met (each also counted in requests_sent)
        self.first_sent_at: float | None = None  # monotonic times of the first and last send
        self.last_sent_at: float | None = None

    def close(self) -> None:
        self.session.close()

    # --- DOIs -------------------------------------------------------------------------------

    def put_doi(self, doi: str, attributes: dict[str, Any]) -> DoiResponse:
        """Create or update ``doi`` (DataCite's upsert): 201 created, 200 updated."""
        body = {"data": {"id": doi, "type": "dois", "attributes": {**attributes, "doi": doi}}}
        resp = self._request("PUT", f"/dois/{_quote_doi(doi)}", json=body, params=SHAPE_PARAMS)
        return DoiResponse.from_body(resp.json(), created=resp.status_code == 201)

    def get_doi(self, doi: str) -> DoiResponse:
        resp = self._request("GET", f"/dois/{_quote_doi(doi)}", params=SHAPE_PARAMS)
        return DoiResponse.from_body(resp.json())

    def delete_doi(self, doi: str) -> None:
        """Delete a draft (DataCite answers 405 for registered/findable DOIs)."""
        self._request("DELETE", f"/dois/{_quote_doi(doi)}", params=SHAPE_PARAMS)

    def iter_dois(
        self, *, prefix: str | None = None, client_id: str | None = None, page_size: int = 1000
    ) -> Iterator[DoiResponse]:
        """Every DOI of a prefix/repository, in large cursor-paginated pages."""
        for page in self.iter_doi_pages(prefix=prefix, client_id=client_id, page_size=page_size):
            yield from page

    def iter_doi_pages(
        self,
        *,
        prefix: str | None = None,
        client_id: str | None = None,
        page_size: int = 1000,
        detail: bool = False,
    ) -> Iterator[list[DoiResponse]]:
        """DataCite's DOI listing one cursor page at a time (``page[cursor]``, ``links.next``),
        so a million DOIs are compared page by page, never held at once; ``detail`` asks for
        each DOI's stored XML too."""
        params: dict[str, Any] = {"page[size]": page_size, "page[cursor]": 1, **SHAPE_PARAMS}
        if detail:
            params["detail"] = "true"
        if prefix:
            params["prefix"] = prefix
        if client_id:
            params["client-id"] = client_id.lower()
        path: str | None = "/dois"
        while path:
            resp = self._request("GET", path, params=params)
            body = resp.json()
            data = body.get("data") or []
            yield [DoiResponse.from_body({"data": item}) for item in data]
            next_link = (body.get("links") or {}).get("next")
            if not next_link or not data:
                break
            # DataCite's next link repeats the query; the shape flags are added if it did not
            path, params = (
                next_link,
                {
                    k: v
                    for k, v in SHAPE_PARAMS.items()
                    if f"{k}=" not in next_link.split("?", 1)[-1]
                },
            )

    # --- plumbing ---------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        # Prepare (encode, sign) before taking a rate-limit slot, so the request leaves as
        # soon as the slot is granted: less jitter between the slot and DataCite's count.
        prepared = self.session.prepare_request(requests.Request(method, url, **kwargs))
        send_options = (
            self._send_options
            if url.startswith(self.base_url)
            else self.session.merge_environment_settings(prepared.url, {}, None, None, None)
        )
        for attempt in range(self.max_rate_limit_retries + 1):
            resp = self._send(method, path, prepared, send_options)
            if resp.status_code < 400:
                return resp
            error = _error_for(method, path, resp)
            if isinstance(error, RateLimitedError):
                self.rate_limited += 1
                wait = error.retry_after
                if wait is None:
                    # no Retry-After: a short jittered exponential back-off; past the last
                    # retry the item goes back to the queue's own (minutes-long) back-off
                    wait = min(30.0, 0.5 * 2.0**attempt) * (0.5 + random.random())
                # every worker sharing the budget waits; the next acquire() waits it out too
                self.rate_limiter.pause(wait)
                if attempt < self.max_rate_limit_retries:
                    continue
            raise error
        raise AssertionError("unreachable")

    def _send(
        self, method: str, path: str, prepared: requests.PreparedRequest, options: Any
    ) -> requests.Response:
        """One request: an in-flight slot first, then a start from the rate budget (a start
        taken while waiting for a slot would leave late), then the send."""
        slot = self.in_flight
        if slot is not None:
            slot.acquire()  # the connection reports the write (``_ReportsWrites``)
        try:
            self.rate_limiter.acquire()
            self.requests_sent += 1
            self.last_sent_at = time.monotonic()
            if self.first_sent_at is None:
                self.first_sent_at = self.last_sent_at
            try:
                return self.session.send(prepared, timeout=self.timeout, **options)
            except requests.Timeout as exc:
                raise TransientError(
                    f"{method} {path}: DataCite at {self.base_url} did not answer in time"
                ) from exc
            except requests.ConnectionError as exc:
                raise TransientError(
                    f"{method} {path}: connection to DataCite at {self.base_url} failed "
                    "(set DATACITE_URL to the DataCite host to use, or start the local "
                    "emulator: bash scripts/ui.sh)"
                ) from exc
        finally:
            if slot is not None:
                slot.release()


class _ReportsWrites:
    """Tells the run's in-flight slots when a request is on the wire (``datacite/in_flight.py``)."""

    def request(self, *args: Any, **kwargs: Any) -> None:
        super().request(*args, **kwargs)  # type: ignore[misc]
        in_flight.request_written()


class _ReportingHTTPConnection(_ReportsWrites, urllib3.connection.HTTPConnection):
    pass


class _ReportingHTTPSConnection(_ReportsWrites, urllib3.connection.HTTPSConnection):
    pass


class _ReportingHTTPPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _ReportingHTTPConnection


class _ReportingHTTPSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _ReportingHTTPSConnection


_REPORTING_POOLS = {"http": _ReportingHTTPPool, "https": _ReportingHTTPSPool}


class _ReportingAdapter(HTTPAdapter):
    """requests' adapter, with connections that report each written request."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _REPORTING_POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = _REPORTING_POOLS
        return manager


def _quote_doi(doi: str) -> str:
    return quote(doi, safe="/")


def _error_for(method: str, path: str, resp: requests.Response) -> DataCiteError:
    status = resp.status_code
    try:
        body = resp.json()
        errors = body.get("errors") if isinstance(body, dict) else None
    except ValueError:
        body, errors = None, None
    errors = errors if isinstance(errors, list) else []
    detail = describe_errors(errors) if errors else (resp.reason or "")
    where = f"{method} {path}"
    if status == 429:
        return RateLimitedError(
            f"{where}: rate limited by DataCite (429)", retry_after=_retry_after(resp)
        )
    if status == 401:
        return AuthenticationError(
            f"{where}: DataCite rejected the credentials (401 {detail or 'Bad credentials.'}); "
            "check the repository id, password and environment (test vs production)",
            status=status,
            errors=errors,
        )
    if status == 403:
        if body is None:  # the load balancer's HTML throttling page
            return RateLimitedError(f"{where}: throttled by DataCite (HTML 403)", status=403)
        return ForbiddenError(f"{where}: forbidden (403 {detail})", status=status, errors=errors)
    if status == 404:
        return NotFoundError(f"{where}: not found at DataCite (404)", status=status, errors=errors)
    if status == 405:
        return MethodNotAllowedError(f"{where}: not allowed (405 {detail})", status=status)
    if status in (408, 409) or status >= 500:
        return TransientError(
            f"{where}: DataCite answered {status} {detail}".strip(), status=status
        )
    if status == 422:
        return MetadataRejectedError(
            f"{where}: DataCite rejected the metadata (422): {detail}", status=status, errors=errors
        )
    return DataCiteError(f"{where}: DataCite answered {status} {detail}".strip(), status=status)


def _retry_after(resp: requests.Response) -> float | None:
    value = resp.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def decode_xml(attributes: dict[str, Any]) -> bytes | None:
    """The Kernel XML DataCite returns base64-encoded in ``attributes.xml``."""
    raw = attributes.get("xml")
    return base64.b64decode(raw) if raw else None
