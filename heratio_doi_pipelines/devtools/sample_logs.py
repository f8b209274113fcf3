"""Realistic sample access logs (combined format) for tests, the demo and the benchmark.

Deterministic for a given random seed. The mix resembles a catalogue's real traffic: show-page views
(``/<slug>`` and ``/index.php/<slug>``, some 304s), downloads, COUNTER double-clicks (the same
client reloading within seconds), robots on record pages, static assets, browse and search
pages, 404s, logins, redirects, HEAD requests and a sprinkling of malformed lines. The
returned summary says how many of each were written, so tests can check the parser.
"""

from __future__ import annotations

import gzip
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

_DESKTOPS = (
    "Windows NT 10.0; Win64; x64",
    "Macintosh; Intel Mac OS X 10_15_7",
    "X11; Linux x86_64",
    "X11; Ubuntu; Linux x86_64",
)
_PHONES = ("Linux; Android 14; Pixel 8", "Linux; Android 13; SM-S918B", "Linux; Android 12; K")
# Several hundred distinct browsers, as a catalogue's logs show them.
HUMAN_AGENTS = (
    tuple(
        f"Mozilla/5.0 ({os}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36"
        for os in _DESKTOPS
        for v in range(100, 132)
    )
    + tuple(
        f"Mozilla/5.0 ({os}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Mobile "
        "Safari/537.36"
        for os in _PHONES
        for v in range(110, 132)
    )
    + tuple(
        f"Mozilla/5.0 ({os}; rv:{v}.0) Gecko/20100101 Firefox/{v}.0"
        for os in _DESKTOPS
        for v in range(100, 134)
    )
    + tuple(
        f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        f"Chrome/{v}.0.0.0 Safari/537.36 Edg/{v}.0.0.0"
        for v in range(100, 132)
    )
    + tuple(
        f"Mozilla/5.0 (iPhone; CPU iPhone OS {v}_{m} like Mac OS X) AppleWebKit/605.1.15 "
        f"(KHTML, like Gecko) Version/{v}.{m} Mobile/15E148 Safari/604.1"
        for v in range(15, 19)
        for m in range(0, 6)
    )
)
# Robots and machines of COUNTER's lists, in several versions each: crawlers, archivers,
# AI crawlers, monitors, HTTP libraries and command-line tools, and the empty agent.
_ROBOT_TEMPLATES = (
    "Mozilla/5.0 (compatible; Googlebot/2.{v}; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.{v}; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; YandexBot/3.{v}; +http://yandex.com/bots)",
    "Mozilla/5.0 (compatible; SemrushBot/7~bl{v}; +http://www.semrush.com/bot.html)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.{v}; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (compatible; MJ12bot/v1.4.{v}; http://mj12bot.com/)",
    "Mozilla/5.0 (compatible; PetalBot/{v};+https://webmaster.petalsearch.com/site/petalbot)",
    "Mozilla/5.0 (compatible; DotBot/1.{v}; +https://opensiteexplorer.org/dotbot)",
    "Mozilla/5.0 (compatible; Baiduspider/2.{v}; +http://www.baidu.com/search/spider.html)",
    "Mozilla/5.0 (compatible; SeznamBot/4.{v}; "
    "+https://o-seznam.cz/napoveda/vyhledavani/en/seznambot-crawler/)",
    "Mozilla/5.0 (compatible; DuckDuckBot-Https/1.{v}; https://duckduckgo.com/duckduckbot)",
    "Mozilla/5.0 (compatible; Amazonbot/0.{v}; +https://developer.amazon.com/amazonbot)",
    "Mozilla/5.0 (compatible; BLEXBot/1.{v}; +http://webmeup-crawler.com/)",
    "Mozilla/5.0 (compatible; Qwantify/1.{v}; +https://www.qwant.com/)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.{v}; "
    "+https://openai.com/gptbot)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.{v}; "
    "+claudebot@anthropic.com)",
    "CCBot/2.{v} (https://commoncrawl.org/faq/)",
    "Mozilla/5.0 (compatible; Bytespider/{v}; spider-feedback@bytedance.com)",
    "Mozilla/5.0 (compatible; archive.org_bot/{v} +http://www.archive.org/details/archive.org_bot)",
    "ia_archiver/{v} (+http://www.alexa.com/site/help/webmasters)",
    "Sogou web spider/4.{v}(+http://www.sogou.com/docs/help/webmasters.htm#07)",
    "facebookexternalhit/1.{v} (+http://www.facebook.com/externalhit_uatext.php)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/12{v}.0.0.0 Safari/537.36",
    "Pingdom.com_bot_version_1.{v}_(http://www.pingdom.com/)",
    "UptimeRobot/2.{v}",
    "Go-http-client/1.{v}",
    "axios/1.6.{v}",
    "okhttp/4.12.{v}",
    "python-requests/2.3{v}.0",
    "python-urllib/3.1{v}",
    "libwww-perl/6.7{v}",
    "curl/8.{v}.0",
    "Wget/1.21.{v}",
    "Scrapy/2.11.{v} (+https://scrapy.org)",
)
ROBOT_AGENTS = tuple(t.format(v=v) for t in _ROBOT_TEMPLATES for v in range(6)) + ("-",)
STATIC_PATHS = (
    "/favicon.ico",
    "/robots.txt",
    "/dist/css/app.css",
    "/dist/js/vendor.bundle.js",
    "/images/logo.png",
    "/plugins/arDominionPlugin/images/search.svg",
)
PAGES = (
    "/informationobject/browse",
    "/informationobject/browse?page=2&sort=alphabetic",
    "/search?query=letters&topLod=0",
    "/repository/browse",
    "/actor/browse?page=3",
    "/",
)
MALFORMED = (
    "garbage line without any structure",
    '203.0.113.9 - - [31/Feb/2026 bad timestamp] "GET / HTTP/1.1" 200 12',
    '198.51.100.4 - - [01/Mar/2026:10:00:00 +0000] "GET /truncated HTTP/1.1" 200',
    "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
    '192.0.2.1 - - [01/Mar/2026:10:00:00 +0000] "GET / HTTP/1.1" abc - "-" "-"',
)
REFERER = "https://catalogue.example.org/informationobject/browse"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass
class SampleLogSummary:
    path: str
    lines: int = 0
    views: int = 0  # human GET 200/304 of show pages, double-click repeats included
    downloads: int = 0  # human GET 200 of downloads
    double_click_repeats: int = 0  # extra views within 30 s of the same client's previous one
    robot_hits: int = 0  # robot GET 200 on show pages and downloads
    malformed: int = 0
    other: int = 0


