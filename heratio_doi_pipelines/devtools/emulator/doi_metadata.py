"""DataCite's metadata rules as far as the emulator enforces them: minimum metadata for
registered/findable DOIs, Kernel-4 XML decoding, and the XML echoed back in responses.

Only what a client can get wrong and DataCite would refuse is checked here; the project's
own metadata builder does the full job.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any

from lxml import etree

from heratio_doi_pipelines.datacite.shapes import publisher_name
from heratio_doi_pipelines.metadata.kernel_xml import from_xml, parse_xml, to_xml
from heratio_doi_pipelines.metadata.schema_versions import kernel_version
from heratio_doi_pipelines.metadata.validation import validate_tree
from heratio_doi_pipelines.metadata.vocabulary import FUNDER_IDENTIFIER_TYPES

KERNEL4_NS = "http://datacite.org/schema/kernel-4"
RETIRED_SCHEMA_RE = re.compile(r"^http://datacite\.org/schema/kernel-[23](\.\d+)?$")
RESOURCE_TYPES_GENERAL = frozenset(kernel_version().allowed("resourceType"))
YEAR_RE = re.compile(r"^\d{4}$")
BLANK = "Can't be blank"


class XmlRejected(ValueError):
    """The ``xml`` attribute cannot be used; ``str()`` is DataCite's error title."""


def decode_xml_attribute(value: Any) -> bytes:
    """Turn the base64 ``xml`` attribute into bytes, refusing what DataCite would refuse."""
    if not isinstance(value, str) or not value.strip():
        raise XmlRejected("Is invalid")
    try:
        raw = base64.b64decode(value.strip(), validate=False)
    except (binascii.Error, ValueError) as exc:
        raise XmlRejected("Is invalid: not base64") from exc
    return raw


def parse_kernel_xml(raw: bytes) -> tuple[etree._Element, dict[str, Any]]:
    """Parse Kernel XML into JSON attributes (the pipeline's own reader); Kernel 2/3 → rejected."""
    try:
        root = parse_xml(raw)
    except etree.XMLSyntaxError as exc:
        raise XmlRejected(f"Is invalid: {exc}") from exc
    namespace = etree.QName(root).namespace or ""
    if RETIRED_SCHEMA_RE.match(namespace):
        raise XmlRejected(f"Schema {namespace} is no longer supported")
    if namespace != KERNEL4_NS or etree.QName(root).localname != "resource":
        raise XmlRejected("Is invalid: not a DataCite Kernel-4 resource")
    try:
        attributes = from_xml(root)
    except (AttributeError, TypeError, ValueError) as exc:
        raise XmlRejected(f"Is invalid: {exc}") from exc
    attributes.pop("doi", None)  # the DOI is the request's, not the document's
    return root, attributes


def schema_errors(root: etree._Element) -> list[str]:
    """XSD violations of a Kernel-4 document, checked with the pipeline's vendored XSD."""
    return validate_tree(root)[:5]


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def registration_errors(uid: str, url: Any, attributes: Mapping[str, Any]) -> list[dict[str, str]]:
    """DataCite's 422 entries for a DOI that is or becomes registered/findable."""
    problems: list[tuple[str, str]] = []
    if _is_blank(url):
        problems.append(("url", BLANK))
    elif not isinstance(url, str) or not re.match(r"^https?://[^\s/]+", url):
        problems.append(("url", "Is invalid"))

    creators = attributes.get("creators")
    if not isinstance(creators, list) or not creators:
        problems.append(("creators", BLANK))
    elif not all(isinstance(c, Mapping) and not _is_blank(c.get("name")) for c in creators):
        problems.append(("creators", "Name can't be blank"))
    elif any(
        "nameIdentifiers" in c and not isinstance(c["nameIdentifiers"], list) for c in creators
    ):
        problems.append(("creators", "Name identifiers must be an array"))

    titles = attributes.get("titles")
    if not isinstance(titles, list) or not titles:
        problems.append(("titles", BLANK))
    elif not all(isinstance(t, Mapping) and not _is_blank(t.get("title")) for t in titles):
        problems.append(("titles", "Title can't be blank"))

    if _is_blank(publisher_name(attributes.get("publisher"))):
        problems.append(("publisher", BLANK))

    year = attributes.get("publicationYear")
    if _is_blank(year):
        problems.append(("publicationYear", BLANK))
    elif isinstance(year, bool) or not YEAR_RE.match(str(year).strip()):
        problems.append(("publicationYear", "Must be a four-digit year"))

    types = attributes.get("types")
    general = types.get("resourceTypeGeneral") if isinstance(types, Mapping) else None
    if _is_blank(general):
        problems.append(("types", "Resource type general can't be blank"))
    elif general not in RESOURCE_TYPES_GENERAL:
        problems.append(("types", f"Resource type general {general!r} is not a valid value"))

    dates = attributes.get("dates")
    if dates is not None and (
        not isinstance(dates, list) or not all(isinstance(d, Mapping) for d in dates)
    ):
        problems.append(("dates", "Is invalid: dates must be objects"))

    funding = attributes.get("fundingReferences")
    if isinstance(funding, list):
        for ref in funding:
            kind = ref.get("funderIdentifierType") if isinstance(ref, Mapping) else None
            if kind is not None and kind not in FUNDER_IDENTIFIER_TYPES:
                problems.append(
                    ("fundingReferences", f"Funder identifier type {kind!r} is invalid")
                )
                break
    return [{"source": source, "uid": uid, "title": title} for source, title in problems]


def render_kernel_xml(doi: str, attributes: Mapping[str, Any]) -> bytes:
    """Kernel-4 XML for the attributes (the pipeline's own writer), so responses carry ``xml``
    as DataCite's do. Raises ``XmlRejected`` for attributes of a shape no XML can hold."""
    try:
        return to_xml({**attributes, "doi": doi.upper()})
    except (AttributeError, TypeError, ValueError, KeyError) as exc:
        raise XmlRejected(f"Is invalid: {type(exc).__name__}: {exc}") from exc


def altered_copy(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """The metadata as a DataCite that does not store what it was sent would keep it: the
    first title changed and the publication year dropped."""
    altered = dict(attributes)
    titles = [
        dict(t) if isinstance(t, Mapping) else {"title": t} for t in altered.get("titles") or []
    ]
    if titles:
        titles[0]["title"] = f"{titles[0].get('title', '')} (as stored)"
        altered["titles"] = titles
    altered.pop("publicationYear", None)
    return altered
