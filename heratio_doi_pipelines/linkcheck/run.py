"""One landing-page health run: check the confirmed DOIs that are due, store each result.

DOIs are checked oldest result first (never-checked ones before all others), in chunks;
results are stored as they come in, so a run that is interrupted loses at most the checks
in flight and the next run starts where it stopped. A DOI's catalogue URL is what the
pipeline would register today (``{base_url}/{slug}``); with ``repair`` a changed slug
queues an update, which sends the new URL to DataCite.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from heratio_doi_pipelines.catalogue import atom_tables as atom
from heratio_doi_pipelines.clock import utcnow
from heratio_doi_pipelines.linkcheck.polite import HostGates, OncePerRun, user_agent
from heratio_doi_pipelines.linkcheck.probe import HTML_TYPES, PageAnswer, Prober
from heratio_doi_pipelines.linkcheck.problems import BREAKING_PROBLEMS, ORDER, first_problem
from heratio_doi_pipelines.metadata.context import context_from_settings
from heratio_doi_pipelines.metadata.mapping import landing_url
from heratio_doi_pipelines.queue.actions import UPDATE
from heratio_doi_pipelines.queue.enqueue import enqueue
from heratio_doi_pipelines.settings import DoiSettings, SettingsResolver
from heratio_doi_pipelines.store.landing_checks import (
    DueDoi,
    LandingCheck,
    checks_with_problems,
    due_dois,
    iter_check_rows,
    problem_counts,
    save_checks,
)
from heratio_doi_pipelines.store.schema import require_tables

CHECKED_STATES = ("findable", "registered", "tombstone")
LANDING_CSV = "landing_page_health.csv"
CSV_COLUMNS = [
    "doi",
    "registered_url",
    "handle_target",
    "catalogue_url",
    "http_status",
    "final_url",
    "shows_doi",
    "elapsed_ms",
    "problem",
]
# Whole numbers and yes/no stay so in the CSV when some rows have none (no "200.0").
CSV_TYPES = {"http_status": "Int64", "elapsed_ms": "Int64", "shows_doi": "boolean"}
CHUNK = 500
SAVE_EVERY = 25
MAX_WORKERS = 64
LISTED_PROBLEMS = 200  # problems listed in the report object (all of them are in the CSV)


@dataclass
class LinkcheckReport:
    """This run's checks (counts) and the report over every DOI's last check."""

    checked: int = 0  # DOIs checked in this run
    run_counts: Counter[str] = field(default_factory=Counter)  # this run's, by problem or "ok"
    counts: dict[str, int] = field(default_factory=dict)  # every DOI on record, by problem
    problems: list[LandingCheck] = field(default_factory=list)  # the first LISTED_PROBLEMS
    broken: list[LandingCheck] = field(default_factory=list)  # the first LISTED_PROBLEMS
    broken_count: int = 0
    csv_path: Path | None = None
    queued_repairs: int = 0
    requests_sent: int = 0
    pages_fetched: int = 0
    elapsed_s: float = 0.0

    @property
    def dois(self) -> int:
        """DOIs on record (with a stored check)."""
        return sum(self.counts.values())

    @property
    def problem_count(self) -> int:
        return self.dois - self.counts.get("ok", 0)

    @property
    def rate_per_s(self) -> float:
        return self.checked / self.elapsed_s if self.elapsed_s else 0.0

    def summary(self) -> str:
        found = ", ".join(f"{n} {kind}" for kind, n in self.counts.items() if kind != "ok")
        text = (
            f"checked {self.checked} DOI(s) in {self.elapsed_s:.1f} s "
            f"({self.requests_sent} requests, {self.pages_fetched} pages); "
            f"{self.dois} DOI(s) on record, {self.counts.get('ok', 0)} healthy; "
            f"problems: {found or 'none'}"
        )
        if self.queued_repairs:
            text += f"; queued {self.queued_repairs} update(s) for changed slugs"
        return text


def catalogue_urls(
    catalogue_engine: sa.Engine, record_ids: Sequence[int], settings: DoiSettings
) -> dict[int, str]:
    """record id -> its public URL today, built as the metadata mapping builds it."""
    context = context_from_settings(settings, year=utcnow().year)
    urls: dict[int, str] = {}
    ids = list(record_ids)
    with catalogue_engine.connect() as conn:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            rows = conn.execute(
                sa.select(atom.slug.c.object_id, atom.slug.c.slug).where(
                    atom.slug.c.object_id.in_(chunk)
                )
            )
            for object_id, slug in rows:
                url = landing_url(slug, context, [])
                if url:
                    urls[int(object_id)] = url
    return urls


def _page_problem(page: PageAnswer, doi: str) -> tuple[str, str] | None:
    if page.problem:
        return page.problem, page.detail
    status = page.http_status or 0
    if not 200 <= status < 300:
        return "error_page", f"{page.final_url} answered HTTP {status}"
    if page.content_type.split(";")[0].strip().lower() not in HTML_TYPES:
        return "not_html", f"{page.final_url} answered {page.content_type or 'no content type'}"
    if not page.shows(doi):
        return "doi_not_shown", f"the page at {page.final_url} does not show {doi}"
    return None


def check_one(
    due: DueDoi,
    catalogue_url: str | None,
    prober: Prober,
    pages: OncePerRun[PageAnswer],
) -> LandingCheck:
    """Resolution, agreement and landing page of one DOI."""
    found: list[tuple[str, str]] = []
    handle = prober.resolve(due.doi)
    if handle.problem:
        found.append((handle.problem, handle.detail))
    registered = (due.registered_url or "").strip() or None
    if registered is None:
        found.append(("no_registered_url", f"no registered URL is stored for {due.doi}"))
    elif handle.target and handle.target != registered:
        found.append(
            ("resolves_elsewhere", f"{due.doi} resolves to {handle.target}, not {registered}")
        )
    if due.status != "tombstone":  # a tombstone's page is not the record's page
        if catalogue_url is None:
            found.append(
                ("no_catalogue_url", f"record {due.information_object_id} has no public URL")
            )
        elif registered and catalogue_url != registered:
            found.append(
                ("slug_changed", f"the record's URL is now {catalogue_url}, not {registered}")
            )
    page = None
    if registered:
        page = pages.get(registered, lambda: prober.fetch(registered))
        problem = _page_problem(page, due.doi)
        if problem:
            found.append(problem)
    kind, detail = first_problem(found)
    others = [d for k, d in found if k != kind]
    if others:
        detail += "; also: " + "; ".join(others)
    return LandingCheck(
        doi_id=due.doi_id,
        doi=due.doi,
        information_object_id=due.information_object_id,
        status=due.status,
        registered_url=registered,
        handle_target=handle.target,
        catalogue_url=catalogue_url,
        http_status=page.http_status if page else None,
        final_url=page.final_url if page else None,
        shows_doi=page.shows(due.doi) if page and page.problem is None else None,
        elapsed_ms=page.elapsed_ms if page else None,
        problem=kind,
        detail=detail or None,
        repair=None,
        checked_at=utcnow(),
    )


def check_guarded(
    due: DueDoi,
    catalogue_url: str | None,
    prober: Prober,
    pages: OncePerRun[PageAnswer],
) -> LandingCheck:
    """``check_one``, with whatever goes wrong stored as the DOI's reason: the run goes on."""
    try:
        return check_one(due, catalogue_url, prober, pages)
    except Exception as exc:
        return LandingCheck(
            doi_id=due.doi_id,
            doi=due.doi,
            information_object_id=due.information_object_id,
            status=due.status,
            registered_url=due.registered_url,
            handle_target=None,
            catalogue_url=catalogue_url,
            http_status=None,
            final_url=None,
            shows_doi=None,
            elapsed_ms=None,
            problem="check_error",
            detail=f"the check of {due.doi} failed: {type(exc).__name__}: {exc}",
            repair=None,
            checked_at=utcnow(),
        )