class _Stamps:
    """Epoch seconds → ``01/Mar/2026:10:00:00 +0000`` without a datetime per line."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}

    def __call__(self, epoch: float) -> str:
        seconds = int(epoch)
        day, tod = divmod(seconds, 86400)
        prefix = self._days.get(day)
        if prefix is None:
            moment = datetime.fromtimestamp(day * 86400, UTC)
            prefix = f"{moment.day:02d}/{_MONTHS[moment.month - 1]}/{moment.year}:"
            self._days[day] = prefix
        hour, rest = divmod(tod, 3600)
        return f"{prefix}{hour:02d}:{rest // 60:02d}:{rest % 60:02d} +0000"


def generate_access_log(
    path: Path | str,
    view_paths: Sequence[str],
    download_paths: Sequence[str] = (),
    *,
    lines: int = 10_000,
    seed: int = 0,
    start: datetime | None = None,
    days: float = 7.0,
    compress: bool = False,
    clients: int = 400,
) -> SampleLogSummary:
    """Write ``lines`` lines to ``path`` (gzip when ``compress``); see the module docstring."""
    if not view_paths:
        raise ValueError("a sample log needs at least one record page (slug) to view")
    rng = random.Random(seed)
    start = start or datetime(2026, 3, 1, tzinfo=UTC)
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)  # log times are UTC
    origin = start.timestamp()
    stamp_of = _Stamps()
    # double-click repeats (~2% of lines) add ~10 s each: keep the log within ``days``
    base_step = days * 86400.0 / max(lines, 1)
    step = max(base_step - 0.2, base_step / 2)
    people = [
        (
            f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}."
            f"{rng.randint(1, 254)}",
            rng.choice(HUMAN_AGENTS),
        )
        for _ in range(clients)
    ]
    robots = [(f"66.249.{rng.randint(64, 95)}.{rng.randint(1, 254)}", a) for a in ROBOT_AGENTS]
    summary = SampleLogSummary(path=str(path))
    elapsed = 0.0
    last_view: tuple[str, str, str] | None = None
    out: list[str] = []
    opener = gzip.open if compress else open
    with opener(path, "wt", encoding="utf-8", newline="\n") as handle:  # type: ignore[operator]
        for _ in range(lines):
            roll = rng.random()
            repeat = last_view is not None and 0.01 <= roll < 0.06
            if repeat:
                # a reload seconds after the previous line, the same client's view
                elapsed += rng.uniform(1.0, 20.0)
            else:
                elapsed += rng.expovariate(1.0 / step) if step > 0 else 0.0
            stamp = stamp_of(origin + elapsed)
            view = None
            if roll < 0.01:
                out.append(rng.choice(MALFORMED))
                summary.malformed += 1
            elif repeat and last_view is not None:
                ip, agent, page = view = last_view
                out.append(_line(ip, stamp, "GET", page, 200, agent, rng))
                summary.views += 1
                summary.double_click_repeats += 1
            elif roll < 0.40:
                ip, agent = rng.choice(people)
                slug_path = rng.choice(view_paths)
                page = f"/index.php{slug_path}" if rng.random() < 0.15 else slug_path
                status = 304 if rng.random() < 0.1 else 200
                out.append(_line(ip, stamp, "GET", page, status, agent, rng))
                summary.views += 1
                view = (ip, agent, page)
            elif roll < 0.48 and download_paths:
                ip, agent = rng.choice(people)
                out.append(_line(ip, stamp, "GET", rng.choice(download_paths), 200, agent, rng))
                summary.downloads += 1
            elif roll < 0.58:
                ip, agent = rng.choice(robots)
                target = (
                    rng.choice(download_paths)
                    if download_paths and rng.random() < 0.2
                    else rng.choice(view_paths)
                )
                out.append(_line(ip, stamp, "GET", target, 200, agent, rng))
                summary.robot_hits += 1
            else:
                out.append(_other_line(rng, people, view_paths, stamp))
                summary.other += 1
            last_view = view
            summary.lines += 1
            if len(out) >= 8192:
                handle.write("\n".join(out) + "\n")
                out.clear()
        if out:
            handle.write("\n".join(out) + "\n")
    return summary


def _line(
    ip: str, stamp: str, method: str, page: str, status: int, agent: str, rng: random.Random
) -> str:
    size = "-" if status == 304 else str(rng.randint(800, 90_000))
    referer = (
        "-" if rng.random() < 0.4 else "https://catalogue.example.org/informationobject/browse"
    )
    return f'{ip} - - [{stamp}] "{method} {page} HTTP/1.1" {status} {size} "{referer}" "{agent}"'


def _other_line(
    rng: random.Random, people: list[tuple[str, str]], view_paths: Sequence[str], stamp: str
) -> str:
    ip, agent = rng.choice(people)
    roll = rng.random()
    if roll < 0.45:
        return _line(ip, stamp, "GET", rng.choice(STATIC_PATHS), 200, agent, rng)
    if roll < 0.70:
        return _line(ip, stamp, "GET", rng.choice(PAGES), 200, agent, rng)
    if roll < 0.80:
        return _line(ip, stamp, "GET", f"/no-such-record-{rng.randint(1, 999)}", 404, agent, rng)
    if roll < 0.87:
        return _line(ip, stamp, "POST", "/user/login", 302, agent, rng)
    if roll < 0.94:
        return _line(ip, stamp, "HEAD", rng.choice(view_paths), 200, agent, rng)
    return _line(ip, stamp, "GET", rng.choice(view_paths) + "/edit", 302, agent, rng)
