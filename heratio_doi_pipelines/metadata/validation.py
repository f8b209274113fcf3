"""Validation of Kernel-4 XML against the vendored DataCite XSD of a schema version (4.7 by
default, see ``schema_versions``), with readable errors.

Each version's schema is parsed once per thread (lxml validators keep per-instance error
state) from the package's ``schema/kernel-<version>`` folder, one parse at a time.
Nothing is fetched from the network: each XSD imports
``include/xml.xsd`` by a relative path, a resolver maps the W3C's canonical xml.xsd URLs to
that copy, and the parser refuses any other network access.

lxml's messages (``Element '{http://datacite.org/schema/kernel-4}pointLatitude': [facet
'maxInclusive'] The value '123.4' is greater than the maximum value allowed ('90').``) are
rewritten to name the element and the rule: ``pointLatitude: value '123.4' is greater than
the maximum allowed (90)``.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from lxml import etree

from heratio_doi_pipelines.metadata.kernel_xml import NS, parse_xml
from heratio_doi_pipelines.metadata.schema_versions import kernel_version

SCHEMA_DIR = kernel_version().folder
_XML_XSD_URLS = frozenset(
    {
        "http://www.w3.org/2001/xml.xsd",
        "https://www.w3.org/2001/xml.xsd",
        "http://www.w3.org/2009/01/xml.xsd",
        "https://www.w3.org/2009/01/xml.xsd",
    }
)


class _LocalResolver(etree.Resolver):
    """Serves xml.xsd from the package; everything else resolves as plain local files."""

    def __init__(self, xml_xsd: Path):
        super().__init__()
        self.xml_xsd = str(xml_xsd)

    def resolve(self, system_url, public_id, context):  # type: ignore[no-untyped-def]
        if system_url in _XML_XSD_URLS:
            return self.resolve_filename(self.xml_xsd, context)
        return None


_local = threading.local()
# libxml2 does not parse XML Schemas safely from several threads at once (includes and
# imports share state): a worker's first validations could fail with "Document is not valid
# XML Schema". Each thread still gets its own schema; only the parsing takes turns.
_schema_parse_lock = threading.Lock()


def kernel_schema(version: str | None = None) -> etree.XMLSchema:
    """The XMLSchema of a DataCite schema version (default 4.7), parsed once per thread."""
    kernel = kernel_version(version)
    schemas: dict[str, etree.XMLSchema] = _local.__dict__.setdefault("schemas", {})
    schema = schemas.get(kernel.version)
    if schema is None:
        with _schema_parse_lock:
            parser = etree.XMLParser(no_network=True, resolve_entities=False)
            parser.resolvers.add(_LocalResolver(kernel.folder / "include" / "xml.xsd"))
            document = etree.parse(str(kernel.xsd), parser)
            schema = etree.XMLSchema(document)
        schemas[kernel.version] = schema
    return schema


_NS_NAME = re.compile(r"\{" + re.escape(NS) + r"\}")
_ELEMENT = re.compile(r"^Element '([^']+)'(?:, attribute '([^']+)')?: ")
_FACET = re.compile(r"^\[facet '(\w+)'\] ")
_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"^The value '(.*)' is greater than the maximum value allowed \('(.*)'\)\.$"),
        r"value '\1' is greater than the maximum allowed (\2)",
    ),
    (
        re.compile(r"^The value '(.*)' is less than the minimum value allowed \('(.*)'\)\.$"),
        r"value '\1' is less than the minimum allowed (\2)",
    ),
    (
        re.compile(r"^The value '(.*)' is not accepted by the pattern '(.*)'\.$"),
        r"value '\1' does not match the pattern \2",
    ),
    (
        re.compile(r"^The value '(.*)' is not an element of the set \{(.*)\}\.$"),
        r"value '\1' is not one of the allowed values (\2)",
    ),
    (
        re.compile(r"^The value has a length of '0'; this underruns the allowed minimum .*$"),
        "must not be empty",
    ),
    (
        re.compile(r"^Missing child element\(s\)\. Expected is (?:one of )?\( ?(.*?) ?\)\.$"),
        r"missing child element: \1",
    ),
    (
        re.compile(r"^This element is not expected\. Expected is (?:one of )?\( ?(.*?) ?\)\.$"),
        r"element not allowed here (expected \1)",
    ),
    (re.compile(r"^This element is not expected\.$"), "element not allowed here"),
    (
        re.compile(r"^The attribute '(.*)' is required but missing\.$"),
        r"required attribute \1 is missing",
    ),
    (re.compile(r"^The attribute '(.*)' is not allowed\.$"), r"attribute \1 is not allowed"),
    (
        re.compile(r"^'(.*)' is not a valid value of the atomic type '(.*)'\.$"),
        r"value '\1' is not a valid \2",
    ),
    (
        re.compile(r"^'(.*)' is not a valid value of the local atomic type\.$"),
        r"value '\1' is not valid here",
    ),
)


def readable_error(message: str) -> str:
    """Rewrite one libxml2 schema message as ``element[/@attribute]: what is wrong``."""
    text = _NS_NAME.sub("", message.strip())
    where = ""
    match = _ELEMENT.match(text)
    if match:
        where = match.group(1) + (f"/@{match.group(2)}" if match.group(2) else "")
        text = text[match.end() :]
    facet = _FACET.match(text)
    if facet:
        text = text[facet.end() :]
    text = re.sub(r"\{[^}]*\}", "", text) if "Expected is" in text else text
    for pattern, replacement in _REWRITES:
        if pattern.match(text):
            text = pattern.sub(replacement, text)
            break
    text = text.replace("xs:", "").rstrip(".")
    return f"{where}: {text}" if where else text


def validate_tree(root: etree._Element, version: str | None = None) -> list[str]:
    """Readable XSD errors for an already built ``<resource>`` element (empty when valid)."""
    schema = kernel_schema(version)
    if schema.validate(root):
        return []
    return _dedupe(readable_error(entry.message) for entry in schema.error_log)


def validate_xml(xml: bytes | str, version: str | None = None) -> list[str]:
    """Readable XSD errors for a Kernel-4 document (empty list when it is valid)."""
    try:
        root = parse_xml(xml)
    except etree.XMLSyntaxError as exc:
        return [f"xml: not well-formed: {exc}"]
    return validate_tree(root, version)


def _dedupe(messages) -> list[str]:  # type: ignore[no-untyped-def]
    out: list[str] = []
    for message in messages:
        if message not in out:
            out.append(message)
    return out
