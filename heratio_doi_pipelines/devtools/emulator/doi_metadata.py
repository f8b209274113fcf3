"""DataCite's metadata rules as far as the emulator enforces them: minimum metadata for
registered/findable DOIs, Kernel-4 XML decoding, and the XML echoed back in responses.

Only what a client can get wrong and DataCite would refuse is checked here; the project's
own metadata builder does the full job.
"""

from __future__ import annotations

import base64
import binascii
import functools
import importlib.util
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lxml import etree

KERNEL4_NS = "http://datacite.org/schema/kernel-4"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
RETIRED_SCHEMA_RE = re.compile(r"^http://datacite\.org/schema/kernel-[23](\.\d+)?$")

# Kernel 4.7 controlled list (datacite-resourceType-v4.xsd), Poster/Presentation being new.
RESOURCE_TYPES_GENERAL = frozenset(
    {
        "Audiovisual",
        "Award",
        "Book",
        "BookChapter",
        "Collection",
        "ComputationalNotebook",
        "ConferencePaper",
        "ConferenceProceeding",
        "DataPaper",
        "Dataset",
        "Dissertation",
        "Event",
        "Image",
        "Instrument",
        "InteractiveResource",
        "Journal",
        "JournalArticle",
        "Model",
        "OutputManagementPlan",
        "PeerReview",
        "PhysicalObject",
        "Poster",
        "Preprint",
        "Presentation",
        "Project",
        "Report",
        "Service",
        "Software",
        "Sound",
        "Standard",
        "StudyRegistration",
        "Text",
        "Workflow",
        "Other",
    }
)
FUNDER_IDENTIFIER_TYPES = frozenset({"ISNI", "GRID", "ROR", "Crossref Funder ID", "Other"})
YEAR_RE = re.compile(r"^\d{4}$")
BLANK = "Can't be blank"


