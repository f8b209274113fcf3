"""The text of the notification mails: one per outcome, a batch digest, a failed run.

Plain text only: mail clients and ticket systems of archive operations render it reliably.
Every record is shown with its title, its DOI's resolver link (``https://doi.org/...``), its
state and its public page; a failure with the reason, so the owner can fix the record.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from heratio_doi_pipelines.notify.run_failure import RunFailure
    from heratio_doi_pipelines.queue.lifecycle import Outcome

SUBJECT_PREFIX = "[Heratio DOI]"
STATUS_ORDER = ("completed", "skipped", "retry", "failed", "released")
STATUS_WORDS = {"retry": "to retry"}
MESSAGE_WIDTH = 300
MAX_FAILURES_LISTED = 500
MAX_OTHERS_LISTED = 50


def _one_line(text: str, width: int = MESSAGE_WIDTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _keep(text: str) -> str:
    return text


def _new_message(
    sender: str, recipient: str, subject: str, body: str, redact: Callable[[str], str]
) -> EmailMessage:
    """A mail whose subject and body went through ``redact`` (secrets never reach a mailbox)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = redact(subject)
    message["Date"] = formatdate(usegmt=True)
    domain = sender.rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    message.set_content(redact(body))
    return message


def _counts_line(outcomes: Sequence[Outcome]) -> str:
    counts = Counter(o.status for o in outcomes)
    statuses = [s for s in STATUS_ORDER if counts[s]] + sorted(set(counts) - set(STATUS_ORDER))
    parts = [f"{counts[s]} {STATUS_WORDS.get(s, s)}" for s in statuses]
    return f"{len(outcomes)} item(s): " + (", ".join(parts) or "none")


RESOLVER = "https://doi.org/"
TITLE_WIDTH = 120


def resolver_link(doi: str) -> str:
    """The DOI as people follow it (``https://doi.org/10.5072/...``)."""
    return RESOLVER + doi


def _title(o: Outcome) -> str:
    return _one_line(o.title, TITLE_WIDTH) if o.title and o.title.strip() else "(untitled)"


def _describe_outcome(o: Outcome) -> str:
    doi = f" {o.doi}" if o.doi else ""
    state = f" ({o.state})" if o.state else ""
    return f"record {o.record_id}: {o.action}{doi}{state}"


def _links(o: Outcome, indent: str) -> list[str]:
    """The title, the DOI's resolver link and the record's page, one per line."""
    lines = [f"{indent}Title:   {_title(o)}"]
    if o.doi:
        lines.append(f"{indent}DOI:     {resolver_link(o.doi)}")
    if o.url:
        lines.append(f"{indent}Record:  {o.url}")
    return lines


def outcome_subject(o: Outcome) -> str:
    if o.status == "completed":
        doi = f" {o.doi}" if o.doi else ""
        state = f" ({o.state})" if o.state else ""
        return f"{SUBJECT_PREFIX} {o.action} done: record {o.record_id}{doi}{state}"
    return (
        f"{SUBJECT_PREFIX} {o.action} {STATUS_WORDS.get(o.status, o.status)}: record {o.record_id}"
    )


def outcome_message(
    o: Outcome, *, sender: str, recipient: str, redact: Callable[[str], str] = _keep
) -> EmailMessage:
    lines = [
        f"Title:   {_title(o)}",
        f"Record:  {o.record_id}" + (f"  {o.url}" if o.url else ""),
        f"Action:  {o.action}",
        f"Result:  {o.status}",
        f"DOI:     {o.doi}  {resolver_link(o.doi)}" if o.doi else "DOI:     -",
        f"State:   {o.state or '-'}",
    ]
    if o.message:
        label = "Reason:" if o.status in ("failed", "retry", "released") else "Note:"
        lines += ["", label, o.message]
    if o.warnings:
        lines += ["", "Metadata warnings:"] + [f"  - {_one_line(w)}" for w in o.warnings]
    lines += ["", f"Queue item {o.item_id}. This is an automatic message from heratio-doi."]
    return _new_message(sender, recipient, outcome_subject(o), "\n".join(lines) + "\n", redact)


def digest_subject(outcomes: Sequence[Outcome]) -> str:
    actions = ", ".join(sorted({o.action for o in outcomes}))
    return f"{SUBJECT_PREFIX} {actions} batch: {_counts_line(outcomes)}"


def digest_message(
    outcomes: Sequence[Outcome],
    *,
    listed: Callable[[str], bool],
    sender: str,
    recipient: str,
    max_failures: int = MAX_FAILURES_LISTED,
    max_others: int = MAX_OTHERS_LISTED,
    redact: Callable[[str], str] = _keep,
) -> EmailMessage:
    """One mail for a whole batch: counts, a table of failures, a short list of the rest.

    ``listed`` says which statuses are itemised; every status is counted. Records are listed
    in id order, whatever order the worker threads finished them in.
    """
    outcomes = sorted(outcomes, key=lambda o: (o.record_id, o.item_id))
    lines = ["DOI batch report from heratio-doi.", "", _counts_line(outcomes)]
    failures = [o for o in outcomes if o.status == "failed" and listed(o.status)]
    if failures:
        shown = failures[:max_failures]
        lines += ["", f"Failed ({len(failures)}):"]
        for o in shown:
            lines += ["", f"{o.record_id} {o.action}" + (f" {o.doi}" if o.doi else "")]
            lines += _links(o, "    ")
            lines.append(f"    Reason:  {_one_line(o.message or '-')}")
        if len(failures) > len(shown):
            lines += ["", f"… and {len(failures) - len(shown)} more failures"]
    for status in [s for s in STATUS_ORDER if s != "failed"] + sorted(
        {o.status for o in outcomes} - set(STATUS_ORDER)
    ):
        group = [o for o in outcomes if o.status == status and listed(status)]
        if not group:
            continue
        title = STATUS_WORDS.get(status, status).capitalize()
        shown = group[:max_others]
        suffix = f", first {len(shown)} shown" if len(group) > len(shown) else ""
        lines += ["", f"{title} ({len(group)}{suffix}):"]
        for o in shown:
            lines.append(f"  {_describe_outcome(o)}")
            lines += _links(o, "      ")
        if len(group) > len(shown):
            lines.append(f"  … and {len(group) - len(shown)} more")
    lines += ["", "This is an automatic message from heratio-doi."]
    body = "\n".join(lines) + "\n"
    return _new_message(sender, recipient, digest_subject(outcomes), body, redact)


def run_failure_message(
    failure: RunFailure, *, sender: str, recipient: str, redact: Callable[[str], str] = _keep
) -> EmailMessage:
    lines = [
        f"The Dagster run of job {failure.job_name} failed.",
        "",
        f"Job:     {failure.job_name}",
        f"Run id:  {failure.run_id}",
    ]
    if failure.run_url:
        lines.append(f"Run:     {failure.run_url}")
    lines += ["", "Failure:", failure.message or "-"]
    if failure.step_errors:
        lines += ["", "Step errors:"] + [f"  - {e}" for e in failure.step_errors]
    lines += ["", "This is an automatic message from heratio-doi."]
    subject = f"{SUBJECT_PREFIX} run failed: {failure.job_name} ({failure.run_id[:8]})"
    return _new_message(sender, recipient, subject, "\n".join(lines) + "\n", redact)
