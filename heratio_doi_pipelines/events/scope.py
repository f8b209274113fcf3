"""What DataCite's Event Data still ingests, so the flush sends nothing it would drop.

Since late 2026 Event Data keeps DOI-to-DOI relations of a fixed set of relation types,
events from DataCite's own sources, and usage (which reaches DataCite in the monthly usage
report). The accepted relation types here are the Kernel-4 ``relationType`` list of the
default schema version in the Events API's kebab case (``IsPartOf`` -> ``is-part-of``; the
citations ``cites``/``is-cited-by`` among them). A relation or citation whose subject or
object is not a DOI, or whose type is not in that list, is recorded as not sent instead of
being retried. Usage totals are left to the usage rules: they are in scope.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from heratio_doi_pipelines.events.identity import USAGE_KINDS, is_doi, kebab_relation, kind_of
from heratio_doi_pipelines.metadata.schema_versions import kernel_version

NOT_SENT = "not_sent: out of DataCite's event scope"


@cache
def accepted_relation_types() -> frozenset[str]:
    """The relation types DataCite still ingests between two DOIs (kebab case)."""
    return frozenset(kebab_relation(value) for value in kernel_version().allowed("relationType"))


def out_of_scope(row: Any) -> str | None:
    """Why DataCite would not ingest the event row, or None when it would."""
    relation = str(row.relation_type_id or "")
    if kind_of(relation) in USAGE_KINDS:
        return None
    if relation not in accepted_relation_types():
        return f"{NOT_SENT} (relation type {relation!r} is not one DataCite still ingests)"
    if not is_doi(str(row.subj_id or "")):
        return f"{NOT_SENT} (subject {row.subj_id!r} is not a DOI)"
    if (row.obj_id_type or "").lower() != "doi" or not is_doi(str(row.obj_id or "")):
        return f"{NOT_SENT} (object {row.obj_id!r} is not a DOI: only DOI-to-DOI relations)"
    return None
