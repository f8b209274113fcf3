"""Drive an emulator running in another process over its ``/_emulator`` routes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from typing import Any

import requests

from heratio_doi_pipelines.devtools.emulator.faults import Fault


class RemoteEmulator:
    """The ``EmulatorHandle`` knobs over HTTP, for benchmarks and multi-process tests."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self._session.request(
            method, f"{self.url}/_emulator/{path}", json=body, timeout=self.timeout
        )
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "stats")  # type: ignore[no-any-return]

    def dois(self) -> dict[str, Any]:
        """Every DOI (lower-case) with state, url, created_count and update_count."""
        return self._call("GET", "dois")  # type: ignore[no-any-return]

    def generate_dois(self, template: dict[str, Any], count: int, start: int = 1) -> int:
        """Store ``count`` DOIs from a template holding ``{n}`` (see the control route)."""
        body = {"template": template, "count": count, "start": start}
        return int(self._call("POST", "dois/generate", body)["generated"])

    def set_faults(
        self,
        rules: Sequence[Fault] = (),
        script: Sequence[Fault | None] = (),
        seed: int | None = None,
    ) -> None:
        self._call(
            "POST",
            "faults",
            {
                "rules": [rule.to_dict() for rule in rules],
                "script": [(f or Fault("ok")).to_dict() for f in script],
                "seed": seed,
            },
        )

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def configure(self, **settings: Any) -> dict[str, Any]:
        """Same keys as ``EmulatorHandle.configure``; returns the resulting settings."""
        if isinstance(settings.get("rate_limit"), tuple):
            settings["rate_limit"] = list(settings["rate_limit"])
        return self._call("POST", "config", settings)  # type: ignore[no-any-return]

    def reset(self, **parts: bool) -> None:
        self._call("POST", "reset", parts)

    def close(self) -> None:
        self._session.close()


def start_emulator_process(
    *, repository_id: str, password: str, prefix: str, latency_ms: int = 0
) -> tuple[subprocess.Popen[str], str]:
    """``heratio-doi emulator`` in its own process on a free port: the process and its URL
    (a benchmark's emulator must not share the measured process's CPU or event loop)."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "heratio_doi_pipelines.cli",
            "emulator",
            "--port",
            "0",
            "--latency-ms",
            str(latency_ms),
            "--repository-id",
            repository_id,
            "--password",
            password,
            "--prefix",
            prefix,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, next(word for word in line.split() if word.startswith("http://"))
