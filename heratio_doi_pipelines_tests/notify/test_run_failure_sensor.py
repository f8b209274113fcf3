"""The run-failure sensor mails the ops mailbox, through Dagster's own sensor machinery."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from heratio_doi_pipelines.db import make_engine
from heratio_doi_pipelines.definitions import defs
from heratio_doi_pipelines.defs.datacite.sensors import run_failure_email_sensor
from heratio_doi_pipelines.defs.shared.resources import DataCite, HeratioDatabase
from heratio_doi_pipelines.devtools.sample_archive import generate_sample_archive
from heratio_doi_pipelines.store.schema import init_database
from heratio_doi_pipelines.store.tables import ahg_settings

from .conftest import SMTP_PASSWORD, SMTP_USER, MailServer

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

DATACITE_PASSWORD = "datacite-Pa55-for-sensor-test"
OPS = ["ops@archive.example.org", "curator@archive.example.org"]


@dg.op
def call_datacite() -> None:
    # A careless error text that quotes the password: the mail must mask it.
    raise dg.Failure(description=f"DataCite unreachable (login {DATACITE_PASSWORD} refused)")


@dg.job
def failing_job() -> None:
    call_datacite()


@dg.op
def fine() -> None:
    pass


@dg.job
def passing_job() -> None:
    fine()


def _use_mail_server(monkeypatch: pytest.MonkeyPatch, server: MailServer) -> None:
    monkeypatch.setenv("SMTP_HOST", server.host)
    monkeypatch.setenv("SMTP_PORT", str(server.port))
    monkeypatch.setenv("SMTP_FROM", "dagster@archive.example.org")
    monkeypatch.setenv("DATACITE_PASSWORD", DATACITE_PASSWORD)


def _tick(
    instance: dg.DagsterInstance, resources: dict[str, object], cursor: str | None
) -> tuple[str | None, list]:
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources)
    data = run_failure_email_sensor.evaluate_tick(context)
    return data.cursor, list(data.dagster_run_reactions or [])


def test_a_failed_run_is_mailed_to_every_ops_address(
    db_url: str,
    engine: sa.Engine,
    smtp_with_auth: MailServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Recipients from ahg_settings, the server from the environment, the SMTP password from
    the Dagster resource (as ``dg.EnvVar`` binds it in the code location)."""
    with engine.begin() as conn:  # init seeds Heratio's doi settings; set the ops addresses
        conn.execute(
            ahg_settings.update()
            .where(ahg_settings.c.setting_key == "doi_failure_notify")
            .values(setting_value="; ".join(OPS))
        )
    _use_mail_server(monkeypatch, smtp_with_auth)
    monkeypatch.setenv("SMTP_USER", SMTP_USER)
    monkeypatch.setenv("SMTP_PASSWORD", SMTP_PASSWORD)
    resources: dict[str, object] = {
        "heratio_db": HeratioDatabase(doi_db_url=db_url),
        "datacite": DataCite(),
    }
    caplog.set_level(logging.DEBUG)
    with dg.instance_for_test() as instance:
        cursor, _ = _tick(instance, resources, None)  # the first tick only sets the cursor
        assert passing_job.execute_in_process(instance=instance).success
        failed = failing_job.execute_in_process(instance=instance, raise_on_error=False)
        assert not failed.success

        cursor, reactions = _tick(instance, resources, cursor)
        assert [r.dagster_run.run_id for r in reactions] == [failed.run_id]
        assert all(r.error is None for r in reactions)
        _tick(instance, resources, cursor)  # already reported: nothing more

    assert smtp_with_auth.logins == [(SMTP_USER, SMTP_PASSWORD)]
    assert sorted(smtp_with_auth.by_recipient()) == sorted(OPS)
    assert len(smtp_with_auth.mails) == 2
    mail = smtp_with_auth.mails[0]
    assert mail.mail_from == "dagster@archive.example.org"
    assert mail.message["Subject"] == f"[Heratio DOI] run failed: failing_job ({failed.run_id[:8]})"
    body = mail.body
    assert "Job:     failing_job" in body
    assert f"Run id:  {failed.run_id}" in body
    assert 'Execution of run for "failing_job" failed' in body
    assert "call_datacite: DataCite unreachable (login *** refused)" in body

    encoded = base64.b64encode(f"\0{SMTP_USER}\0{SMTP_PASSWORD}".encode()).decode()
    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail."))
    for text in [m.raw.decode("utf-8", "replace") for m in smtp_with_auth.mails] + [ours]:
        for secret in (SMTP_PASSWORD, encoded, DATACITE_PASSWORD):
            assert secret not in text


