"""Tables for the normalisation rules: dates, identifiers, languages, text, DOI suffixes."""

from __future__ import annotations

import pytest

from heratio_doi_pipelines.metadata import format_doi
from heratio_doi_pipelines.metadata.dates import event_date, parse_display_date
from heratio_doi_pipelines.metadata.identifiers import (
    normalize_crossref_funder,
    normalize_doi,
    normalize_grid,
    normalize_isni,
    normalize_orcid,
    normalize_ror,
    normalize_url,
)
from heratio_doi_pipelines.metadata.language import normalize_language
from heratio_doi_pipelines.metadata.mapping import split_personal_name
from heratio_doi_pipelines.metadata.text import clean_line, clean_paragraphs

# (start_date, end_date, display) -> (value, dateInformation) or None
DATE_TABLE = [
    (("1890-05-17", None, None), ("1890-05-17", None)),
    (("1890-05-00", None, None), ("1890-05", None)),
    (("1890-00-00", None, None), ("1890", None)),
    (("0000-00-00", None, None), None),
    (("0000-00-00", "0000-00-00", "0000"), None),
    (("1890-05-17 00:00:00", None, None), ("1890-05-17", None)),
    (("1890-00-00", "1900-00-00", None), ("1890/1900", None)),
    (("1890-03-00", "1890-03-00", None), ("1890-03", None)),
    (("1890-00-00", "1890-05-00", None), ("1890/1890-05", None)),
    ((None, "1900-00-00", None), ("1900", None)),
    (("1890-00-00", "1900-00-00", "ca. 1890-1900"), ("1890/1900", "circa")),
    ((None, None, "1890"), ("1890", None)),
    ((None, None, "[1890]"), ("1890", None)),
    ((None, None, "1890-05"), ("1890-05", None)),
    ((None, None, "1890-1900"), ("1890/1900", None)),
    ((None, None, "1890 - 1900"), ("1890/1900", None)),
    ((None, None, "1890–1900"), ("1890/1900", None)),
    ((None, None, "1890 to 1900"), ("1890/1900", None)),
    ((None, None, "1890s"), ("1890/1899", None)),
    ((None, None, "12 May 1890"), ("1890-05-12", None)),
    ((None, None, "May 12, 1890"), ("1890-05-12", None)),
    ((None, None, "Sept. 1890"), ("1890-09", None)),
    ((None, None, "ca. March 1890"), ("1890-03", "circa")),
    ((None, None, "[189-]"), ("1890/1899", None)),
    ((None, None, "[19--]"), ("1900/1999", None)),
    ((None, None, "19??"), ("1900/1999", None)),
    ((None, None, "18th century"), ("1700/1799", None)),
    ((None, None, "ca. 1900"), ("1900", "circa")),
    ((None, None, "c. 1900"), ("1900", "circa")),
    ((None, None, "c1900"), ("1900", "circa")),
    ((None, None, "Circa 1900"), ("1900", "circa")),
    ((None, None, "approx. 1890-1900"), ("1890/1900", "circa")),
    ((None, None, "[ca. 1900]"), ("1900", "circa")),
    ((None, None, "1890?"), ("1890", "uncertain")),
    ((None, None, "[1890?]"), ("1890", "uncertain")),
    ((None, None, "n.d."), None),
    ((None, None, "undated"), None),
    ((None, None, "   "), None),
    ((None, None, None), None),
]


@pytest.mark.parametrize(("columns", "expected"), DATE_TABLE, ids=lambda v: repr(v))
def test_event_date(columns: tuple, expected: tuple | None) -> None:
    warnings: list[str] = []
    value = event_date(*columns, "dates (Created)", warnings)
    assert warnings == []
    assert (value.value, value.information) == expected if value else expected is None


@pytest.mark.parametrize(
    ("columns", "expected", "warning"),
    [
        (("1900-00-00", "1890-00-00", None), "1890/1900",
         "dates (Created): end 1890 is before start 1900: swapped"),
        (("1900-05-03", "1900-05-01", None), "1900-05-01/1900-05-03",
         "dates (Created): end 1900-05-01 is before start 1900-05-03: swapped"),
        ((None, None, "1900-1890"), "1890/1900",
         "dates (Created): end 1890 is before start 1900: swapped"),
        (("1890-13-01", None, None), "1890",
         "dates (Created): month 13 in '1890-13-01' is impossible: kept the year"),
        (("1890-02-30", None, None), "1890-02",
         "dates (Created): day 30 in '1890-02-30' is impossible: kept year-month"),
        (("1900-02-29", None, None), "1900-02",
         "dates (Created): day 29 in '1900-02-29' is impossible: kept year-month"),
    ],
)  # fmt: skip
def test_event_date_normalised_with_warning(columns: tuple, expected: str, warning: str) -> None:
    warnings: list[str] = []
    value = event_date(*columns, "dates (Created)", warnings)
    assert value is not None and value.value == expected
    assert warnings == [warning]


