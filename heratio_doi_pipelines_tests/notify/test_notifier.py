"""The e-mail notifier against a real SMTP server on loopback."""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Sequence
from dataclasses import replace

import pytest

from heratio_doi_pipelines.notify import (
    EmailNotifier,
    NotifierReport,
    RunFailure,
    notifier_from_settings,
    parse_recipients,
    send_run_failure_mail,
)
from heratio_doi_pipelines.queue.lifecycle import Outcome
from heratio_doi_pipelines.settings import DoiSettings

from .conftest import (
    SMTP_PASSWORD,
    SMTP_USER,
    MailServer,
    client_tls_context,
    mail_server,
)

# The auth tests ask aiosmtpd for AUTH without TLS on purpose (SMTP_STARTTLS off).
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

OPS = "ops@archive.example.org"
CURATOR = "curator@archive.example.org"


def _settings(server: MailServer | None = None, **values: object) -> DoiSettings:
    base = DoiSettings(
        smtp_from="heratio-doi@archive.example.org",
        failure_notify=f"{OPS}, {CURATOR}",
        password="datacite-S3cret",
    )
    if server is not None:
        base = replace(base, smtp_host=server.host, smtp_port=server.port)
    return replace(base, **values)  # type: ignore[arg-type]


def _outcome(record_id: int, status: str, message: str = "") -> Outcome:
    minted = status in ("completed", "skipped")
    return Outcome(
        item_id=1000 + record_id,
        record_id=record_id,
        action="mint",
        status=status,
        doi=f"10.5072/h/2026/{record_id}" if minted else None,
        state="findable" if minted else None,
        message=message,
    )


def _batch() -> list[Outcome]:
    """100 outcomes: 90 minted, 3 to retry, 7 failed."""
    outcomes = [_outcome(i, "completed") for i in range(1, 91)]
    outcomes += [_outcome(i, "retry", "HTTP 503 from DataCite") for i in range(91, 94)]
    outcomes += [
        _outcome(i, "failed", f"metadata invalid: record {i} has no title") for i in range(94, 101)
    ]
    return outcomes


def _record_from_threads(
    notifier: EmailNotifier, outcomes: list[Outcome], settings: DoiSettings
) -> None:
    """Outcomes arrive from the processor's worker threads."""
    chunks = [outcomes[i::8] for i in range(8)]
    threads = [
        threading.Thread(target=lambda c=c: [notifier.record(o, settings) for o in c])
        for c in chunks
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _our_log_text(caplog: pytest.LogCaptureFixture) -> str:
    # "mail.log" is aiosmtpd, the stand-in for the remote server: what it logs is not ours.
    return "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail."))


def test_digest_sends_one_mail_per_recipient_with_counts(smtp: MailServer) -> None:
    settings = _settings(smtp)
    notifier = EmailNotifier(settings)
    assert notifier.digest is True  # Heratio's default
    _record_from_threads(notifier, _batch(), settings)
    assert notifier.pending == 100
    assert smtp.mails == []  # nothing leaves during the batch

    report = notifier.flush()

    assert report == NotifierReport(sent=2, failed=0)
    boxes = smtp.by_recipient()
    assert sorted(boxes) == sorted([OPS, CURATOR])
    assert all(len(mails) == 1 for mails in boxes.values())
    mail = boxes[OPS][0]
    assert mail.mail_from == "heratio-doi@archive.example.org"
    assert mail.message["To"] == OPS
    assert mail.message["Auto-Submitted"] == "auto-generated"
    assert "100 item(s): 90 completed, 3 to retry, 7 failed" in mail.message["Subject"]
    body = mail.body
    assert "100 item(s): 90 completed, 3 to retry, 7 failed" in body
    assert "Failed (7):" in body
    for record_id in range(94, 101):
        assert f"metadata invalid: record {record_id} has no title" in body
    assert "Completed (90, first 50 shown):" in body
    assert "record 1: mint 10.5072/h/2026/1 (findable)" in body
    assert "record 51: mint" not in body
    assert "… and 40 more" in body
    assert "HTTP 503" not in body  # retries are counted, not listed
    assert notifier.pending == 0
    assert notifier.flush() == NotifierReport()  # nothing new: no mail


