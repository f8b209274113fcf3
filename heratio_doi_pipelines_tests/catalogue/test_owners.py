"""Who created a description (the owner who is mailed about its DOI), on every backend."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from heratio_doi_pipelines.catalogue.owners import RecordOwners
from heratio_doi_pipelines_tests.catalogue.conftest import AtomBuilder

EARLY, LATE = datetime(2024, 1, 1, 9, 0, 0), datetime(2024, 2, 1, 9, 0, 0)


def _created(atom: AtomBuilder, record_id: int, user_id: int | None, when: datetime) -> None:
    atom.sidecar(
        "security_audit_log",
        object_id=record_id,
        object_type="information_object",
        user_id=user_id,
        action="create",
        action_category="admin",
        created_at=when,
    )


def test_the_creator_in_heratios_audit_log_owns_the_record(atom: AtomBuilder) -> None:
    atom.with_heratio_tables()
    for record_id in (10, 11, 12, 13, 14, 15):
        atom.description(record_id)
    atom.user(500, "archivist", "archivist@archive.example.org")
    atom.user(501, "editor", "editor@archive.example.org")
    atom.user(502, "importer", None)
    atom.user(503, "former", "former@archive.example.org", active=0)
    _created(atom, 10, 500, EARLY)
    _created(atom, 11, 501, EARLY)
    atom.sidecar(  # a later edit by someone else does not change the owner
        "security_audit_log",
        object_id=11,
        object_type="information_object",
        user_id=500,
        action="update",
        created_at=LATE,
    )
    atom.sidecar(  # a create row of another kind of object with the same id is not it
        "security_audit_log", object_id=12, object_type="actor", user_id=500, action="create"
    )
    _created(atom, 13, 502, EARLY)  # the creator has no address: nobody else is picked
    _created(atom, 13, 500, LATE)
    _created(atom, 14, 503, EARLY)  # inactive account
    # 15: imported, no create row

    owners = RecordOwners(atom.engine)
    assert owners([10, 11, 12, 13, 14, 15, 1, 10]) == {
        10: "archivist@archive.example.org",
        11: "editor@archive.example.org",
    }
    assert owners([]) == {}


def test_the_audit_trail_table_and_a_created_by_column_are_read_too(
    atom: AtomBuilder,
) -> None:
    for record_id in (20, 21, 22):
        atom.description(record_id)
    atom.user(600, "curator", "curator@archive.example.org")
    atom.user(601, "bounced", "bounced@archive.example.org")
    with atom.engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE ahg_audit_log (id INTEGER PRIMARY KEY, user_id INTEGER, "
            "user_email VARCHAR(255), action VARCHAR(50) NOT NULL, entity_type VARCHAR(100) "
            "NOT NULL, entity_id INTEGER)"
        )
        conn.exec_driver_sql("ALTER TABLE information_object ADD created_by INTEGER")
        user_table = conn.dialect.identifier_preparer.quote("user")
        conn.exec_driver_sql(f"ALTER TABLE {user_table} ADD email_bounced_at TIMESTAMP NULL")
        audit = sa.table(
            "ahg_audit_log",
            sa.column("id"),
            sa.column("user_id"),
            sa.column("user_email"),
            sa.column("action"),
            sa.column("entity_type"),
            sa.column("entity_id"),
        )
        conn.execute(
            audit.insert(),
            [
                {
                    "id": 1,
                    "user_id": 600,
                    "user_email": None,
                    "action": "create",
                    "entity_type": "information_object",
                    "entity_id": 20,
                },
                {
                    "id": 2,
                    "user_id": None,
                    "user_email": "Legacy@Archive.example.org",
                    "action": "create",
                    "entity_type": "information_object",
                    "entity_id": 21,
                },
                {
                    "id": 3,
                    "user_id": 600,
                    "user_email": None,
                    "action": "create",
                    "entity_type": "information_object",
                    "entity_id": 22,
                },
            ],
        )
        io = sa.table("information_object", sa.column("id"), sa.column("created_by"))
        conn.execute(io.update().where(io.c.id == 22).values(created_by=601))
        user = sa.table("user", sa.column("id"), sa.column("email_bounced_at"))
        conn.execute(user.update().where(user.c.id == 601).values(email_bounced_at=LATE))

    assert RecordOwners(atom.engine)([20, 21, 22]) == {
        20: "curator@archive.example.org",
        21: "Legacy@Archive.example.org",
        # 22: created_by (read first) names an account whose mail bounced: no owner mail
    }


def test_no_owner_source_means_no_owners(atom: AtomBuilder) -> None:
    atom.description(30)
    owners = RecordOwners(atom.engine)
    assert owners([30]) == {}
    with atom.engine.connect() as conn:
        assert "security_audit_log" not in sa.inspect(conn).get_table_names()
