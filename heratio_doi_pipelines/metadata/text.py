"""Cleaning free text from catalogue notes so it is safe in JSON, XML and a citation.

Rules (applied in this order):

- markup: text that contains ``<`` or ``&`` is parsed as an HTML fragment with the standard
  library's HTML parser; tags are dropped, entities decoded, ``<script>``/``<style>`` content
  discarded, block elements (``p``, ``div``, ``br``, ``li``, headings...) become line breaks;
- characters XML 1.0 cannot hold are removed: C0 controls except tab/newline/carriage return,
  DEL and C1 controls, lone surrogates, U+FFFE/U+FFFF;
- Unicode NFC normalisation (so the payload hash does not depend on how a browser composed
  an accent);
- whitespace: single-line fields (titles, names, subjects) collapse every run of whitespace
  to one space; multi-line fields (descriptions) keep one line break between non-empty lines
  and collapse spaces inside lines; both are stripped;
- an empty result is ``None`` (callers then drop the field instead of sending ``""``).
"""

from __future__ import annotations

import re
import unicodedata
from html import unescape
from html.parser import HTMLParser

# Not allowed in XML 1.0 documents (tab, LF, CR are; they become whitespace below).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_NEEDS_WORK = re.compile(r"[<&]|  ")

_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
        "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
        "li", "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
    }
)  # fmt: skip
_DROPPED_CONTENT = frozenset({"script", "style", "head", "title", "template"})

# The markup that ``_strip_plain_tags`` reads itself: ``<name>``, ``<name/>`` and ``</name>``,
# start tags with bare or quoted attributes. Anything else ("a < b", comments, unquoted
# values, odd spacing) goes to the HTML parser.
_PLAIN_TAG = re.compile(
    r"<(?:([a-zA-Z][a-zA-Z0-9]*)"
    r"(?:[ \t\n\r\f]+[a-zA-Z_:][-a-zA-Z0-9_:.]*"
    r"(?:[ \t\n\r\f]*=[ \t\n\r\f]*(?:\"[^\"<>]*\"|'[^'<>]*'))?)*"
    r"[ \t\n\r\f]*(/?)|/([a-zA-Z][a-zA-Z0-9]*))>"
)
# Elements whose content the parser reads as raw text (in some Python version).
_RAW_TEXT_TAGS = frozenset(
    {
        "iframe", "noembed", "noframes", "noscript", "plaintext", "script", "style", "textarea",
        "title", "xmp",
    }
)  # fmt: skip


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML fragment; block elements become line breaks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED_CONTENT:
            self._skip_depth += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED_CONTENT:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(data)


def strip_html(value: str) -> str:
    """The text content of an HTML fragment (plain text passes through untouched)."""
    if "<" not in value and "&" not in value:
        return value
    text = _strip_plain_tags(value)
    if text is not None:
        return text
    parser = _TextExtractor()
    parser.feed(value)
    parser.close()
    return "".join(parser.parts)


def _strip_plain_tags(value: str) -> str | None:
    """What the HTML parser gives for text whose only markup is plain tags (see
    ``_PLAIN_TAG``), several times faster on long pasted notes; None for any other markup.

    Same events as the parser: entities decoded in each run of text between tags, tag names
    lower-cased, ``<name/>`` as a start-end tag. A raw-text element is read only when its
    content is dropped anyway and holds no ``<`` (``<script>...</script>``): every Python
    version's parser ends it at the same place.
    """
    extractor = _TextExtractor()
    raw_text: str | None = None  # the raw-text element just opened: its end tag comes next
    position = 0
    for tag in _PLAIN_TAG.finditer(value):
        start = tag.start()
        if start > position:
            chunk = value[position:start]
            if "<" in chunk:  # a "<" that is not a plain tag
                return None
            extractor.handle_data(chunk if raw_text else unescape(chunk))
        start_name, self_closing, end_name = tag.groups()
        name = (start_name or end_name).lower()
        position = tag.end()
        if raw_text is not None:
            if name != raw_text or not end_name:
                return None
            extractor.handle_endtag(name)
            raw_text = None
        elif name in _RAW_TEXT_TAGS:
            if name not in _DROPPED_CONTENT or not start_name or self_closing:
                return None
            extractor.handle_starttag(name, [])
            raw_text = name
        elif end_name:
            extractor.handle_endtag(name)
        elif self_closing:
            extractor.handle_startendtag(name, [])
        else:
            extractor.handle_starttag(name, [])
    rest = value[position:]
    if raw_text is not None or "<" in rest:
        return None
    if rest:
        extractor.handle_data(unescape(rest))
    return "".join(extractor.parts)


def remove_illegal_chars(value: str) -> str:
    """Drop characters that XML 1.0 cannot carry (controls, lone surrogates, non-characters)."""
    return _XML_ILLEGAL.sub("", value)


def clean_line(value: str | None) -> str | None:
    """A single-line field: markup and illegal characters removed, whitespace collapsed."""
    if value is None:
        return None
    text = str(value)
    if text.isascii() and text.isprintable() and not _NEEDS_WORK.search(text):
        return text.strip() or None  # the common case: nothing to strip, decode or collapse
    text = remove_illegal_chars(strip_html(remove_illegal_chars(text)))
    # str.split() splits on exactly what re's \s matches: every run collapsed, ends stripped
    text = " ".join(unicodedata.normalize("NFC", text).split())
    return text or None


def clean_paragraphs(value: str | None) -> str | None:
    """A multi-line note: like :func:`clean_line` but keeps one line break between paragraphs."""
    if value is None:
        return None
    text = str(value)
    if text.isascii() and text.isprintable() and not _NEEDS_WORK.search(text):
        return text.strip() or None  # one plain line: as in clean_line
    text = remove_illegal_chars(strip_html(remove_illegal_chars(text)))
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = (" ".join(line.split()) for line in text.split("\n"))  # runs collapsed, stripped
    joined = "\n".join(line for line in lines if line)
    return joined or None
