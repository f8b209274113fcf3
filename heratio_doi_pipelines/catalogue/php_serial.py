"""Read the PHP-serialised string arrays AtoM stores in ``property_i18n.value``.

AtoM keeps a description's languages and scripts as ``serialize(array('en', 'fr'))``, i.e.
``a:2:{i:0;s:2:"en";i:1;s:2:"fr";}``. Only strings are ever needed, so this is a small parser
for that subset (never ``unserialize`` on untrusted data: objects are not instantiated, only
strings are collected). Catalogues hold hand-edited and charset-mangled values, so it degrades
instead of failing: a wrong ``s:`` byte length is tolerated, broken input falls back to picking
out the ``s:N:"..."`` strings, and a bare value such as ``en`` is taken as-is.
"""

from __future__ import annotations

import re

_STRING_TOKEN = re.compile(r's:\d+:"(.*?)";', re.DOTALL)
_PHP_MARKERS = re.compile(r"^\s*(?:[aOsibdN]:|N;)")


class _Malformed(ValueError):
    pass


class _Parser:
    """Recursive-descent reader over the UTF-8 bytes (``s:N`` counts bytes, not characters)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.strings: list[str] = []

    def _expect(self, token: bytes) -> None:
        if not self.data.startswith(token, self.pos):
            raise _Malformed(f"expected {token!r} at {self.pos}")
        self.pos += len(token)

    def _read_until(self, stop: bytes) -> bytes:
        end = self.data.find(stop, self.pos)
        if end < 0:
            raise _Malformed(f"missing {stop!r}")
        chunk = self.data[self.pos : end]
        self.pos = end + len(stop)
        return chunk

    def value(self, collect: bool) -> None:
        kind = self.data[self.pos : self.pos + 1]
        if kind == b"N":
            self._expect(b"N;")
        elif kind in (b"i", b"b", b"d"):
            self.pos += 2
            self._read_until(b";")
        elif kind == b"s":
            self.pos += 2
            length = int(self._read_until(b":"))
            self._expect(b'"')
            end = self.pos + length
            if self.data[end : end + 2] != b'";':
                # Byte count disagrees with the text (re-encoded data): trust the delimiter.
                end = self.data.find(b'";', self.pos)
                if end < 0:
                    raise _Malformed("unterminated string")
            text = self.data[self.pos : end].decode("utf-8", errors="replace")
            self.pos = end + 2
            if collect:
                self.strings.append(text)
        elif kind == b"a":
            self.pos += 2
            count = int(self._read_until(b":"))
            self._expect(b"{")
            for _ in range(count):
                self.value(collect=False)  # key
                self.value(collect=collect)
            self._expect(b"}")
        else:
            raise _Malformed(f"unsupported type {kind!r} at {self.pos}")


def php_string_list(value: str | bytes | None) -> tuple[str, ...]:
    """The non-empty strings of a serialised PHP array (or single string), stripped, in order."""
    if value is None:
        return ()
    text = value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value
    if not text.strip():
        return ()
    if not _PHP_MARKERS.match(text):
        return (text.strip(),)
    parser = _Parser(text.strip().encode("utf-8"))
    try:
        parser.value(collect=True)
        found = parser.strings
    except (_Malformed, ValueError, IndexError):
        found = _STRING_TOKEN.findall(text)
    return tuple(s.strip() for s in found if s and s.strip())


def php_serialize_strings(values: list[str] | tuple[str, ...]) -> str:
    """``serialize(array(...))`` of strings, as AtoM writes it (used by the sample archive)."""
    parts = [
        f'i:{index};s:{len(item.encode("utf-8"))}:"{item}";' for index, item in enumerate(values)
    ]
    return f"a:{len(values)}:{{{''.join(parts)}}}"
