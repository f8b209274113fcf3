"""Sample archive → mint queue → DataCite emulator, with the notifier on the processor."""

from __future__ import annotations

import re
from collections.abc import Iterator

import dagster as dg
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from heratio_doi_pipelines.catalogue import atom_tables
from heratio_doi_pipelines.catalogue.owners import RecordOwners
from heratio_doi_pipelines.cli import main
from heratio_doi_pipelines.defs.datacite.assets import minted_dois
from heratio_doi_pipelines.defs.shared.resources import DataCite, HeratioDatabase
from heratio_doi_pipelines.devtools.emulator import EmulatorConfig, EmulatorHandle, running_emulator
from heratio_doi_pipelines.devtools.sample_archive import generate_sample_archive
from heratio_doi_pipelines.notify import notification_settings, notifier_from_settings
from heratio_doi_pipelines.queue.batch_mint import enqueue_mint_batch
from heratio_doi_pipelines.queue.processor import process_queue
from heratio_doi_pipelines.store.tables import ahg_doi

from .conftest import MailServer

REPOSITORY_ID = "HERATIO.MAIL"
PASSWORD = "mail-test-datacite-S3cret"
OPS = "ops@archive.example.org"


@pytest.fixture(scope="module")
def _emulator() -> Iterator[EmulatorHandle]:
    config = EmulatorConfig(prefix="10.5072", repository_id=REPOSITORY_ID, password=PASSWORD)
    with running_emulator(config) as handle:
        yield handle


@pytest.fixture
def emulator(_emulator: EmulatorHandle) -> Iterator[EmulatorHandle]:
    _emulator.reset()
    yield _emulator
    _emulator.reset()


@pytest.fixture
def archive(engine: sa.Engine) -> sa.Engine:
    generate_sample_archive(engine, records=30, seed=5)
    return engine


def _overrides(emulator: EmulatorHandle, host: str, port: int) -> dict[str, object]:
    return {
        "datacite_url": emulator.url,
        "repository_id": REPOSITORY_ID,
        "password": PASSWORD,
        "prefix": "10.5072",
        "base_url": "https://archive.example.org",
        "smtp_host": host,
        "smtp_port": port,
        "failure_notify": OPS,
    }


def _findable(engine: sa.Engine) -> set[int]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(ahg_doi.c.information_object_id).where(ahg_doi.c.status == "findable")
        )
        return {r.information_object_id for r in rows}


def _creators(engine: sa.Engine) -> dict[int, str]:
    """The sample's record -> its creator's address, straight from Heratio's audit log."""
    log, user = atom_tables.security_audit_log, atom_tables.user
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(log.c.object_id, user.c.email)
            .join(user, user.c.id == log.c.user_id)
            .where(log.c.action == "create", user.c.email.is_not(None))
        ).all()
    return {record_id: email for record_id, email in rows}


def test_a_minted_batch_sends_one_digest_to_ops_and_one_to_each_owner(
    archive: sa.Engine, emulator: EmulatorHandle, smtp: MailServer
) -> None:
    queued = enqueue_mint_batch(archive, archive, all_without_doi=True, cap=10_000)
    overrides = _overrides(emulator, smtp.host, smtp.port)
    notifier = notifier_from_settings(
        notification_settings(archive, overrides), owner_lookup=RecordOwners(archive)
    )
    assert notifier is not None

    report = process_queue(archive, archive, overrides=overrides, limit=1000, listener=notifier)
    mail = notifier.flush()

    counts = report.counts
    assert report.claimed == queued.count and counts["completed"] > 0
    creators = _creators(archive)
    owners = {creators[o.record_id] for o in report.outcomes if o.record_id in creators}
    assert len(owners) == 2  # the sample's accounts with an address; its import account has none
    assert (mail.sent, mail.failed) == (1 + len(owners), 0)
    boxes = smtp.by_recipient()
    assert sorted(boxes) == sorted({OPS} | owners)
    for owner in owners:
        [theirs] = boxes[owner]
        mine = [o for o in report.outcomes if creators.get(o.record_id) == owner]
        assert f"{len(mine)} item(s):" in theirs.body
        others = [o for o in report.outcomes if creators.get(o.record_id) != owner]
        assert all(f"record {o.record_id}:" not in theirs.body for o in others)
        done = next(o for o in mine if o.status == "completed")
        assert done.title and done.doi and done.url
        assert f"record {done.record_id}: mint {done.doi} (findable)" in theirs.body
        assert f"https://doi.org/{done.doi}" in theirs.body
        assert done.url.startswith("https://archive.example.org/") and done.url in theirs.body
    [received] = boxes[OPS]
    assert received.rcpt_tos == [OPS]
    assert f"{queued.count} item(s): {counts['completed']} completed" in received.body
    for outcome in report.outcomes:
        if outcome.status == "failed":
            assert f"\n{outcome.record_id} " in received.body
    first = min(o.record_id for o in report.outcomes if o.status == "completed")
    minted = next(o for o in report.outcomes if o.record_id == first)
    assert f"record {first}: mint {minted.doi} (findable)" in received.body
    assert PASSWORD not in received.raw.decode("utf-8", "replace")
    failed = [o for o in report.outcomes if o.status == "failed"]
    assert failed and all(f"Reason:  {o.message}"[:60] in received.body for o in failed)


