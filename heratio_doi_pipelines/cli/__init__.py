"""The ``heratio-doi`` command line: thin wrappers over the services the Dagster assets call."""

from __future__ import annotations

from heratio_doi_pipelines.cli.main import main

__all__ = ["main"]
