"""A local stand-in for DataCite's REST API (``/dois``, ``/events``, ``/reports``).

It reproduces the DataCite behaviour the pipeline depends on (upsert PUT, silent invalid
events, 422 shapes, per-IP rate limits) plus fault injection, so the client and the queue
can be proven against it offline. See ``running_emulator`` and ``serve``.
"""

from __future__ import annotations

from heratio_doi_pipelines.devtools.emulator.app import EmulatorApp
from heratio_doi_pipelines.devtools.emulator.config import (
    DEFAULT_BEARER_TOKEN,
    DEFAULT_PASSWORD,
    DEFAULT_PORT,
    DEFAULT_PREFIX,
    DEFAULT_REPOSITORY_ID,
    EmulatorConfig,
    parse_rate_limit,
)
from heratio_doi_pipelines.devtools.emulator.faults import Fault
from heratio_doi_pipelines.devtools.emulator.remote import RemoteEmulator, start_emulator_process
from heratio_doi_pipelines.devtools.emulator.server import EmulatorHandle, running_emulator, serve
from heratio_doi_pipelines.devtools.emulator.store import (
    DoiRecord,
    EmulatorState,
    EventRecord,
    ReportRecord,
)

__all__ = [
    "DEFAULT_BEARER_TOKEN",
    "DEFAULT_PASSWORD",
    "DEFAULT_PORT",
    "DEFAULT_PREFIX",
    "DEFAULT_REPOSITORY_ID",
    "DoiRecord",
    "EmulatorApp",
    "EmulatorConfig",
    "EmulatorHandle",
    "EmulatorState",
    "EventRecord",
    "Fault",
    "RemoteEmulator",
    "start_emulator_process",
    "ReportRecord",
    "parse_rate_limit",
    "running_emulator",
    "serve",
]