class XmlRejected(ValueError):
    """The ``xml`` attribute cannot be used; ``str()`` is DataCite's error title."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


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
    """Parse Kernel XML into the JSON attributes the emulator validates; Kernel 2/3 → rejected."""
    try:
        root = etree.fromstring(raw, _parser())
    except etree.XMLSyntaxError as exc:
        raise XmlRejected(f"Is invalid: {exc}") from exc
    namespace = etree.QName(root).namespace or ""
    if RETIRED_SCHEMA_RE.match(namespace):
        raise XmlRejected(f"Schema {namespace} is no longer supported")
    if namespace != KERNEL4_NS or etree.QName(root).localname != "resource":
        raise XmlRejected("Is invalid: not a DataCite Kernel-4 resource")
    return root, _attributes_from_xml(root)


def _text(element: etree._Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    text = element.text.strip()
    return text or None


def _q(name: str) -> str:
    return f"{{{KERNEL4_NS}}}{name}"


def _attributes_from_xml(root: etree._Element) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    creators = []
    for creator in root.iterfind(f"{_q('creators')}/{_q('creator')}"):
        name_el = creator.find(_q("creatorName"))
        item: dict[str, Any] = {"name": _text(name_el)}
        if name_el is not None and name_el.get("nameType"):
            item["nameType"] = name_el.get("nameType")
        for key in ("givenName", "familyName"):
            if (value := _text(creator.find(_q(key)))) is not None:
                item[key] = value
        identifiers = [
            {
                "nameIdentifier": _text(el),
                "nameIdentifierScheme": el.get("nameIdentifierScheme"),
                "schemeUri": el.get("schemeURI"),
            }
            for el in creator.iterfind(_q("nameIdentifier"))
        ]
        item["nameIdentifiers"] = identifiers
        item["affiliation"] = [{"name": _text(el)} for el in creator.iterfind(_q("affiliation"))]
        creators.append(item)
    if root.find(_q("creators")) is not None:
        attributes["creators"] = creators
    if root.find(_q("titles")) is not None:
        titles = []
        for title in root.iterfind(f"{_q('titles')}/{_q('title')}"):
            item = {"title": _text(title)}
            if title.get("titleType"):
                item["titleType"] = title.get("titleType")
            if title.get(XML_LANG):
                item["lang"] = title.get(XML_LANG)
            titles.append(item)
        attributes["titles"] = titles
    publisher = root.find(_q("publisher"))
    if publisher is not None:
        attributes["publisher"] = _text(publisher)
    year = root.find(_q("publicationYear"))
    if year is not None:
        attributes["publicationYear"] = _text(year)
    resource_type = root.find(_q("resourceType"))
    if resource_type is not None:
        attributes["types"] = {
            "resourceTypeGeneral": resource_type.get("resourceTypeGeneral"),
            "resourceType": _text(resource_type),
        }
    language = root.find(_q("language"))
    if language is not None:
        attributes["language"] = _text(language)
    if root.find(_q("descriptions")) is not None:
        attributes["descriptions"] = [
            {"description": _text(el), "descriptionType": el.get("descriptionType")}
            for el in root.iterfind(f"{_q('descriptions')}/{_q('description')}")
        ]
    if root.find(_q("subjects")) is not None:
        attributes["subjects"] = [
            {"subject": _text(el), "subjectScheme": el.get("subjectScheme")}
            for el in root.iterfind(f"{_q('subjects')}/{_q('subject')}")
        ]
    if root.find(_q("dates")) is not None:
        attributes["dates"] = [
            {"date": _text(el), "dateType": el.get("dateType")}
            for el in root.iterfind(f"{_q('dates')}/{_q('date')}")
        ]
    return attributes


@functools.lru_cache(maxsize=1)
def kernel_schema() -> etree.XMLSchema | None:
    """The official Kernel-4 XSD if the project's metadata package vendors one, else None.

    Looked up by file name so the emulator works whether or not that package is present.
    """
    try:
        spec = importlib.util.find_spec("heratio_doi_pipelines.metadata")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        for candidate in sorted(Path(location).rglob("metadata.xsd")):
            try:
                return etree.XMLSchema(etree.parse(str(candidate), _parser()))
            except (etree.XMLSchemaParseError, etree.XMLSyntaxError, OSError):
                continue
    return None


def schema_errors(root: etree._Element) -> list[str]:
    """XSD violations of a Kernel-4 document (empty when valid or no XSD is available)."""
    schema = kernel_schema()
    if schema is None or schema.validate(root):
        return []
    return [f"{e.message} at line {e.line}" for e in list(schema.error_log)[:5]]


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _publisher_name(value: Any) -> Any:
    return value.get("name") if isinstance(value, Mapping) else value


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

    if _is_blank(_publisher_name(attributes.get("publisher"))):
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
    """Kernel-4 XML for the attributes, so responses carry ``xml`` as DataCite's do."""
    root = etree.Element(_q("resource"), nsmap={None: KERNEL4_NS})
    identifier = etree.SubElement(root, _q("identifier"), identifierType="DOI")
    identifier.text = doi.upper()

    creators_el = etree.SubElement(root, _q("creators"))
    for creator in _dicts(attributes.get("creators")):
        creator_el = etree.SubElement(creators_el, _q("creator"))
        name_el = etree.SubElement(creator_el, _q("creatorName"))
        name_el.text = str(creator.get("name") or "")
        if creator.get("nameType"):
            name_el.set("nameType", str(creator["nameType"]))
        for key in ("givenName", "familyName"):
            if creator.get(key):
                etree.SubElement(creator_el, _q(key)).text = str(creator[key])
    titles_el = etree.SubElement(root, _q("titles"))
    for title in _dicts(attributes.get("titles")):
        title_el = etree.SubElement(titles_el, _q("title"))
        title_el.text = str(title.get("title") or "")
        if title.get("titleType"):
            title_el.set("titleType", str(title["titleType"]))
        if title.get("lang"):
            title_el.set(XML_LANG, str(title["lang"]))
    publisher = _publisher_name(attributes.get("publisher"))
    etree.SubElement(root, _q("publisher")).text = "" if publisher is None else str(publisher)
    year = attributes.get("publicationYear")
    etree.SubElement(root, _q("publicationYear")).text = "" if year is None else str(year)
    types = attributes.get("types")
    if isinstance(types, Mapping):
        type_el = etree.SubElement(root, _q("resourceType"))
        type_el.set("resourceTypeGeneral", str(types.get("resourceTypeGeneral") or ""))
        type_el.text = str(types.get("resourceType") or "")
    if attributes.get("language"):
        etree.SubElement(root, _q("language")).text = str(attributes["language"])
    descriptions = _dicts(attributes.get("descriptions"))
    if descriptions:
        parent = etree.SubElement(root, _q("descriptions"))
        for item in descriptions:
            el = etree.SubElement(parent, _q("description"))
            el.set("descriptionType", str(item.get("descriptionType") or "Other"))
            el.text = str(item.get("description") or "")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _dicts(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []
