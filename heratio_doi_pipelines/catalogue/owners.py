"""Who created each description, so that they are mailed about its DOI: one query per chunk.

Heratio's own DOI service looks the owner up in ``information_object.created_by``, a column
AtoM's schema does not have, so on a real site its owner mail never goes out. Where a Heratio
site does record who created a description:

- ``security_audit_log``: the row Heratio's audit middleware writes for every description
  created on its screens or by an artisan command (``action = 'create'``, ``object_type =
  'information_object'``, ``object_id``, ``user_id``);
- ``ahg_audit_log``: the audit-trail package's row (``action = 'create'``, ``entity_type =
  'information_object'``, ``entity_id``, ``user_id``, ``user_email``).

The owner is the user of the earliest create row (a ``created_by`` column comes first on a
site that has one). Their address is AtoM's ``user.email`` (an account is an actor:
``user.id = actor.id``), else the address the audit row kept; nobody is mailed for an
inactive account or one whose mail bounced (Heratio's ``user.email_bounced_at``). Imported
descriptions have no create row, and then only the ops mailbox hears about them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from heratio_doi_pipelines.catalogue.batch import fetch_in_chunks, in_ids, unique_ids

INFORMATION_OBJECT = "information_object"
_SECURITY_LOG = sa.table(
    "security_audit_log",
    sa.column("id"),
    sa.column("object_id"),
    sa.column("object_type"),
    sa.column("user_id"),
    sa.column("action"),
)
_AUDIT_LOG = sa.table(
    "ahg_audit_log",
    sa.column("id"),
    sa.column("entity_id"),
    sa.column("entity_type"),
    sa.column("user_id"),
    sa.column("user_email"),
    sa.column("action"),
)


@dataclass(frozen=True)
class _Sources:
    users: bool  # AtoM's user table
    created_by: bool
    security_log: bool
    audit_log: bool
    bounced_column: bool

    @property
    def any(self) -> bool:
        return self.created_by or self.security_log or self.audit_log


class RecordOwners:
    """``owners(ids)`` -> {record id: the owner's address} for the records that have one.

    Read-only; the sources present are probed on first use (``refresh()`` forgets them).
    """

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._sources: _Sources | None = None

    def refresh(self) -> None:
        self._sources = None

    def __call__(self, ids: Iterable[int]) -> dict[int, str]:
        wanted = unique_ids(ids)
        sources = self._probe()
        if not wanted or not sources.any:
            return {}
        statement = _owners_statement(sources)
        with self.engine.connect() as conn:
            rows = fetch_in_chunks(conn, wanted, statement)
            conn.rollback()
        owners: dict[int, str] = {}
        decided: set[int] = set()
        for record_id, _rank, _row_id, email, kept_email, active, bounced in sorted(
            rows, key=lambda r: (r[0], r[1], r[2])
        ):
            record_id = int(record_id)  # MySQL may type a UNION of id columns as DECIMAL
            if record_id in decided:
                continue
            decided.add(record_id)  # the first creator is the owner, with an address or not
            address = (email or kept_email or "").strip()
            if address and active not in (0, False) and bounced is None:
                owners[record_id] = address
        return owners

    def _probe(self) -> _Sources:
        if self._sources is None:
            with self.engine.connect() as conn:
                inspector = sa.inspect(conn)
                tables = set(inspector.get_table_names())
                has_user = "user" in tables

                def columns(table: str) -> set[str]:
                    if table not in tables:
                        return set()
                    return {col["name"] for col in inspector.get_columns(table)}

                self._sources = _Sources(
                    users=has_user,
                    created_by=has_user and "created_by" in columns(INFORMATION_OBJECT),
                    security_log=has_user and "security_audit_log" in tables,
                    audit_log="ahg_audit_log" in tables,
                    bounced_column="email_bounced_at" in columns("user"),
                )
                conn.rollback()
        return self._sources


def _user_table(bounced_column: bool) -> sa.TableClause:
    columns: list[sa.ColumnClause[Any]] = [sa.column("id"), sa.column("email"), sa.column("active")]
    if bounced_column:
        columns.append(sa.column("email_bounced_at"))
    return sa.table("user", *columns)


def _owners_statement(sources: _Sources) -> sa.CompoundSelect | sa.Select:
    """(record id, source rank, row id, user email, kept email, active, bounced) from every
    source present. The two addresses stay apart (no COALESCE across tables): AtoM's and
    Heratio's tables may be in different collations, which MySQL refuses to mix."""
    user = _user_table(sources.bounced_column)
    bounced: Any = user.c.email_bounced_at if sources.bounced_column else sa.null()
    no_text: Any = sa.null()  # untyped: MySQL would give a CAST the connection collation
    parts: list[sa.Select] = []
    if sources.created_by:
        io = sa.table(INFORMATION_OBJECT, sa.column("id"), sa.column("created_by"))
        parts.append(
            sa.select(
                io.c.id, sa.literal(0), io.c.id, user.c.email, no_text, user.c.active, bounced
            )
            .select_from(io.join(user, user.c.id == io.c.created_by))
            .where(in_ids(io.c.id))
        )
    if sources.security_log:
        log = _SECURITY_LOG
        parts.append(
            sa.select(
                log.c.object_id,
                sa.literal(1),
                log.c.id,
                user.c.email,
                no_text,
                user.c.active,
                bounced,
            )
            .select_from(log.outerjoin(user, user.c.id == log.c.user_id))
            .where(
                in_ids(log.c.object_id),
                log.c.object_type == INFORMATION_OBJECT,
                log.c.action == "create",
            )
        )
    if sources.audit_log:
        audit = _AUDIT_LOG
        if sources.users:
            joined: Any = audit.outerjoin(user, user.c.id == audit.c.user_id)
            columns: tuple[Any, ...] = (user.c.email, audit.c.user_email, user.c.active, bounced)
        else:
            joined = audit
            columns = (no_text, audit.c.user_email, sa.literal(1), sa.null())
        parts.append(
            sa.select(audit.c.entity_id, sa.literal(2), audit.c.id, *columns)
            .select_from(joined)
            .where(
                in_ids(audit.c.entity_id),
                audit.c.entity_type == INFORMATION_OBJECT,
                audit.c.action == "create",
            )
        )
    return parts[0] if len(parts) == 1 else sa.union_all(*parts)