@pytest.mark.parametrize(
    "text", ["spring", "1890-1900-1910", "12345", "ca.", "[?]", "ab-cd", "31 Foo 1890"]
)
def test_unreadable_display_dates_are_dropped_with_a_warning(text: str) -> None:
    warnings: list[str] = []
    assert parse_display_date(text, "dates (Issued)", warnings) is None
    assert warnings == [f"dates (Issued): date '{text}' not understood: dropped"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0000-0002-1825-0097", "https://orcid.org/0000-0002-1825-0097"),
        ("https://orcid.org/0000-0002-1825-0097", "https://orcid.org/0000-0002-1825-0097"),
        ("orcid.org/0000-0002-1825-0097", "https://orcid.org/0000-0002-1825-0097"),
        ("HTTPS://ORCID.ORG/0000-0002-1825-0097", "https://orcid.org/0000-0002-1825-0097"),
        ("0000 0002 1825 0097", "https://orcid.org/0000-0002-1825-0097"),
        ("0000000218250097", "https://orcid.org/0000-0002-1825-0097"),
        ("0000-0002-1694-233x", "https://orcid.org/0000-0002-1694-233X"),
        ("0000-0002-1825-0098", None),  # checksum
        ("0000-0002-1825-009", None),  # too short
        ("0000-0002-1825-00977", None),  # too long
        ("0000-0000-0000-0000", None),  # outside ORCID's ranges
        ("https://isni.org/isni/0000000121032683", None),  # an ISNI, not an ORCID
        ("n/a", None),
        ("", None),
        (None, None),
    ],
)
def test_orcid(raw: str | None, expected: str | None) -> None:
    assert normalize_orcid(raw) == expected


@pytest.mark.parametrize(
    ("function", "raw", "expected"),
    [
        (normalize_isni, "0000 0001 2103 2683", "0000000121032683"),
        (normalize_isni, "https://isni.org/isni/0000000121032683", "0000000121032683"),
        (normalize_isni, "0000000121032684", None),
        (normalize_ror, "05s0g1g46", "https://ror.org/05s0g1g46"),
        (normalize_ror, "https://ror.org/05S0G1G46", "https://ror.org/05s0g1g46"),
        (normalize_ror, "ror.org/05s0g1g46", "https://ror.org/05s0g1g46"),
        (normalize_ror, "https://ror.org/xyz", None),
        (normalize_crossref_funder, "501100000780", "https://doi.org/10.13039/501100000780"),
        (normalize_crossref_funder, "10.13039/501100000780", "https://doi.org/10.13039/501100000780"),
        (normalize_crossref_funder, "doi:10.13039/501100000780", "https://doi.org/10.13039/501100000780"),
        (normalize_crossref_funder, "10.5072/501100000780", None),
        (normalize_grid, "grid.5335.0", "grid.5335.0"),
        (normalize_grid, "grid.5335", None),
        (normalize_doi, "https://doi.org/10.5072/ABC", "10.5072/abc"),
        (normalize_doi, "doi:10.5072/abc", "10.5072/abc"),
        (normalize_doi, "10.5072/a b", None),
        (normalize_doi, "10.abc/x", None),
        (normalize_url, "https://example.org/a b", "https://example.org/a%20b"),
        (normalize_url, "https://example.org/é", "https://example.org/%C3%A9"),
        (normalize_url, "http://example.org", "http://example.org"),
        (normalize_url, "ftp://example.org/x", None),
        (normalize_url, "javascript:alert(1)", None),
        (normalize_url, "/relative/path", None),
    ],
)  # fmt: skip
def test_identifiers(function, raw: str, expected: str | None) -> None:  # type: ignore[no-untyped-def]
    assert function(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("en", "en"),
        ("EN", "en"),
        ("eng", "en"),
        ("fre", "fr"),
        ("fra", "fr"),
        ("en_GB", "en-GB"),
        ("iw", "he"),
        ("zh-Hant", "zh-Hant"),
        ("English", "en"),
        ("english", "en"),
        ("Français", "fr"),
        ("Deutsch", "de"),
        ("Afrikaans", "af"),
        ("isiZulu", "zu"),
        ("xx", None),
        ("qaa", None),
        ("und", None),
        ('a:1:{i:0;s:2:"en";}', None),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_language(raw: str | None, expected: str | None) -> None:
    assert normalize_language(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Plain text", "Plain text"),
        ("  many   spaces\tand\nlines  ", "many spaces and lines"),
        ("<p>Para</p><p>Two</p>", "Para Two"),
        ("<b>bold</b> &amp; <i>italic</i>", "bold & italic"),
        ("a &lt;b&gt; c", "a <b> c"),
        ("x < y and y > z", "x < y and y > z"),
        ("<script>alert('x')</script>Safe", "Safe"),
        ("<style>p{}</style>Shown", "Shown"),
        ("unclosed <b>tag", "unclosed tag"),
        ("<!-- comment -->Text", "Text"),
        ("nul\x00 bell\x07 esc\x1b del\x7f c1\x85", "nul bell esc del c1"),
        ("lone \ud800 surrogate", "lone surrogate"),
        ("non\ufffe char\uffff", "non char"),
        ("e\u0301", "\u00e9"),  # NFC
        ("שלום עולם", "שלום עולם"),
        ("<p> </p>", None),
        ("\x00\x01", None),
        ("", None),
        (None, None),
    ],
)
def test_clean_line(raw: str | None, expected: str | None) -> None:
    assert clean_line(raw) == expected


