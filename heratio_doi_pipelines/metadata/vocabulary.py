"""Controlled lists the builder matches configuration against before the XSD does (the
per-version lists are read from the XSDs, see ``schema_versions``).

Kept in code (a test compares them with the vendored XSD) so a configuration value can be
matched case-insensitively and reported in plain words.
"""

from __future__ import annotations

FUNDER_IDENTIFIER_TYPES = ("ISNI", "GRID", "ROR", "Crossref Funder ID", "Other")
