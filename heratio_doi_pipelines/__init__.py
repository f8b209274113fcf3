"""Heratio DOI pipelines: DataCite DOIs for archival descriptions, as a Dagster code location."""

__version__ = "0.1.0"