def test_a_mail_server_that_is_down_fails_no_mint(
    archive: sa.Engine, emulator: EmulatorHandle, closed_port: int
) -> None:
    queued = enqueue_mint_batch(archive, archive, all_without_doi=True, cap=10_000)
    overrides = _overrides(emulator, "127.0.0.1", closed_port)
    notifier = notifier_from_settings(
        notification_settings(archive, overrides), notify_on={"completed", "failed", "retry"}
    )
    assert notifier is not None

    report = process_queue(archive, archive, overrides=overrides, limit=1000, listener=notifier)
    mail = notifier.flush()

    assert report.claimed == queued.count
    assert {o.status for o in report.outcomes} <= {"completed", "failed"}
    completed = {o.record_id for o in report.outcomes if o.status == "completed"}
    assert completed and _findable(archive) == completed
    assert len(emulator.state.dois) == len(completed)
    assert (mail.sent, mail.failed) == (0, 1)
    assert "ConnectionRefusedError" in mail.errors[0]


def test_cli_process_mails_and_survives_a_dead_mail_server(
    archive: sa.Engine,
    db_url: str,
    emulator: EmulatorHandle,
    smtp: MailServer,
    closed_port: int,
) -> None:
    enqueue_mint_batch(archive, archive, all_without_doi=True, cap=10_000)
    env = {
        "HERATIO_DOI_DB_URL": db_url,
        "DATACITE_URL": emulator.url,
        "DATACITE_REPOSITORY_ID": REPOSITORY_ID,
        "DATACITE_PASSWORD": PASSWORD,
        "DATACITE_PREFIX": "10.5072",
        "HERATIO_BASE_URL": "https://archive.example.org",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(closed_port),
        "DOI_FAILURE_NOTIFY": OPS,
    }
    down = CliRunner().invoke(main, ["process", "--limit", "5"], env=env)
    assert down.exit_code == 0, down.output
    assert re.search(r"mail: 0 mail\(s\) sent, [1-9]\d* failed", down.output)
    assert "ConnectionRefusedError" in down.output
    assert len(_findable(archive)) >= 1

    up = CliRunner().invoke(
        main, ["process", "--limit", "5"], env={**env, "SMTP_PORT": str(smtp.port)}
    )
    assert up.exit_code == 0, up.output
    assert "mail: " in up.output and ", 0 failed" in up.output
    assert OPS in smtp.by_recipient()
    assert set(smtp.by_recipient()) - {OPS} <= set(_creators(archive).values())


@pytest.mark.parametrize("mail_up", [True, False], ids=["mail-up", "mail-down"])
def test_minted_dois_asset_reports_mail_in_its_metadata(
    archive: sa.Engine,
    db_url: str,
    emulator: EmulatorHandle,
    smtp: MailServer,
    closed_port: int,
    monkeypatch: pytest.MonkeyPatch,
    mail_up: bool,
) -> None:
    enqueue_mint_batch(archive, archive, all_without_doi=True, cap=10_000)
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(smtp.port if mail_up else closed_port))
    monkeypatch.setenv("DOI_FAILURE_NOTIFY", OPS)
    monkeypatch.setenv("DATACITE_PASSWORD", PASSWORD)
    result = dg.materialize(
        [minted_dois],
        resources={
            "heratio_db": HeratioDatabase(doi_db_url=db_url),
            "datacite": DataCite(
                datacite_url=emulator.url,
                repository_id=REPOSITORY_ID,
                prefix="10.5072",
                base_url="https://archive.example.org",
            ),
        },
    )
    assert result.success  # a dead mail server does not fail the step
    [materialization] = result.asset_materializations_for_node("minted_dois")
    metadata = {key: value.value for key, value in materialization.metadata.items()}
    assert metadata["completed_items"] > 0
    assert _findable(archive)
    if mail_up:
        boxes = smtp.by_recipient()
        assert (metadata["emails_sent"], metadata["email_errors"]) == (len(boxes), 0)
        assert OPS in boxes and len(boxes) > 1  # the owners too
        assert set(boxes) - {OPS} <= set(_creators(archive).values())
    else:
        assert metadata["emails_sent"] == 0 and metadata["email_errors"] >= 1
        assert smtp.mails == []
