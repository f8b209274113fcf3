"""Access-log parsing (plain and gzip, robots, malformed lines, double-clicks) and the
idempotent metrics backfill."""

from __future__ import annotations

import gzip
import shutil
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa

from heratio_doi_pipelines.devtools.sample_logs import generate_access_log
from heratio_doi_pipelines.events.access_logs import (
    backfill_metrics,
    log_source_key,
    parse_access_log,
)
from heratio_doi_pipelines.events.aggregate import DailyUsage
from heratio_doi_pipelines.events.targets import UsageMap, load_usage_map
from heratio_doi_pipelines.store.tables import ahg_datacite_event, heratio_doi_usage_count
from heratio_doi_pipelines_tests.events.conftest import described_records, give_dois

ALICE = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
BOB = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) Safari/605.1.15"
CAROL = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148"
PDF = "/uploads/r/repo/x/file%20one.pdf"


def _line(ip: str, when: str, request: str, status: int, agent: str) -> str:
    return f'{ip} - - [{when}] "{request} HTTP/1.1" {status} 512 "-" "{agent}"'


LOG_LINES = [
    _line("1.1.1.1", "01/Mar/2026:10:00:00 +0000", "GET /alpha", 200, ALICE),
    _line("1.1.1.1", "01/Mar/2026:10:00:20 +0000", "GET /alpha", 200, ALICE),  # double-click
    _line(
        "1.1.1.1", "01/Mar/2026:10:00:45 +0000", "GET /index.php/alpha?sf_culture=en", 304, ALICE
    ),
    _line("1.1.1.1", "01/Mar/2026:10:01:30 +0000", "GET /alpha/", 200, ALICE),
    _line("2.2.2.2", "01/Mar/2026:10:01:35 +0000", "GET /alpha", 200, BOB),
    _line("1.1.1.1", "01/Mar/2026:11:05:00 +0000", "GET /alpha", 200, ALICE),  # a new session
    _line("3.3.3.3", "01/Mar/2026:11:06:00 +0000", "GET /alpha", 200, "Googlebot/2.1"),
    _line("4.4.4.4", "01/Mar/2026:11:07:00 +0000", "GET /beta", 200, "curl/8.5.0"),
    _line("5.5.5.5", "01/Mar/2026:11:08:00 +0000", "GET /beta", 200, "-"),
    _line("6.6.6.6", "01/Mar/2026:11:09:00 +0000", f"GET {PDF}", 200, "python-requests/2.32"),
    _line("2.2.2.2", "01/Mar/2026:12:00:00 +0000", f"GET {PDF}", 200, BOB),
    _line("2.2.2.2", "01/Mar/2026:12:01:00 +0000", "GET /downloads/beta.pdf", 200, BOB),
    _line("2.2.2.2", "01/Mar/2026:12:02:00 +0000", "GET /beta", 404, BOB),
    _line("2.2.2.2", "01/Mar/2026:12:03:00 +0000", "POST /alpha", 200, BOB),
    _line("2.2.2.2", "01/Mar/2026:12:04:00 +0000", "HEAD /alpha", 200, BOB),
    _line("2.2.2.2", "01/Mar/2026:12:05:00 +0000", "GET /gamma", 200, BOB),
    "this is not a log line",
    '2.2.2.2 - - [01/Mar/2026:12:06:00 +0000] "GET /alpha HTTP/1.1" 200',
    _line("2.2.2.2", "32/Mar/2026:12:07:00 +0000", "GET /alpha", 200, BOB),
    "",
    _line("7.7.7.7", "02/Mar/2026:01:00:00 -0500", "GET /beta", 200, CAROL),  # 06:00 UTC
    _line("7.7.7.7", "28/Feb/2026:23:59:59 +0000", "GET /beta", 200, CAROL),
]


def _usage_map() -> UsageMap:
    m = UsageMap(dois=2)
    for slug, doi in (("alpha", "10.5072/a"), ("beta", "10.5072/b")):
        m.views[f"/{slug}".encode()] = doi
        m.views[f"/index.php/{slug}".encode()] = doi
        m.downloads[f"/downloads/{slug}.pdf".encode()] = doi
    m.downloads[b"/uploads/r/repo/x/file one.pdf"] = "10.5072/a"
    m.downloads[PDF.encode()] = "10.5072/a"
    return m


