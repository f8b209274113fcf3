"""The two requests behind each check: the DOI's handle record, and its landing page.

The handle lookup is doi.org's REST API (``GET {resolver}/api/handles/{doi}``: responseCode 1
with the ``URL`` value, 100 when the handle does not exist). The page fetch follows at most
``MAX_REDIRECTS`` redirects itself (each hop through its host's gate, a repeated URL is a
loop), gives the whole fetch one time budget at the servers (waiting for a host slot does not
count), and reads at most ``MAX_BODY_BYTES`` of the page.
"""

from __future__ import annotations

import html
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote, unquote, urljoin

import requests
from requests.adapters import HTTPAdapter

from heratio_doi_pipelines.linkcheck.polite import HostGates

MAX_REDIRECTS = 5
MAX_BODY_BYTES = 2_000_000
HTML_TYPES = ("text/html", "application/xhtml+xml")
REDIRECT_CODES = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class HandleAnswer:
    target: str | None  # the handle's URL value
    problem: str | None = None  # handle_not_found | resolver_error
    detail: str = ""


@dataclass(frozen=True)
class PageAnswer:
    http_status: int | None
    final_url: str | None
    content_type: str
    body: str  # decoded, at most MAX_BODY_BYTES
    elapsed_ms: int
    problem: str | None = None  # timeout | unreachable | redirect_loop | too_many_redirects
    detail: str = ""

    def shows(self, doi: str) -> bool:
        """Whether the page shows the DOI (as text or in a link, in any letter case)."""
        text = html.unescape(unquote(self.body)).lower()
        return doi.lower() in text


class _Budget:
    """The time a fetch may spend at servers (all its redirect hops together), not in queues."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._spent = 0.0
        self._since: float | None = None

    def start(self) -> None:
        self._since = time.monotonic()

    def stop(self) -> None:
        if self._since is not None:
            self._spent += time.monotonic() - self._since
            self._since = None

    def spent(self) -> float:
        running = time.monotonic() - self._since if self._since is not None else 0.0
        return self._spent + running

    def left(self) -> float:
        return self.seconds - self.spent()


class Prober:
    """Handle lookups and page fetches for one run; thread-safe (a session per thread)."""

    def __init__(
        self, gates: HostGates, *, user_agent: str, resolver_url: str, timeout_s: float
    ) -> None:
        self.gates = gates
        self.user_agent = user_agent
        self.resolver_url = resolver_url.rstrip("/")
        self.timeout_s = timeout_s
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()
        self.requests_sent = 0

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=8, pool_maxsize=8, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers["User-Agent"] = self.user_agent
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def _get(self, url: str, budget: _Budget, accept: str) -> requests.Response:
        """One GET through the host's gate; waiting for the gate does not spend the budget."""
        with self.gates.slot(url):
            budget.start()
            left = budget.left()
            if left <= 0:
                raise requests.Timeout(f"no time left before {url}")
            with self._lock:
                self.requests_sent += 1
            return self._session().get(
                url,
                allow_redirects=False,
                stream=True,
                timeout=(min(left, 5.0), left),
                headers={"Accept": accept},
            )

    def resolve(self, doi: str) -> HandleAnswer:
        url = f"{self.resolver_url}/api/handles/{quote(doi, safe='/')}"
        budget = _Budget(self.timeout_s)
        try:
            response = self._get(url, budget, "application/json")
            try:
                status = response.status_code
                data = response.json() if status in (200, 404) else None
            finally:
                response.close()
                budget.stop()
        except (requests.RequestException, ValueError) as exc:
            return HandleAnswer(None, "resolver_error", f"handle lookup at {url} failed: {exc}")
        if status == 404 or (isinstance(data, dict) and data.get("responseCode") == 100):
            return HandleAnswer(None, "handle_not_found", f"the handle system has no {doi}")
        if not isinstance(data, dict) or status != 200 or data.get("responseCode") != 1:
            return HandleAnswer(
                None, "resolver_error", f"handle lookup at {url} answered HTTP {status}"
            )
        for value in data.get("values") or []:
            if isinstance(value, dict) and value.get("type") == "URL":
                target = (value.get("data") or {}).get("value")
                if isinstance(target, str) and target:
                    return HandleAnswer(target.strip())
        return HandleAnswer(None, "resolver_error", f"the handle of {doi} has no URL value")

    def fetch(self, url: str) -> PageAnswer:
        """GET ``url`` as a browser would land on it; never raises for what the server does."""
        budget = _Budget(self.timeout_s)
        seen = [url]
        current = url
        status: int | None = None

        def answer(problem: str | None = None, detail: str = "", **found: object) -> PageAnswer:
            return PageAnswer(
                http_status=status,
                final_url=current,
                content_type=str(found.get("content_type", "")),
                body=str(found.get("body", "")),
                elapsed_ms=int(budget.spent() * 1000),
                problem=problem,
                detail=detail,
            )

        try:
            while True:
                response = self._get(current, budget, ", ".join(HTML_TYPES) + ", */*;q=0.5")
                try:
                    status = response.status_code
                    location = response.headers.get("Location")
                    if status in REDIRECT_CODES and location:
                        following = urljoin(current, location)
                        if following in seen:
                            current = following
                            return answer(
                                "redirect_loop",
                                f"{url} redirects in a loop: " + " -> ".join([*seen, following]),
                            )
                        if len(seen) > MAX_REDIRECTS:
                            return answer(
                                "too_many_redirects",
                                f"{url} redirects more than {MAX_REDIRECTS} times",
                            )
                        seen.append(following)
                        current = following
                        continue
                    content_type = response.headers.get("Content-Type", "")
                    body = self._read(response, budget)
                    return answer(content_type=content_type, body=body)
                finally:
                    response.close()
                    budget.stop()
        except requests.Timeout:
            return answer("timeout", f"{current} did not answer within {self.timeout_s:g} s")
        except requests.RequestException as exc:
            if isinstance(exc, requests.ConnectionError) and "timed out" in str(exc).lower():
                return answer("timeout", f"{current} did not answer within {self.timeout_s:g} s")
            return answer("unreachable", f"{current} could not be reached: {exc}")

    @staticmethod
    def _read(response: requests.Response, budget: _Budget) -> str:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(chunk_size=65536):
            chunks.append(chunk)
            size += len(chunk)
            if size >= MAX_BODY_BYTES:
                break
            if budget.left() <= 0:
                raise requests.Timeout("the page body did not arrive in time")
        encoding = response.encoding or "utf-8"
        try:
            return b"".join(chunks)[:MAX_BODY_BYTES].decode(encoding, errors="replace")
        except LookupError:
            return b"".join(chunks)[:MAX_BODY_BYTES].decode("utf-8", errors="replace")

    def close(self) -> None:
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()