class _Saver:
    """Stores results in small batches (and queues slug repairs with them)."""

    def __init__(self, engine: sa.Engine, repair: bool, report: LinkcheckReport) -> None:
        self.engine = engine
        self.repair = repair
        self.report = report
        self.pending: list[LandingCheck] = []

    def add(self, check: LandingCheck) -> None:
        self.pending.append(check)
        if len(self.pending) >= SAVE_EVERY:
            self.flush()

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        if not batch:
            return
        if self.repair:
            ids = [
                c.information_object_id
                for c in batch
                if c.problem == "slug_changed" and c.information_object_id is not None
            ]
            if ids:
                result = enqueue(self.engine, UPDATE, ids)
                self.report.queued_repairs += result.count
                batch = [
                    replace(c, repair=UPDATE) if c.problem == "slug_changed" else c for c in batch
                ]
        save_checks(self.engine, batch)
        self.report.checked += len(batch)
        self.report.run_counts.update(c.problem or "ok" for c in batch)


def check_landing_pages(
    doi_engine: sa.Engine,
    catalogue_engine: sa.Engine,
    settings: DoiSettings,
    *,
    states: Sequence[str] = CHECKED_STATES,
    limit: int | None = None,
    repair: bool = False,
    progress: Callable[[LandingCheck], None] | None = None,
) -> LinkcheckReport:
    """Check the due DOIs (``limit`` of them, oldest result first) and store each result."""
    report = LinkcheckReport()
    started = time.monotonic()
    concurrency = max(1, settings.linkcheck_host_concurrency)
    gates = HostGates(concurrency, max(0.0, settings.linkcheck_host_rate))
    prober = Prober(
        gates,
        user_agent=user_agent(settings.contact_email),
        resolver_url=settings.resolver_url,
        timeout_s=settings.linkcheck_timeout_s,
    )
    pages: OncePerRun[PageAnswer] = OncePerRun()
    saver = _Saver(doi_engine, repair, report)
    pool = ThreadPoolExecutor(min(MAX_WORKERS, 4 * concurrency), thread_name_prefix="linkcheck")
    try:
        for chunk in due_dois(doi_engine, states, limit, CHUNK):
            urls = catalogue_urls(
                catalogue_engine, [d.information_object_id for d in chunk], settings
            )
            running: set[Future[LandingCheck]] = {
                pool.submit(check_guarded, d, urls.get(d.information_object_id), prober, pages)
                for d in chunk
            }
            while running:
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    check = future.result()
                    saver.add(check)
                    if progress is not None:
                        progress(check)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        saver.flush()
        prober.close()
        report.requests_sent = prober.requests_sent
        report.pages_fetched = len(pages)
        report.elapsed_s = time.monotonic() - started
    summarise(doi_engine, report)
    return report


