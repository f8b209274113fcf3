"""The identifiers module's check digits, and that the sample archive's identifiers pass them."""

from __future__ import annotations

import random

import pytest

from heratio_doi_pipelines.devtools.sample_archive import make_isni, make_orcid, make_ror
from heratio_doi_pipelines.metadata.identifiers import (
    iso7064_mod11_2,
    normalize_isni,
    normalize_orcid,
    normalize_ror,
    ror_check_digits,
    ror_error,
)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("0iiiiii00", "not 0 + 6 base32 characters + 2 check digits"),  # idutils.is_ror accepts it
        ("04wxnsj82", "its checksum does not match"),
        ("https://ror.org/05s0g1g47", "its checksum does not match"),
        ("14wxnsj81", "not 0 + 6 base32 characters + 2 check digits"),
        ("", "not 0 + 6 base32 characters + 2 check digits"),
        ("04wxnsj81", None),
        ("https://ror.org/013meh722", None),
        ("ROR.ORG/00F54P054", None),
    ],
)
def test_ror_format_and_checksum(raw: str, reason: str | None) -> None:
    assert ror_error(raw) == reason
    assert (normalize_ror(raw) is None) == (reason is not None)


def test_check_digits_match_published_identifiers() -> None:
    assert ror_check_digits("04wxnsj") == "81"
    assert ror_check_digits("05s0g1g") == "46"
    assert iso7064_mod11_2("000000021825009") == "7"  # ORCID's documented example
    assert iso7064_mod11_2("000000012103268") == "3"


def test_sample_identifiers_are_all_valid() -> None:
    rng = random.Random(7)
    for _ in range(200):
        assert normalize_orcid(make_orcid(rng))
        assert normalize_isni(make_isni(rng))
        assert normalize_ror(make_ror(rng))