def test_per_outcome_mode_sends_one_mail_per_outcome(smtp: MailServer) -> None:
    settings = _settings(smtp, failure_notify=OPS, notify_digest=False)
    notifier = notifier_from_settings(settings)
    assert notifier is not None and notifier.digest is False
    outcomes = [_outcome(i, "completed") for i in range(1, 6)]
    outcomes += [_outcome(6, "failed", "DataCite refused the metadata: 422 titles missing")]
    outcomes += [_outcome(7, "retry", "HTTP 502"), _outcome(8, "skipped")]
    _record_from_threads(notifier, outcomes, settings)

    report = notifier.flush()

    assert (report.sent, report.failed) == (6, 0)
    subjects = sorted(m.message["Subject"] for m in smtp.mails)
    assert subjects == sorted(
        [f"[Heratio DOI] mint done: record {i} 10.5072/h/2026/{i} (findable)" for i in range(1, 6)]
        + ["[Heratio DOI] mint failed: record 6"]
    )
    failed = next(m for m in smtp.mails if "record 6" in m.message["Subject"])
    assert "DataCite refused the metadata: 422 titles missing" in failed.body
    assert {tuple(m.rcpt_tos) for m in smtp.mails} == {(OPS,)}


def test_which_outcomes_are_mailed_is_configurable(smtp: MailServer) -> None:
    settings = _settings(smtp, failure_notify=OPS)
    only_failures = EmailNotifier(settings, notify_on={"failed"})
    for i in range(1, 4):
        only_failures.record(_outcome(i, "completed"), settings)
    assert only_failures.flush() == NotifierReport()
    assert smtp.mails == []

    with_retries = EmailNotifier(settings, notify_on={"failed", "retry"}, digest=False)
    with_retries.record(_outcome(1, "retry", "HTTP 503"), settings)
    with_retries.record(_outcome(2, "completed"), settings)
    assert with_retries.flush().sent == 1
    assert smtp.mails[0].message["Subject"] == "[Heratio DOI] mint to retry: record 1"


def test_recipients_split_on_commas_semicolons_and_whitespace(
    smtp: MailServer, caplog: pytest.LogCaptureFixture
) -> None:
    text = (
        "a@example.org,b@example.org;c@example.org\n d@example.org\te@example.org ,;, "
        "not-an-address  A@EXAMPLE.org <f@example.org> g@@example.org h@localhost"
    )
    with caplog.at_level(logging.WARNING):
        parsed = parse_recipients(text)
    assert parsed.valid == (
        "a@example.org",
        "b@example.org",
        "c@example.org",
        "d@example.org",
        "e@example.org",
        "f@example.org",
        "h@localhost",
    )
    assert parsed.invalid == ("not-an-address", "g@@example.org")
    assert "'not-an-address' is not a mail address" in caplog.text
    assert parse_recipients("").valid == parse_recipients(None).valid == ()

    settings = _settings(smtp, failure_notify=text)
    notifier = EmailNotifier(settings)
    notifier.record(_outcome(1, "failed", "boom"), settings)
    report = notifier.flush()
    assert report.sent == 7
    assert report.dropped_recipients == ["not-an-address", "g@@example.org"]
    assert sorted(smtp.by_recipient()) == sorted(parsed.valid)


def test_record_owner_gets_their_own_records_only(
    smtp: MailServer, caplog: pytest.LogCaptureFixture
) -> None:
    owners = {1: "alice@example.org", 2: "alice@example.org", 3: "bob@example.org", 4: "no address"}
    asked: list[list[int]] = []

    def owners_of(record_ids: Sequence[int]) -> dict[int, str]:
        asked.append(list(record_ids))
        return {i: owners[i] for i in record_ids if i in owners}

    settings = _settings(smtp, failure_notify=OPS)
    notifier = notifier_from_settings(settings, owner_lookup=owners_of)
    assert notifier is not None
    for i in range(1, 7):
        notifier.record(_outcome(i, "failed" if i == 3 else "completed"), settings)
    with caplog.at_level(logging.WARNING):
        report = notifier.flush()

    assert asked == [[1, 2, 3, 4, 5, 6]]  # one lookup for the whole batch
    assert (report.sent, report.failed) == (3, 0)
    assert report.dropped_recipients == ["no address"]
    boxes = smtp.by_recipient()
    assert "6 item(s): 5 completed, 1 failed" in boxes[OPS][0].body
    assert "2 item(s): 2 completed" in boxes["alice@example.org"][0].body
    assert "1 item(s): 1 failed" in boxes["bob@example.org"][0].body
    assert "owner of record 4 has an invalid address 'no address'" in caplog.text

    # Without ops addresses a notifier exists only when owners can be looked up.
    assert notifier_from_settings(replace(settings, failure_notify="")) is None
    assert notifier_from_settings(replace(settings, failure_notify=""), owner_lookup=owners_of)


