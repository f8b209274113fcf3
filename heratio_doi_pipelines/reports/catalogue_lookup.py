"""Titles and holding repositories of catalogue records, looked up in batches for reports.

The catalogue may live in another database than the ahg_* tables, so these lookups take
record ids and return plain dicts instead of joining across engines. AtoM keeps
translated text per culture: the record's (or repository's) source culture wins, then
the fallback culture, then the alphabetically first culture that has one (as the reader).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa

from heratio_doi_pipelines.catalogue.atom_tables import (
    actor,
    actor_i18n,
    information_object,
    information_object_i18n,
    repository,
)
from heratio_doi_pipelines.catalogue.constants import ROOT_INFORMATION_OBJECT_ID
from heratio_doi_pipelines.errors import HeratioDoiError

LOOKUP_CHUNK = 1000
# A repository's ancestors are walked at most this deep; AtoM trees are far shallower.
MAX_DEPTH = 64

K = TypeVar("K")


class CatalogueMissingError(HeratioDoiError):
    """A report needs the catalogue, and its tables are not in the configured database."""

    def __init__(self) -> None:
        super().__init__(
            "catalogue tables (information_object, repository) not found: point "
            "HERATIO_CATALOGUE_DB_URL at the AtoM/Heratio database"
        )


@dataclass(frozen=True)
class RepositoryName:
    id: int
    code: str | None
    name: str | None


def chunked(ids: Iterable[int], size: int = LOOKUP_CHUNK) -> Iterator[list[int]]:
    """Ids in lists of ``size``, so an IN list stays within every driver's parameter limit."""
    batch: list[int] = []
    for value in ids:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _pick_culture(
    texts: dict[str, str | None], source_culture: str | None, fallback_culture: str
) -> str | None:
    for culture in (source_culture, fallback_culture):
        if culture and texts.get(culture):
            return texts[culture]
    return next((texts[culture] for culture in sorted(texts) if texts[culture]), None)


def has_catalogue(engine: sa.Engine) -> bool:
    """Whether the catalogue tables exist, so DOI views can still work without them."""
    return sa.inspect(engine).has_table(information_object.name)


def require_catalogue(engine: sa.Engine) -> None:
    """Raise ``CatalogueMissingError`` unless the catalogue tables exist."""
    if not has_catalogue(engine):
        raise CatalogueMissingError()


def record_titles(
    engine: sa.Engine, record_ids: Iterable[int], fallback_culture: str = "en"
) -> dict[int, str]:
    """Title of each record that has one (one query per chunk of ids)."""
    ids = sorted({int(i) for i in record_ids})
    if not ids:
        return {}
    io, i18n = information_object, information_object_i18n
    texts: dict[int, dict[str, str | None]] = {}
    source: dict[int, str | None] = {}
    with engine.connect() as conn:
        for chunk in chunked(ids):
            rows = conn.execute(
                sa.select(io.c.id, io.c.source_culture, i18n.c.culture, i18n.c.title)
                .select_from(io.outerjoin(i18n, i18n.c.id == io.c.id))
                .where(io.c.id.in_(chunk))
            )
            for row in rows:
                source[row.id] = row.source_culture
                if row.culture is not None:
                    texts.setdefault(row.id, {})[row.culture] = row.title
    titles = {}
    for record_id, by_culture in texts.items():
        title = _pick_culture(by_culture, source.get(record_id), fallback_culture)
        if title:
            titles[record_id] = title
    return titles


def repository_names(
    engine: sa.Engine, repository_ids: Iterable[int], fallback_culture: str = "en"
) -> dict[int, RepositoryName]:
    """Code (``repository.identifier``) and authorised name of each repository.

    A repository is an actor in AtoM, so its name is the actor's authorised form of name.
    """
    ids = sorted({int(i) for i in repository_ids})
    found: dict[int, RepositoryName] = {}
    codes: dict[int, str | None] = {}
    source: dict[int, str | None] = {}
    names: dict[int, dict[str, str | None]] = {}
    with engine.connect() as conn:
        for chunk in chunked(ids):
            rows = conn.execute(
                sa.select(
                    repository.c.id,
                    repository.c.identifier,
                    actor.c.source_culture,
                    actor_i18n.c.culture,
                    actor_i18n.c.authorized_form_of_name,
                )
                .select_from(
                    repository.outerjoin(actor, actor.c.id == repository.c.id).outerjoin(
                        actor_i18n, actor_i18n.c.id == repository.c.id
                    )
                )
                .where(repository.c.id.in_(chunk))
            )
            for row in rows:
                codes[row.id] = row.identifier
                source[row.id] = row.source_culture
                by_culture = names.setdefault(row.id, {})
                if row.culture is not None:
                    by_culture[row.culture] = row.authorized_form_of_name
    for repo_id, code in codes.items():
        name = _pick_culture(names.get(repo_id, {}), source.get(repo_id), fallback_culture)
        found[repo_id] = RepositoryName(id=repo_id, code=code, name=name)
    return found


def merge_counts(target: dict[K, Counter[str]], key: K, counts: Counter[str]) -> None:
    """Add ``counts`` into ``target[key]``."""
    if key in target:
        target[key].update(counts)
    else:
        target[key] = Counter(counts)


def inherit_repositories(
    engine: sa.Engine, counts_by_parent: dict[int, Counter[str]]
) -> dict[int | None, Counter[str]]:
    """Give counts held by records without a repository to their nearest holding ancestor.

    AtoM usually sets ``repository_id`` only on the top-level description, and a child
    shows its nearest ancestor's repository. ``counts_by_parent`` holds counts keyed by
    the parent id of records that have no repository of their own; this walks the tree
    upwards one level per round (a few PK lookups per distinct ancestor, never per DOI).
    Counts that reach the root without a repository land under ``None``.
    """
    resolved: dict[int | None, Counter[str]] = {}
    pending = dict(counts_by_parent)
    for _ in range(MAX_DEPTH):
        if not pending:
            break
        next_level: dict[int, Counter[str]] = {}
        found: dict[int, tuple[int | None, int | None]] = {}
        with engine.connect() as conn:
            for chunk in chunked(sorted(pending)):
                rows = conn.execute(
                    sa.select(
                        information_object.c.id,
                        information_object.c.repository_id,
                        information_object.c.parent_id,
                    ).where(information_object.c.id.in_(chunk))
                )
                for row in rows:
                    found[row.id] = (row.repository_id, row.parent_id)
        for record_id, counts in pending.items():
            repository_id, parent_id = found.get(record_id, (None, None))
            if repository_id is not None:
                merge_counts(resolved, repository_id, counts)
            elif (
                record_id == ROOT_INFORMATION_OBJECT_ID
                or parent_id is None
                or parent_id == record_id
            ):
                merge_counts(resolved, None, counts)
            else:
                merge_counts(next_level, parent_id, counts)
        pending = next_level
    for counts in pending.values():
        merge_counts(resolved, None, counts)
    return resolved
