"""Language values from the catalogue as BCP 47 tags (ISO 639-1 where one exists) via langcodes.

Rules: values that look like tags (ASCII letters/digits with ``-``/``_``) are codes and are
standardised (``eng``/``EN`` -> ``en``, ``fre`` -> ``fr``, ``en_GB`` ->
``en-GB``, ``iw`` -> ``he``); when the value is not a code, it is looked up as a language name
in any language (``English`` -> ``en``, ``Français`` -> ``fr``, ``Deutsch`` -> ``de``);
unknown, private-use or undetermined values (``xx``, ``qaa``, ``und``) give ``None``.
"""

from __future__ import annotations

import re
from functools import lru_cache

import langcodes

_CODE = re.compile(r"^[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*$")
_NAME_PUNCTUATION = frozenset(" -'(),.")


@lru_cache(maxsize=4096)
def normalize_language(value: str | None) -> str | None:
    """A valid BCP 47 tag for a code or a language name, else None."""
    if not value:
        return None
    text = " ".join(str(value).split())
    if not text or len(text) > 64:
        return None
    if _CODE.match(text) and (tag := _from_code(text)):
        return tag
    if all(ch.isalpha() or ch in _NAME_PUNCTUATION for ch in text):
        return _from_name(text)
    return None


def _known(tag: str) -> str | None:
    language = langcodes.Language.get(tag)
    if not language.is_valid() or not language.language or language.language == "und":
        return None
    if language.language_name().startswith("Unknown language"):
        return None
    return str(language)


def _from_code(text: str) -> str | None:
    try:
        return _known(langcodes.standardize_tag(text.replace("_", "-")))
    except (ValueError, LookupError):
        return None


def _from_name(text: str) -> str | None:
    try:
        return _known(langcodes.find(text).to_tag())
    except Exception:  # the name index (marisa-trie) can fail on odd input: not a language
        return None