def summarise(engine: sa.Engine, report: LinkcheckReport) -> None:
    """Fill the report over every DOI's last check (counts, the first problems listed)."""
    counts = problem_counts(engine, CHECKED_STATES)
    report.counts = {(kind or "ok"): counts[kind] for kind in sorted(counts, key=_problem_order)}
    report.problems = checks_with_problems(engine, CHECKED_STATES, limit=LISTED_PROBLEMS)
    report.broken = checks_with_problems(
        engine, CHECKED_STATES, BREAKING_PROBLEMS, limit=LISTED_PROBLEMS
    )
    report.broken_count = sum(n for kind, n in counts.items() if kind in BREAKING_PROBLEMS)


def _problem_order(kind: str | None) -> int:
    return -1 if kind is None else ORDER.get(kind, len(ORDER))


def csv_frames(engine: sa.Engine) -> Iterator[pd.DataFrame]:
    """The CSV's rows (every DOI's last check), a chunk at a time after the header."""
    yield pd.DataFrame(columns=CSV_COLUMNS)
    for rows in iter_check_rows(engine, CHECKED_STATES, CSV_COLUMNS):
        yield pd.DataFrame(rows, columns=CSV_COLUMNS).astype(CSV_TYPES)


def run_linkcheck(
    doi_engine: sa.Engine,
    catalogue_engine: sa.Engine,
    overrides: dict[str, Any],
    *,
    out_dir: Path,
    states: Sequence[str] = CHECKED_STATES,
    limit: int | None = None,
    repair: bool = False,
    progress: Callable[[LandingCheck], None] | None = None,
) -> LinkcheckReport:
    """Check with the global settings, then write ``landing_page_health.csv``."""
    from heratio_doi_pipelines.reports.export import write_csv  # pandas/matplotlib: only here

    require_tables(doi_engine, ("ahg_doi", "heratio_doi_landing_check"))
    unknown = sorted(set(states) - set(CHECKED_STATES))
    if unknown:
        raise ValueError(
            f"cannot check DOIs in state {', '.join(unknown)}: only {', '.join(CHECKED_STATES)}"
        )
    settings = SettingsResolver(doi_engine, overrides).global_settings()
    report = check_landing_pages(
        doi_engine,
        catalogue_engine,
        settings,
        states=states,
        limit=limit,
        repair=repair,
        progress=progress,
    )
    report.csv_path = write_csv(csv_frames(doi_engine), out_dir / LANDING_CSV)
    return report
