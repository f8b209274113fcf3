"""AtoM's PHP-serialised language arrays, including the junk real catalogues hold."""

from __future__ import annotations

import pytest

from heratio_doi_pipelines.catalogue.php_serial import php_serialize_strings, php_string_list


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ('a:2:{i:0;s:2:"en";i:1;s:2:"fr";}', ("en", "fr")),
        ('a:1:{i:0;s:2:"af";}', ("af",)),
        ("a:0:{}", ()),
        ('s:2:"en";', ("en",)),
        # byte length (UTF-8), not characters
        ('a:1:{i:0;s:6:"ελ";}'.replace("s:6", "s:4"), ("ελ",)),
        # wrong byte count after a charset conversion: the delimiter wins
        ('a:1:{i:0;s:9:"en";}', ("en",)),
        # truncated array: the strings that are there
        ('a:2:{i:0;s:2:"en";i:1;s:2:"f', ("en",)),
        ('a:1:{i:0;s:7:"en";', ("en",)),
        # string keys, non-string values and nested arrays are tolerated
        ('a:3:{s:1:"x";s:2:"de";i:1;i:5;i:2;a:1:{i:0;s:2:"nl";}}', ("de", "nl")),
        ("a:2:{i:0;N;i:1;b:1;}", ()),
        # bare values a hand edit left behind
        ("en", ("en",)),
        ("  english ", ("english",)),
        ("", ()),
        ("   ", ()),
        (None, ()),
        ('a:1:{i:0;s:0:"";}', ()),
        ("a:zz", ()),
    ],
)
def test_php_string_list(stored: str | None, expected: tuple[str, ...]) -> None:
    assert php_string_list(stored) == expected


def test_bytes_are_decoded() -> None:
    assert php_string_list(b'a:1:{i:0;s:2:"cy";}') == ("cy",)


def test_round_trip_with_multibyte_strings() -> None:
    values = ["en", "ελληνικά", "中文"]
    stored = php_serialize_strings(values)
    assert stored.startswith('a:3:{i:0;s:2:"en";i:1;s:16:"ελληνικά";')
    assert php_string_list(stored) == tuple(values)