def test_clean_paragraphs_keeps_one_break_between_paragraphs() -> None:
    raw = "<p>First   line</p>\r\n\r\n<p>Second<br>third</p><ul><li>a</li><li>b</li></ul>"
    assert clean_paragraphs(raw) == "First line\nSecond\nthird\na\nb"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Smith, John", ("John", "Smith")),
        ("Smith, John, 1850-1920", ("John", "Smith")),
        ("van der Berg, Anna Maria", ("Anna Maria", "van der Berg")),
        ("Smith, 1850-1920", (None, None)),
        ("John Smith", (None, None)),
        (", John", (None, None)),
        ("Smith,", (None, None)),
    ],
)
def test_split_personal_name(name: str, expected: tuple) -> None:
    assert split_personal_name(name) == expected


@pytest.mark.parametrize(
    ("pattern", "code", "expected"),
    [
        ("{repository_code}/{year}/{object_id}", "AN", "10.5072/an/2026/123"),
        ("{repository_code}-{object_id}", "Archives Nationales / AN", "10.5072/archives-nationales-an-123"),  # noqa: E501
        ("{repository_code}/{year}/{object_id}", "Bibliothèque", "10.5072/bibliotheque/2026/123"),
        ("{repository_code}/{year}/{object_id}", "--AN..", "10.5072/an/2026/123"),
        ("{repository_code}/{year}/{object_id}", "///", "10.5072/r0/2026/123"),
        ("{repository_code}/{year}/{object_id}", None, "10.5072/r0/2026/123"),
        ("heratio.{object_id:06d}", "AN", "10.5072/heratio.000123"),
        ("ARCH-{object_id}", None, "10.5072/arch-123"),
    ],
)  # fmt: skip
def test_format_doi(pattern: str, code: str | None, expected: str) -> None:
    assert (
        format_doi("10.5072", pattern, repository_code=code, year=2026, object_id=123) == expected
    )


@pytest.mark.parametrize(
    ("prefix", "pattern", "message"),
    [
        ("10.5072", "{repository}/{object_id}", "unknown placeholder {repository}"),
        ("10.5072", "{repository_code}/{year}", "lacks {object_id}"),
        ("10.5072", "{object_id", "malformed"),
        ("10.5072", "my doi/{object_id}", "whitespace or characters that are unsafe"),
        ("doi:10.5072", "{object_id}", "is not a DOI prefix"),
        ("5072", "{object_id}", "is not a DOI prefix"),
    ],
)
def test_format_doi_configuration_errors(prefix: str, pattern: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("{", r"\{").replace("}", r"\}")):
        format_doi(prefix, pattern, repository_code="AN", year=2026, object_id=1)