def _write(tmp_path: Path) -> tuple[Path, Path]:
    text = "\n".join(LOG_LINES) + "\n"
    plain = tmp_path / "access.log"
    plain.write_text(text)
    compressed = tmp_path / "access.log.1"  # gzip, whatever the name says
    compressed.write_bytes(gzip.compress(text.encode()))
    return plain, compressed


def test_plain_and_gzip_logs_give_the_same_counts(tmp_path: Path) -> None:
    plain, compressed = _write(tmp_path)
    results = [parse_access_log(p, _usage_map()) for p in (plain, compressed)]
    for parsed in results:
        s = parsed.stats
        assert (s.lines, s.malformed, s.bots, s.views, s.downloads) == (22, 3, 4, 8, 2)
        assert (s.counted, s.double_clicks, s.other) == (8, 2, 5)
        assert s.malformed + s.bots + s.views + s.downloads + s.other == s.lines
        assert (s.first_day, s.last_day) == (date(2026, 2, 28), date(2026, 3, 2))
        assert parsed.daily == {
            ("10.5072/a", "view", date(2026, 3, 1)): DailyUsage(4, 3),
            ("10.5072/a", "download", date(2026, 3, 1)): DailyUsage(1, 1),
            ("10.5072/b", "download", date(2026, 3, 1)): DailyUsage(1, 1),
            ("10.5072/b", "view", date(2026, 3, 2)): DailyUsage(1, 1),
            ("10.5072/b", "view", date(2026, 2, 28)): DailyUsage(1, 1),
        }
    assert results[0].source_key == results[1].source_key == log_source_key(plain)


def test_since_and_until_limit_the_days_counted(tmp_path: Path) -> None:
    plain, _ = _write(tmp_path)
    parsed = parse_access_log(plain, _usage_map(), since=date(2026, 3, 1), until=date(2026, 3, 1))
    assert parsed.stats.out_of_range == 2
    assert {day for _, _, day in parsed.daily} == {date(2026, 3, 1)}


def test_generated_logs_parse_as_generated(tmp_path: Path) -> None:
    usage = _usage_map()
    views, downloads = usage.view_paths(), usage.download_paths()
    plain = generate_access_log(tmp_path / "a.log", views, downloads, lines=5_000, seed=3)
    packed = generate_access_log(
        tmp_path / "a.log.gz", views, downloads, lines=5_000, seed=3, compress=True
    )
    assert plain == packed.__class__(**{**packed.__dict__, "path": plain.path})
    assert (
        gzip.decompress((tmp_path / "a.log.gz").read_bytes()) == (tmp_path / "a.log").read_bytes()
    )
    parsed = parse_access_log(tmp_path / "a.log.gz", usage)
    s = parsed.stats
    assert s.lines == plain.lines == 5_000
    assert s.malformed == plain.malformed > 0
    assert s.bots == plain.robot_hits > 0
    assert (s.views, s.downloads) == (plain.views, plain.downloads)
    assert s.double_clicks >= plain.double_click_repeats > 0
    assert s.counted == s.views + s.downloads - s.double_clicks


def _event_rows(engine: sa.Engine) -> list[tuple]:
    t = ahg_datacite_event
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.select(t.c.dedupe_hash, t.c.total, t.c.state, t.c.updated_at).order_by(
                    t.c.dedupe_hash
                )
            )
        ]


def _totals(engine: sa.Engine) -> dict[tuple[str, str], int]:
    t = ahg_datacite_event
    with engine.connect() as conn:
        return {
            (subj, rel): int(total)
            for subj, rel, total in conn.execute(
                sa.select(t.c.subj_id, t.c.relation_type_id, sa.func.sum(t.c.total)).group_by(
                    t.c.subj_id, t.c.relation_type_id
                )
            )
        }


