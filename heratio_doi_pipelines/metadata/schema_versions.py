"""The DataCite Kernel-4 schema versions the pipeline writes, and what each of them allows.

All 4.x versions share the ``http://datacite.org/schema/kernel-4`` namespace; they differ in
their controlled lists (4.6 added resource types ``Award``/``Project`` and dateType
``Coverage``, 4.7 ``Poster``/``Presentation`` and relationType ``Other``) and in the
schemaLocation a document names. The lists are read from each version's vendored XSD (its
``include/datacite-<list>-v4.xsd``), so the mapping never needs a hand-kept copy.

Adding a version (e.g. 4.8): copy DataCite's ``source/meta/kernel-4.8/`` folder
(``metadata.xsd`` and ``include/``) unchanged into ``metadata/schema/kernel-4.8/`` with a
``README.txt`` like its neighbours', and add one row to ``SCHEMA_VERSIONS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lxml import etree

NS = "http://datacite.org/schema/kernel-4"
SCHEMA_ROOT = Path(__file__).parent / "schema"

# version -> date DataCite published it (the folder is ``schema/kernel-<version>``).
SCHEMA_VERSIONS: dict[str, str] = {
    "4.5": "2024-01-22",
    "4.6": "2024-12-05",
    "4.7": "2026-03-31",
}
DEFAULT_SCHEMA_VERSION = "4.7"

_XS_ENUMERATION = "{http://www.w3.org/2001/XMLSchema}enumeration"
_LOCATION_VERSION = re.compile(r"kernel-(4\.\d+)/")


class UnknownSchemaVersion(ValueError):
    """A configured ``doi_schema_version`` the pipeline has no XSD for."""


@dataclass(frozen=True)
class KernelVersion:
    """One vendored schema version: where its XSD is and what its lists allow."""

    version: str

    @property
    def folder(self) -> Path:
        return SCHEMA_ROOT / f"kernel-{self.version}"

    @property
    def xsd(self) -> Path:
        return self.folder / "metadata.xsd"

    @property
    def schema_location(self) -> str:
        return f"{NS} http://schema.datacite.org/meta/kernel-{self.version}/metadata.xsd"

    def allowed(self, list_name: str) -> tuple[str, ...]:
        """The values of one controlled list, e.g. ``allowed("relationType")``."""
        return _enumeration(self.version, list_name)


@cache
def _enumeration(version: str, list_name: str) -> tuple[str, ...]:
    """Cached by name, not by path: the mapping asks several times per record, and building
    the path each time cost more than the rest of the lookup."""
    path = KernelVersion(version).folder / "include" / f"datacite-{list_name}-v4.xsd"
    tree = etree.parse(str(path))
    return tuple(str(node.get("value")) for node in tree.iter(_XS_ENUMERATION))


def kernel_version(version: str | None = None) -> KernelVersion:
    """The registry entry for ``version`` (default 4.7); unknown versions raise with the choices."""
    text = (version or DEFAULT_SCHEMA_VERSION).strip()
    if text.lower().startswith("kernel-"):
        text = text[len("kernel-") :]
    if text not in SCHEMA_VERSIONS:
        raise UnknownSchemaVersion(
            f"DataCite schema version {version!r} is not supported: "
            f"choose one of {', '.join(SCHEMA_VERSIONS)}"
        )
    return KernelVersion(text)


def version_of_location(schema_location: str | None) -> str | None:
    """The ``4.N`` a Kernel-4 document's xsi:schemaLocation names, else None."""
    match = _LOCATION_VERSION.search(schema_location or "")
    return match.group(1) if match else None