def test_a_mint_run_of_unknown_records_fails_and_is_mailed(
    tmp_path: Path, smtp: MailServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_url = f"sqlite:///{tmp_path / 'site.db'}"
    site = make_engine(db_url)
    init_database(site)
    generate_sample_archive(site, records=5, seed=3)
    site.dispose()
    _use_mail_server(monkeypatch, smtp)
    monkeypatch.setenv("DOI_FAILURE_NOTIFY", OPS[0])
    monkeypatch.setenv("HERATIO_DOI_DB_URL", db_url)
    resources: dict[str, object] = {
        "heratio_db": HeratioDatabase(doi_db_url=db_url),
        "datacite": DataCite(),
    }
    mint_job = defs().resolve_job_def("mint_job")
    batch = {"ops": {"pending_records": {"config": {"record_ids": [424242]}}}}
    with dg.instance_for_test() as instance:
        cursor, _ = _tick(instance, resources, None)
        failed = mint_job.execute_in_process(
            instance=instance, run_config=batch, raise_on_error=False
        )
        assert not failed.success
        _, reactions = _tick(instance, resources, cursor)
    assert [r.dagster_run.run_id for r in reactions] == [failed.run_id]
    [mail] = smtp.mails
    assert mail.message["Subject"] == f"[Heratio DOI] run failed: mint_job ({failed.run_id[:8]})"
    assert (
        "pending_records: 1 record id(s) are not descriptions in the catalogue: 424242" in mail.body
    )


def test_a_broken_mail_server_does_not_break_the_sensor(
    tmp_path: Path, closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No DOI tables either (the run may have failed for that): the environment is enough."""
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(closed_port))
    monkeypatch.setenv("DOI_FAILURE_NOTIFY", OPS[0])
    resources: dict[str, object] = {
        "heratio_db": HeratioDatabase(doi_db_url=f"sqlite:///{tmp_path / 'empty.db'}"),
        "datacite": DataCite(),
    }
    with dg.instance_for_test() as instance:
        cursor, _ = _tick(instance, resources, None)
        failed = failing_job.execute_in_process(instance=instance, raise_on_error=False)
        _, reactions = _tick(instance, resources, cursor)
    assert [r.dagster_run.run_id for r in reactions] == [failed.run_id]
    assert all(r.error is None for r in reactions)  # the sensor itself did not fail


def test_the_sensor_can_be_called_directly_on_a_failure_event(
    smtp: MailServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use_mail_server(monkeypatch, smtp)
    monkeypatch.setenv("DOI_FAILURE_NOTIFY", OPS[1])
    with dg.instance_for_test() as instance:
        failed = failing_job.execute_in_process(instance=instance, raise_on_error=False)
        context = dg.build_run_status_sensor_context(
            sensor_name=run_failure_email_sensor.name,
            dagster_instance=instance,
            dagster_run=failed.dagster_run,
            dagster_event=failed.get_run_failure_event(),
            resources={
                "heratio_db": HeratioDatabase(doi_db_url=f"sqlite:///{tmp_path / 'x.db'}"),
                "datacite": DataCite(),
            },
        )
        run_failure_email_sensor(context)
    assert [m.rcpt_tos for m in smtp.mails] == [[OPS[1]]]
    assert f"Run id:  {failed.run_id}" in smtp.mails[0].body


def test_sensor_is_on_by_default_and_uses_the_shared_resources() -> None:
    assert run_failure_email_sensor.name == "run_failure_email_sensor"
    assert run_failure_email_sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert run_failure_email_sensor.required_resource_keys == {"heratio_db", "datacite"}