def test_a_failing_owner_lookup_still_mails_ops(
    smtp: MailServer, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(record_ids: Sequence[int]) -> dict[int, str]:
        raise LookupError("owner table unavailable")

    settings = _settings(smtp, failure_notify=OPS)
    notifier = notifier_from_settings(settings, owner_lookup=broken)
    assert notifier is not None
    notifier.record(_outcome(1, "completed"), settings)
    with caplog.at_level(logging.WARNING):
        report = notifier.flush()
    assert (report.sent, report.failed) == (1, 0)
    assert [m.rcpt_tos for m in smtp.mails] == [[OPS]]
    assert "owners of 1 record(s) not looked up: LookupError" in caplog.text


def test_mails_show_title_resolver_link_state_record_page_and_reason(smtp: MailServer) -> None:
    settings = _settings(smtp, failure_notify=OPS, notify_digest=False)
    minted = replace(
        _outcome(1, "completed"), title="Letters home, 1914", url="https://archive.example.org/l"
    )
    failed = replace(
        _outcome(2, "failed", "invalid metadata: titles: no title"),
        url="https://archive.example.org/untitled-2",
    )
    notifier = EmailNotifier(settings)
    notifier.record(minted, settings)
    notifier.record(failed, settings)
    assert notifier.flush().sent == 2
    by_subject = {m.message["Subject"]: m.body.replace("\r\n", "\n") for m in smtp.mails}
    done = by_subject["[Heratio DOI] mint done: record 1 10.5072/h/2026/1 (findable)"]
    assert "Title:   Letters home, 1914" in done
    assert "Record:  1  https://archive.example.org/l" in done
    assert "DOI:     10.5072/h/2026/1  https://doi.org/10.5072/h/2026/1" in done
    assert "State:   findable" in done
    refused = by_subject["[Heratio DOI] mint failed: record 2"]
    assert "Title:   (untitled)" in refused
    assert "Record:  2  https://archive.example.org/untitled-2" in refused
    assert "Reason:\ninvalid metadata: titles: no title" in refused

    smtp.mails.clear()
    digest = EmailNotifier(replace(settings, notify_digest=True))
    digest.record(minted, settings)
    digest.record(failed, settings)
    assert digest.flush().sent == 1
    body = smtp.mails[0].body.replace("\r\n", "\n")
    assert "record 1: mint 10.5072/h/2026/1 (findable)\n      Title:   Letters home, 1914\n" in body
    assert "      DOI:     https://doi.org/10.5072/h/2026/1\n" in body
    assert "      Record:  https://archive.example.org/l\n" in body
    assert (
        "\n2 mint\n    Title:   (untitled)\n    Record:  https://archive.example.org/untitled-2\n"
        "    Reason:  invalid metadata: titles: no title\n"
    ) in body


def test_no_notifier_without_an_smtp_host_or_recipients() -> None:
    assert notifier_from_settings(DoiSettings()) is None
    assert notifier_from_settings(DoiSettings(failure_notify=OPS)) is None
    assert notifier_from_settings(DoiSettings(smtp_host="127.0.0.1")) is None
    assert notifier_from_settings(DoiSettings(smtp_host="127.0.0.1", failure_notify="x y")) is None
    assert notifier_from_settings(DoiSettings(smtp_host="127.0.0.1", failure_notify=OPS))


def test_smtp_auth_works_and_the_password_is_never_shown(
    smtp_with_auth: MailServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = smtp_with_auth
    settings = _settings(server, smtp_user=SMTP_USER, smtp_password=SMTP_PASSWORD)
    assert settings.smtp_starttls is False
    notifier = EmailNotifier(settings)
    # A message that quotes the password (an echoing server, a careless error) is masked.
    _record_from_threads(
        notifier, [*_batch(), _outcome(200, "failed", f"rejected {SMTP_PASSWORD}")], settings
    )
    report = notifier.flush()

    assert (report.sent, report.failed) == (2, 0)
    assert server.logins == [(SMTP_USER, SMTP_PASSWORD)]
    assert "rejected ***" in server.mails[0].body

    wrong = _settings(server, smtp_user=SMTP_USER, smtp_password="Wrong-S3cret-guess")
    refused = EmailNotifier(wrong)
    refused.record(_outcome(1, "failed", "boom"), wrong)
    bad = refused.flush()
    assert (bad.sent, bad.failed) == (0, 2)
    assert "SMTPAuthenticationError" in bad.errors[0]
    assert f"{server.host}:{server.port}" in bad.errors[0]
    assert len(server.mails) == 2

    texts = [m.raw.decode("utf-8", "replace") for m in server.mails]
    texts += [repr(report), repr(bad), report.summary(), bad.summary(), _our_log_text(caplog)]
    texts += [repr(notifier.smtp), repr(settings)]
    for secret in (SMTP_PASSWORD, "Wrong-S3cret-guess"):
        encoded = base64.b64encode(f"\0{SMTP_USER}\0{secret}".encode()).decode()
        for text in texts:
            assert secret not in text and encoded not in text


def test_starttls_upgrades_before_the_login(caplog: pytest.LogCaptureFixture) -> None:
    with mail_server(password=SMTP_PASSWORD, starttls=True) as server:
        settings = _settings(
            server, smtp_user=SMTP_USER, smtp_password=SMTP_PASSWORD, smtp_starttls=True
        )
        notifier = EmailNotifier(settings, ssl_context=client_tls_context())
        notifier.record(_outcome(1, "completed"), settings)
        assert notifier.flush() == NotifierReport(sent=2)
        assert server.logins == [(SMTP_USER, SMTP_PASSWORD)]

        # The same server without STARTTLS on our side: it requires TLS, nothing is sent.
        plain = replace(settings, smtp_starttls=False)
        refused = EmailNotifier(plain)
        refused.record(_outcome(2, "completed"), plain)
        report = refused.flush()
        assert (report.sent, report.failed) == (0, 2)
        assert len(server.mails) == 2


def test_starttls_required_but_not_offered_never_sends_the_password(
    smtp_with_auth: MailServer,
) -> None:
    settings = _settings(
        smtp_with_auth, smtp_user=SMTP_USER, smtp_password=SMTP_PASSWORD, smtp_starttls=True
    )
    notifier = EmailNotifier(settings)
    notifier.record(_outcome(1, "failed", "boom"), settings)
    report = notifier.flush()
    assert (report.sent, report.failed) == (0, 2)
    assert "STARTTLS" in report.errors[0]
    assert smtp_with_auth.logins == []


def test_a_refused_connection_is_reported_not_raised(
    closed_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    settings = replace(
        _settings(smtp_user=SMTP_USER, smtp_password=SMTP_PASSWORD),
        smtp_host="127.0.0.1",
        smtp_port=closed_port,
    )
    notifier = EmailNotifier(settings)
    _record_from_threads(notifier, _batch(), settings)
    with caplog.at_level(logging.WARNING):
        report = notifier.flush()
    assert (report.sent, report.failed) == (0, 2)
    assert not report.ok
    assert report.errors == [
        f"SMTP 127.0.0.1:{closed_port}: ConnectionRefusedError: [Errno 111] Connection refused"
    ]
    assert "DOI notification mail not sent" in caplog.text
    assert SMTP_PASSWORD not in caplog.text + report.summary()


def test_a_server_that_never_answers_times_out_into_the_report(
    silent_server: tuple[str, int],
) -> None:
    host, port = silent_server
    settings = _settings(smtp_host=host, smtp_port=port, failure_notify=OPS)
    notifier = EmailNotifier(settings, timeout=0.5)
    notifier.record(_outcome(1, "completed"), settings)
    report = notifier.flush()
    assert (report.sent, report.failed) == (0, 1)
    assert "timed out" in report.errors[0]


def test_run_failure_mail_reaches_every_ops_address(smtp: MailServer) -> None:
    settings = _settings(smtp)
    failure = RunFailure(
        job_name="mint_job",
        run_id="0123456789abcdef",
        message="Execution of run for \"mint_job\" failed. Steps failed: ['minted_dois'].",
        step_errors=("minted_dois: Failure: DataCite authentication failed (datacite-S3cret)",),
    )
    report = send_run_failure_mail(settings, failure)
    assert report == NotifierReport(sent=2)
    assert sorted(smtp.by_recipient()) == sorted([OPS, CURATOR])
    mail = smtp.mails[0]
    assert mail.message["Subject"] == "[Heratio DOI] run failed: mint_job (01234567)"
    assert "Run id:  0123456789abcdef" in mail.body
    assert "Steps failed: ['minted_dois']" in mail.body
    assert "DataCite authentication failed (***)" in mail.body  # the DataCite password is masked
    assert send_run_failure_mail(replace(settings, failure_notify=""), failure) is None
