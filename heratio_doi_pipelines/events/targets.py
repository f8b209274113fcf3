"""Which request paths mean "a record with a DOI was used": the map from URL path to DOI.

- record views: AtoM's show pages ``/<slug>`` and ``/index.php/<slug>``;
- downloads: master digital objects at ``digital_object.path + name`` (``/uploads/r/...``,
  raw and percent-encoded), and finding aids at ``/downloads/<slug>.pdf|.rtf``. Derivatives
  (reference copies, thumbnails) are shown on every view page, so they are not downloads.

Only DOIs DataCite knows as findable or registered are reported. Paths are ``bytes`` because
the log parser never decodes a line it does not need.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

import sqlalchemy as sa

from heratio_doi_pipelines.catalogue import atom_tables as atom
from heratio_doi_pipelines.events.identity import bare_doi
from heratio_doi_pipelines.store.tables import ahg_doi

REPORTABLE_STATES = ("findable", "registered")
FINDING_AID_SUFFIXES = (".pdf", ".rtf")
IN_CHUNK = 500


@dataclass
class UsageMap:
    views: dict[bytes, str] = field(default_factory=dict)
    downloads: dict[bytes, str] = field(default_factory=dict)
    dois: int = 0

    def view_paths(self) -> list[str]:
        """The ``/<slug>`` form of every show page (for sample logs)."""
        return sorted(p.decode() for p in self.views if not p.startswith(b"/index.php/"))

    def download_paths(self) -> list[str]:
        """Download paths as a browser requests them (percent-encoded), for sample logs."""
        return sorted(p.decode() for p in self.downloads if p.isascii() and b" " not in p)


def reportable_dois(doi_engine: sa.Engine) -> dict[int, str]:
    """record id → bare lower-case DOI, for DOIs in a state DataCite reports usage for."""
    with doi_engine.connect() as conn:
        rows = conn.execute(
            sa.select(ahg_doi.c.information_object_id, ahg_doi.c.doi).where(
                ahg_doi.c.status.in_(REPORTABLE_STATES)
            )
        )
        return {int(record_id): bare_doi(doi) for record_id, doi in rows}


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), IN_CHUNK):
        yield list(ids[start : start + IN_CHUNK])


def _path_keys(url_path: str) -> set[bytes]:
    return {url_path.encode("utf-8"), quote(url_path, safe="/-._~").encode("ascii")}


def load_usage_map(doi_engine: sa.Engine, catalogue_engine: sa.Engine) -> UsageMap:
    """Slugs and digital-object paths of every record with a reportable DOI."""
    dois = reportable_dois(doi_engine)
    usage = UsageMap(dois=len(set(dois.values())))
    ids = sorted(dois)
    slug, digital_object = atom.slug, atom.digital_object
    with catalogue_engine.connect() as conn:
        for chunk in _chunks(ids):
            for object_id, value in conn.execute(
                sa.select(slug.c.object_id, slug.c.slug).where(slug.c.object_id.in_(chunk))
            ):
                doi = dois[int(object_id)]
                usage.views[f"/{value}".encode()] = doi
                usage.views[f"/index.php/{value}".encode()] = doi
                for suffix in FINDING_AID_SUFFIXES:
                    usage.downloads[f"/downloads/{value}{suffix}".encode()] = doi
            for object_id, path, name in conn.execute(
                sa.select(
                    digital_object.c.object_id, digital_object.c.path, digital_object.c.name
                ).where(digital_object.c.object_id.in_(chunk), digital_object.c.parent_id.is_(None))
            ):
                if not path or not name or path.startswith(("http://", "https://")):
                    continue
                url_path = path if path.endswith("/") else f"{path}/"
                if not url_path.startswith("/"):
                    url_path = f"/{url_path}"
                for key in _path_keys(url_path + name):
                    usage.downloads[key] = dois[int(object_id)]
    return usage
