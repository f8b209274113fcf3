"""Sample archive → mint queue → DataCite emulator, with the notifier on the processor."""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from heratio_doi_pipelines.cli import main
from heratio_doi_pipelines.defs.datacite.assets import minted_dois
from heratio_doi_pipelines.defs.shared.resources import DataCite, HeratioDatabase
from heratio_doi_pipelines.devtools.emulator import EmulatorConfig, EmulatorHandle, running_emulator
from heratio_doi_pipelines.devtools.sample_archive import generate_sample_archive
from heratio_doi_pipelines.notify import notification_settings, notifier_from_settings
from heratio_doi_pipelines.queue.enqueue import enqueue_mint_batch
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


def test_a_minted_batch_sends_one_digest(
    archive: sa.Engine, emulator: EmulatorHandle, smtp: MailServer
) -> None:
    queued = enqueue_mint_batch(archive, archive, all_without_doi=True, cap=10_000)
    overrides = _overrides(emulator, smtp.host, smtp.port)
    notifier = notifier_from_settings(notification_settings(archive, overrides))
    assert notifier is not None

    report = process_queue(archive, archive, overrides=overrides, limit=1000, listener=notifier)
    mail = notifier.flush()

    counts = report.counts
    assert report.claimed == queued.count and counts["completed"] > 0
    assert (mail.sent, mail.failed) == (1, 0)
    [received] = smtp.mails
    assert received.rcpt_tos == [OPS]
    assert f"{queued.count} item(s): {counts['completed']} completed" in received.body
    for outcome in report.outcomes:
        if outcome.status == "failed":
            assert f"\n{outcome.record_id} " in received.body
    first = min(o.record_id for o in report.outcomes if o.status == "completed")
    minted = next(o for o in report.outcomes if o.record_id == first)
    assert f"record {first}: mint {minted.doi} (findable)" in received.body
    assert PASSWORD not in received.raw.decode("utf-8", "replace")


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
    assert "mail: 0 mail(s) sent, 1 failed" in down.output
    assert "ConnectionRefusedError" in down.output
    assert len(_findable(archive)) >= 1

    up = CliRunner().invoke(
        main, ["process", "--limit", "5"], env={**env, "SMTP_PORT": str(smtp.port)}
    )
    assert up.exit_code == 0, up.output
    assert "mail: 1 mail(s) sent, 0 failed" in up.output
    assert [m.rcpt_tos for m in smtp.mails] == [[OPS]]


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
    assert metadata["completed"] > 0
    assert _findable(archive)
    if mail_up:
        assert (metadata["emails_sent"], metadata["email_errors"]) == (1, 0)
        assert [m.rcpt_tos for m in smtp.mails] == [[OPS]]
    else:
        assert (metadata["emails_sent"], metadata["email_errors"]) == (0, 1)
        assert smtp.mails == []