def test_backfill_maps_slugs_and_files_and_is_idempotent(
    archive: sa.Engine, tmp_path: Path
) -> None:
    records = described_records(archive)[:12]
    dois = give_dois(archive, records)
    usage = load_usage_map(archive, archive)
    assert usage.dois == len(dois)
    assert len(usage.view_paths()) == len(records)
    assert usage.download_paths(), "the sample archive has master files under /uploads/"
    log = tmp_path / "access.log"
    generate_access_log(log, usage.view_paths(), usage.download_paths(), lines=4_000, seed=9)

    first = backfill_metrics(archive, archive, [log])
    assert first.events.created > 0 and first.events.updated == 0
    assert first.stats.counted > 0 and first.stats.bots > 0 and first.stats.malformed > 0
    rows = _event_rows(archive)
    assert {r[2] for r in rows} == {"pending"}
    assert {subj for subj, _ in _totals(archive)} <= set(dois.values())

    again = backfill_metrics(archive, archive, [log])
    assert (again.events.created, again.events.updated, again.contributions_changed) == (0, 0, 0)
    assert _event_rows(archive) == rows

    rotated = tmp_path / "access.log.2.gz"  # logrotate renamed and compressed it
    with open(log, "rb") as src, gzip.open(rotated, "wb") as dst:
        shutil.copyfileobj(src, dst)
    backfill_metrics(archive, archive, [rotated])
    assert _event_rows(archive) == rows


def test_a_grown_log_replaces_its_counts_and_other_logs_add_up(
    archive: sa.Engine, tmp_path: Path
) -> None:
    give_dois(archive, described_records(archive)[:6])
    usage = load_usage_map(archive, archive)
    views = usage.view_paths()
    log = tmp_path / "access.log"
    generate_access_log(log, views, lines=1_500, seed=1, days=2)
    backfill_metrics(archive, archive, [log])
    before = _totals(archive)

    tail = tmp_path / "tail.log"  # what the web server wrote since
    generate_access_log(tail, views, lines=600, seed=2, days=1, start=datetime(2026, 3, 4))
    log.write_text(log.read_text() + tail.read_text())
    report = backfill_metrics(archive, archive, [log])
    assert report.events.created > 0
    expected = parse_access_log(log, usage).daily
    with archive.connect() as conn:
        stored = {
            (r.doi, r.kind, r.day): DailyUsage(r.total, r.unique_total)
            for r in conn.execute(sa.select(heratio_doi_usage_count))
        }
    assert stored == expected  # replaced, not added to
    after = _totals(archive)
    assert all(after[key] >= value for key, value in before.items())

    other = tmp_path / "other-host.log"  # a second web server's log for the same days
    generate_access_log(other, views, lines=800, seed=4, days=2)
    backfill_metrics(archive, archive, [other])
    combined = _totals(archive)
    assert sum(combined.values()) > sum(after.values())


def test_robots_follow_counters_lists_not_substrings() -> None:
    """COUNTER's robots and machines lists decide, including agents without "bot" in them."""
    from heratio_doi_pipelines.events.access_logs import ROBOTS_LIST_VERSION, is_robot_agent

    assert ROBOTS_LIST_VERSION
    for agent in (
        "Mozilla/5.0 (compatible; Qwantify/1.0; +https://www.qwant.com/)",
        "Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)",
        "ia_archiver (+http://www.alexa.com/site/help/webmasters)",
        "axios/1.6.8",
        "-",
        "",
    ):
        assert is_robot_agent(agent.encode()), agent
    for agent in (ALICE, BOB, CAROL, "Zotero/6.0"):
        assert not is_robot_agent(agent.encode()), agent


def test_sample_logs_spread_user_agents_like_real_traffic(tmp_path: Path) -> None:
    from heratio_doi_pipelines.devtools.sample_logs import HUMAN_AGENTS, ROBOT_AGENTS
    from heratio_doi_pipelines.events.access_logs import is_robot_agent

    assert len(set(HUMAN_AGENTS)) >= 300 and len(set(ROBOT_AGENTS)) >= 150
    assert all(is_robot_agent(a.encode()) for a in ROBOT_AGENTS)
    assert not any(is_robot_agent(a.encode()) for a in HUMAN_AGENTS)
    log = tmp_path / "access.log"
    generate_access_log(log, ["/a", "/b"], lines=20_000, seed=3, clients=600)
    agents = {line.rsplit('"', 2)[-2] for line in log.read_text().splitlines() if '"' in line}
    assert len(agents) >= 200
