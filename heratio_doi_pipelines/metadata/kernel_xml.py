"""DataCite JSON attributes <-> Kernel-4 XML (lxml), covering every Kernel 4.7 property.

``to_xml`` writes what DataCite's REST API would accept in the ``xml`` attribute (namespace
``http://datacite.org/schema/kernel-4``, schemaLocation of the chosen version's XSD);
``from_xml`` reads a Kernel-4 document back into the JSON attribute model so DataCite's own
example records can
be round-tripped in tests. JSON spells ``schemeUri``/``awardUri``/``rightsUri``/``valueUri``
where XML says ``schemeURI``/``awardURI``/``rightsURI``/``valueURI``; ``lang`` is ``xml:lang``.
Text and attribute values go through the XML-illegal-character filter, so any attributes
dict serialises.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lxml import etree

from heratio_doi_pipelines.metadata.schema_versions import NS, kernel_version, version_of_location
from heratio_doi_pipelines.metadata.text import remove_illegal_chars

XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_NSMAP = {None: NS, "xsi": XSI}
_XSI_SCHEMA_LOCATION = f"{{{XSI}}}schemaLocation"

# (JSON key, XML attribute) pairs per element kind.
_NAME_ATTRS = (("nameType", "nameType"), ("lang", XML_LANG))
_NAME_ID_ATTRS = (("nameIdentifierScheme", "nameIdentifierScheme"), ("schemeUri", "schemeURI"))
_AFFILIATION_ATTRS = (
    ("affiliationIdentifier", "affiliationIdentifier"),
    ("affiliationIdentifierScheme", "affiliationIdentifierScheme"),
    ("schemeUri", "schemeURI"),
)
_TITLE_ATTRS = (("titleType", "titleType"), ("lang", XML_LANG))
_PUBLISHER_ATTRS = (
    ("publisherIdentifier", "publisherIdentifier"),
    ("publisherIdentifierScheme", "publisherIdentifierScheme"),
    ("schemeUri", "schemeURI"),
    ("lang", XML_LANG),
)
_SUBJECT_ATTRS = (
    ("subjectScheme", "subjectScheme"),
    ("schemeUri", "schemeURI"),
    ("valueUri", "valueURI"),
    ("classificationCode", "classificationCode"),
    ("lang", XML_LANG),
)
_DATE_ATTRS = (("dateType", "dateType"), ("dateInformation", "dateInformation"))
_ALT_ID_ATTRS = (("identifierType", "alternateIdentifierType"),)
_RELATED_ID_ATTRS = (
    ("relatedIdentifierType", "relatedIdentifierType"),
    ("relationType", "relationType"),
    ("resourceTypeGeneral", "resourceTypeGeneral"),
    ("relatedMetadataScheme", "relatedMetadataScheme"),
    ("schemeUri", "schemeURI"),
    ("schemeType", "schemeType"),
    ("relationTypeInformation", "relationTypeInformation"),
)
_RIGHTS_ATTRS = (
    ("rightsUri", "rightsURI"),
    ("rightsIdentifier", "rightsIdentifier"),
    ("rightsIdentifierScheme", "rightsIdentifierScheme"),
    ("schemeUri", "schemeURI"),
    ("lang", XML_LANG),
)
_DESCRIPTION_ATTRS = (("descriptionType", "descriptionType"), ("lang", XML_LANG))
_FUNDER_ID_ATTRS = (("funderIdentifierType", "funderIdentifierType"), ("schemeUri", "schemeURI"))
_RELATED_ITEM_ATTRS = (
    ("relatedItemType", "relatedItemType"),
    ("relationType", "relationType"),
    ("relationTypeInformation", "relationTypeInformation"),
)
_RELATED_ITEM_ID_ATTRS = (
    ("relatedItemIdentifierType", "relatedItemIdentifierType"),
    ("relatedMetadataScheme", "relatedMetadataScheme"),
    ("schemeUri", "schemeURI"),
    ("schemeType", "schemeType"),
)
_BOX_KEYS = ("westBoundLongitude", "eastBoundLongitude", "southBoundLatitude", "northBoundLatitude")
_RELATED_ITEM_TEXT = ("volume", "issue", "firstPage", "lastPage", "publisher", "edition")


class _QualifiedNames(dict[str, str]):
    """Kernel-4 element name -> ``{namespace}name``, made on first use (then a plain dict
    lookup on the hot path of ``build_tree``)."""

    def __missing__(self, name: str) -> str:
        tag = self[name] = f"{{{NS}}}{name}"
        return tag


_TAGS = _QualifiedNames()
_SubElement = etree.SubElement


def _q(name: str) -> str:
    return _TAGS[name]


def _text(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)
    return value if isinstance(value, str) else str(value)


def _sub(parent: etree._Element, name: str, text: Any = None) -> etree._Element:
    element = _SubElement(parent, _TAGS[name])
    if text is not None:
        value = text if type(text) is str else _text(text)
        try:
            element.text = value
        except ValueError:  # characters XML cannot hold: drop them rather than fail
            element.text = remove_illegal_chars(value)
    return element


def _set_attrs(element: etree._Element, data: dict[str, Any], pairs: Iterable[tuple[str, str]]):
    for key, attr in pairs:
        value = data.get(key)
        if value is not None and value != "":
            text = value if type(value) is str else _text(value)
            try:
                element.set(attr, text)
            except ValueError:
                element.set(attr, remove_illegal_chars(text))


def _wrap(parent: etree._Element, name: str, items: Any) -> etree._Element | None:
    if not items:
        return None
    return _sub(parent, name)


def _people(parent: etree._Element, people: list[Any], role: str, full: bool) -> None:
    """creators/contributors (``full``: with nameIdentifiers and affiliations)."""
    for person in people:
        if isinstance(person, str):
            person = {"name": person}
        element = _sub(parent, role)
        if role == "contributor":
            _set_attrs(element, person, (("contributorType", "contributorType"),))
        name = _sub(element, f"{role}Name", person.get("name", ""))
        _set_attrs(name, person, _NAME_ATTRS)
        for key in ("givenName", "familyName"):
            if person.get(key):
                _sub(element, key, person[key])
        if not full:
            continue
        for ident in person.get("nameIdentifiers") or []:
            if isinstance(ident, str):
                ident = {"nameIdentifier": ident}
            node = _sub(element, "nameIdentifier", ident.get("nameIdentifier", ""))
            _set_attrs(node, ident, _NAME_ID_ATTRS)
        for affiliation in person.get("affiliation") or []:
            if isinstance(affiliation, str):
                affiliation = {"name": affiliation}
            node = _sub(element, "affiliation", affiliation.get("name", ""))
            _set_attrs(node, affiliation, _AFFILIATION_ATTRS)


def _titles(parent: etree._Element, titles: list[Any]) -> None:
    for title in titles:
        if isinstance(title, str):
            title = {"title": title}
        node = _sub(parent, "title", title.get("title", ""))
        _set_attrs(node, title, _TITLE_ATTRS)


def _point(parent: etree._Element, name: str, point: dict[str, Any]) -> None:
    node = _sub(parent, name)
    _sub(node, "pointLongitude", point.get("pointLongitude"))
    _sub(node, "pointLatitude", point.get("pointLatitude"))


def _polygon(parent: etree._Element, points: list[Any]) -> None:
    node = _sub(parent, "geoLocationPolygon")
    for entry in points:
        if "polygonPoint" in entry:
            _point(node, "polygonPoint", entry["polygonPoint"])
    for entry in points:
        if "inPolygonPoint" in entry:
            _point(node, "inPolygonPoint", entry["inPolygonPoint"])


def _geo_locations(parent: etree._Element, locations: list[dict[str, Any]]) -> None:
    for location in locations:
        node = _sub(parent, "geoLocation")
        if location.get("geoLocationPlace"):
            _sub(node, "geoLocationPlace", location["geoLocationPlace"])
        if location.get("geoLocationPoint"):
            _point(node, "geoLocationPoint", location["geoLocationPoint"])
        if location.get("geoLocationBox"):
            box = _sub(node, "geoLocationBox")
            for key in _BOX_KEYS:
                _sub(box, key, location["geoLocationBox"].get(key))
        polygons = location.get("geoLocationPolygon") or []
        if polygons and isinstance(polygons[0], list):
            for polygon in polygons:
                _polygon(node, polygon)
        elif polygons:
            _polygon(node, polygons)


def _related_items(parent: etree._Element, items: list[dict[str, Any]]) -> None:
    for item in items:
        node = _sub(parent, "relatedItem")
        _set_attrs(node, item, _RELATED_ITEM_ATTRS)
        ident = item.get("relatedItemIdentifier")
        if ident:
            if isinstance(ident, str):
                ident = {"relatedItemIdentifier": ident}
            id_node = _sub(node, "relatedItemIdentifier", ident.get("relatedItemIdentifier", ""))
            _set_attrs(id_node, ident, _RELATED_ITEM_ID_ATTRS)
        if item.get("creators"):
            _people(_sub(node, "creators"), item["creators"], "creator", full=False)
        if item.get("titles"):
            _titles(_sub(node, "titles"), item["titles"])
        if item.get("publicationYear"):
            _sub(node, "publicationYear", _year(item["publicationYear"]))
        for key in ("volume", "issue"):
            if item.get(key):
                _sub(node, key, item[key])
        if item.get("number"):
            number = _sub(node, "number", item["number"])
            _set_attrs(number, item, (("numberType", "numberType"),))
        for key in _RELATED_ITEM_TEXT[2:]:
            if item.get(key):
                _sub(node, key, item[key])
        if item.get("contributors"):
            _people(_sub(node, "contributors"), item["contributors"], "contributor", full=False)


def _year(value: Any) -> str:
    """Years before 1000 as four digits (``950`` -> ``0950``); text is left for the XSD to judge."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 9999:
        return f"{value:04d}"
    return str(value).strip()


def build_tree(attributes: dict[str, Any], version: str | None = None) -> etree._Element:
    """The Kernel-4 ``<resource>`` element for JSON:API attributes (not yet validated), naming
    the XSD of ``version`` (default 4.7) in its schemaLocation."""
    a = attributes
    root = etree.Element(_q("resource"), nsmap=_NSMAP)
    root.set(_XSI_SCHEMA_LOCATION, kernel_version(version).schema_location)
    identifier = _sub(root, "identifier", a.get("doi", ""))
    identifier.set("identifierType", "DOI")
    _people(_sub(root, "creators"), a.get("creators") or [], "creator", full=True)
    _titles(_sub(root, "titles"), a.get("titles") or [])
    publisher = a.get("publisher")
    if isinstance(publisher, dict):
        node = _sub(root, "publisher", publisher.get("name", ""))
        _set_attrs(node, publisher, _PUBLISHER_ATTRS)
    else:
        _sub(root, "publisher", publisher if publisher is not None else "")
    year = a.get("publicationYear")
    _sub(root, "publicationYear", _year(year) if year is not None else "")
    types = a.get("types") or {}
    resource_type = _sub(root, "resourceType", types.get("resourceType") or "")
    if types.get("resourceTypeGeneral"):
        _set_attrs(resource_type, types, (("resourceTypeGeneral", "resourceTypeGeneral"),))

    if (wrapper := _wrap(root, "subjects", a.get("subjects"))) is not None:
        for subject in a["subjects"]:
            if isinstance(subject, str):
                subject = {"subject": subject}
            _set_attrs(
                _sub(wrapper, "subject", subject.get("subject", "")), subject, _SUBJECT_ATTRS
            )
    if (wrapper := _wrap(root, "contributors", a.get("contributors"))) is not None:
        _people(wrapper, a["contributors"], "contributor", full=True)
    if (wrapper := _wrap(root, "dates", a.get("dates"))) is not None:
        for date in a["dates"]:
            _set_attrs(_sub(wrapper, "date", date.get("date", "")), date, _DATE_ATTRS)
    if a.get("language"):
        _sub(root, "language", a["language"])
    if (wrapper := _wrap(root, "alternateIdentifiers", a.get("identifiers"))) is not None:
        for ident in a["identifiers"]:
            node = _sub(wrapper, "alternateIdentifier", ident.get("identifier", ""))
            _set_attrs(node, ident, _ALT_ID_ATTRS)
    if (wrapper := _wrap(root, "relatedIdentifiers", a.get("relatedIdentifiers"))) is not None:
        for rel in a["relatedIdentifiers"]:
            node = _sub(wrapper, "relatedIdentifier", rel.get("relatedIdentifier", ""))
            _set_attrs(node, rel, _RELATED_ID_ATTRS)
    for wrapper_name, item_name, key in (
        ("sizes", "size", "sizes"),
        ("formats", "format", "formats"),
    ):
        if (wrapper := _wrap(root, wrapper_name, a.get(key))) is not None:
            for value in a[key]:
                _sub(wrapper, item_name, value)
    if a.get("version"):
        _sub(root, "version", a["version"])
    if (wrapper := _wrap(root, "rightsList", a.get("rightsList"))) is not None:
        for rights in a["rightsList"]:
            _set_attrs(_sub(wrapper, "rights", rights.get("rights", "")), rights, _RIGHTS_ATTRS)
    if (wrapper := _wrap(root, "descriptions", a.get("descriptions"))) is not None:
        for desc in a["descriptions"]:
            node = _sub(wrapper, "description", desc.get("description", ""))
            _set_attrs(node, desc, _DESCRIPTION_ATTRS)
    if (wrapper := _wrap(root, "geoLocations", a.get("geoLocations"))) is not None:
        _geo_locations(wrapper, a["geoLocations"])
    if (wrapper := _wrap(root, "fundingReferences", a.get("fundingReferences"))) is not None:
        for ref in a["fundingReferences"]:
            node = _sub(wrapper, "fundingReference")
            _sub(node, "funderName", ref.get("funderName", ""))
            if ref.get("funderIdentifier"):
                ident = _sub(node, "funderIdentifier", ref["funderIdentifier"])
                _set_attrs(ident, ref, _FUNDER_ID_ATTRS)
            if ref.get("awardNumber") or ref.get("awardUri"):
                award = _sub(node, "awardNumber", ref.get("awardNumber") or "")
                _set_attrs(award, ref, (("awardUri", "awardURI"),))
            if ref.get("awardTitle"):
                _sub(node, "awardTitle", ref["awardTitle"])
    if (wrapper := _wrap(root, "relatedItems", a.get("relatedItems"))) is not None:
        _related_items(wrapper, a["relatedItems"])
    return root


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def to_xml(attributes: dict[str, Any], version: str | None = None) -> bytes:
    """Kernel-4 XML (UTF-8 bytes) for JSON:API attributes; ``url`` is never part of it."""
    return serialize(build_tree(attributes, version))


# --- reading -------------------------------------------------------------------------------

_SAFE_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
)


def parse_xml(xml: bytes | str) -> etree._Element:
    """Parse untrusted XML without entity expansion or network access."""
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    return etree.fromstring(data, parser=_SAFE_PARSER)


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _children(element: etree._Element, name: str | None = None) -> list[etree._Element]:
    return [c for c in element if isinstance(c.tag, str) and (name is None or _local(c) == name)]


def _child(element: etree._Element, name: str) -> etree._Element | None:
    found = _children(element, name)
    return found[0] if found else None


def _strip(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _get_attrs(element: etree._Element, pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, attr in pairs:
        value = element.get(attr)
        if value is not None and value.strip():
            out[key] = value.strip()
    return out


def _read_people(wrapper: etree._Element | None, role: str) -> list[dict[str, Any]]:
    people: list[dict[str, Any]] = []
    if wrapper is None:
        return people
    for element in _children(wrapper, role):
        person: dict[str, Any] = {}
        if role == "contributor":
            person |= _get_attrs(element, (("contributorType", "contributorType"),))
        name = _child(element, f"{role}Name")
        if name is not None:
            person["name"] = _strip(name)
            person |= _get_attrs(name, _NAME_ATTRS)
        for key in ("givenName", "familyName"):
            if _strip(_child(element, key)):
                person[key] = _strip(_child(element, key))
        identifiers = [
            {"nameIdentifier": _strip(node)} | _get_attrs(node, _NAME_ID_ATTRS)
            for node in _children(element, "nameIdentifier")
        ]
        if identifiers:
            person["nameIdentifiers"] = identifiers
        affiliations = [
            {"name": _strip(node)} | _get_attrs(node, _AFFILIATION_ATTRS)
            for node in _children(element, "affiliation")
        ]
        if affiliations:
            person["affiliation"] = affiliations
        people.append(person)
    return people


def _read_titles(wrapper: etree._Element | None) -> list[dict[str, Any]]:
    if wrapper is None:
        return []
    return [
        {"title": _strip(node)} | _get_attrs(node, _TITLE_ATTRS)
        for node in _children(wrapper, "title")
    ]


def _number(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return text


def _read_point(element: etree._Element) -> dict[str, Any]:
    return {
        key: _number(_strip(_child(element, key)))
        for key in ("pointLongitude", "pointLatitude")
        if _child(element, key) is not None
    }


def _read_geo(wrapper: etree._Element) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for location in _children(wrapper, "geoLocation"):
        block: dict[str, Any] = {}
        place = _child(location, "geoLocationPlace")
        if _strip(place):
            block["geoLocationPlace"] = _strip(place)
        point = _child(location, "geoLocationPoint")
        if point is not None:
            block["geoLocationPoint"] = _read_point(point)
        box = _child(location, "geoLocationBox")
        if box is not None:
            block["geoLocationBox"] = {
                key: _number(_strip(_child(box, key)))
                for key in _BOX_KEYS
                if _child(box, key) is not None
            }
        polygons = []
        for polygon in _children(location, "geoLocationPolygon"):
            points: list[dict[str, Any]] = [
                {_local(node): _read_point(node)}
                for node in _children(polygon)
                if _local(node) in ("polygonPoint", "inPolygonPoint")
            ]
            polygons.append(points)
        if len(polygons) == 1:
            block["geoLocationPolygon"] = polygons[0]
        elif polygons:
            block["geoLocationPolygon"] = polygons
        out.append(block)
    return out


def _read_related_items(wrapper: etree._Element) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for node in _children(wrapper, "relatedItem"):
        item = _get_attrs(node, _RELATED_ITEM_ATTRS)
        ident = _child(node, "relatedItemIdentifier")
        if ident is not None:
            item["relatedItemIdentifier"] = {"relatedItemIdentifier": _strip(ident)} | _get_attrs(
                ident, _RELATED_ITEM_ID_ATTRS
            )
        creators = _read_people(_child(node, "creators"), "creator")
        if creators:
            item["creators"] = creators
        titles = _read_titles(_child(node, "titles"))
        if titles:
            item["titles"] = titles
        if _strip(_child(node, "publicationYear")):
            item["publicationYear"] = _strip(_child(node, "publicationYear"))
        number = _child(node, "number")
        if number is not None:
            item["number"] = _strip(number)
            item |= _get_attrs(number, (("numberType", "numberType"),))
        for key in _RELATED_ITEM_TEXT:
            if _strip(_child(node, key)):
                item[key] = _strip(_child(node, key))
        contributors = _read_people(_child(node, "contributors"), "contributor")
        if contributors:
            item["contributors"] = contributors
        out.append(item)
    return out


def _description_text(node: etree._Element) -> str:
    parts = [node.text or ""]
    for child in node:
        if _local(child) == "br":
            parts.append("\n")
        parts.append(child.tail or "")
    return "\n".join(line.strip() for line in "".join(parts).strip().split("\n"))


def _root(xml: bytes | str | etree._Element) -> etree._Element:
    """A document already parsed is read as it is: each caller parses untrusted XML once."""
    return xml if isinstance(xml, etree._Element) else parse_xml(xml)


def schema_version_of(xml: bytes | str | etree._Element) -> str | None:
    """The schema version (``4.N``) a Kernel-4 document names in its xsi:schemaLocation."""
    return version_of_location(_root(xml).get(_XSI_SCHEMA_LOCATION))


def from_xml(xml: bytes | str | etree._Element) -> dict[str, Any]:
    """Kernel-4 XML -> JSON:API attributes (empty wrappers and values are left out)."""
    root = _root(xml)
    a: dict[str, Any] = {}
    identifier = _child(root, "identifier")
    if _strip(identifier):
        a["doi"] = _strip(identifier)
    creators = _read_people(_child(root, "creators"), "creator")
    if creators:
        a["creators"] = creators
    titles = _read_titles(_child(root, "titles"))
    if titles:
        a["titles"] = titles
    publisher = _child(root, "publisher")
    if publisher is not None:
        extra = _get_attrs(publisher, _PUBLISHER_ATTRS)
        a["publisher"] = {"name": _strip(publisher)} | extra if extra else _strip(publisher)
    year = _strip(_child(root, "publicationYear"))
    if year:
        a["publicationYear"] = int(year) if year.isdigit() else year
    resource_type = _child(root, "resourceType")
    if resource_type is not None:
        types = _get_attrs(resource_type, (("resourceTypeGeneral", "resourceTypeGeneral"),))
        if _strip(resource_type):
            types["resourceType"] = _strip(resource_type)
        a["types"] = types
    simple_lists = (
        ("subjects", "subject", "subject", _SUBJECT_ATTRS),
        ("dates", "date", "date", _DATE_ATTRS),
        ("alternateIdentifiers", "alternateIdentifier", "identifier", _ALT_ID_ATTRS),
        ("relatedIdentifiers", "relatedIdentifier", "relatedIdentifier", _RELATED_ID_ATTRS),
        ("rightsList", "rights", "rights", _RIGHTS_ATTRS),
    )
    for wrapper_name, item_name, key, pairs in simple_lists:
        wrapper = _child(root, wrapper_name)
        if wrapper is None:
            continue
        items = []
        for node in _children(wrapper, item_name):
            item = _get_attrs(node, pairs)
            if _strip(node):
                item[key] = _strip(node)
            if item:
                items.append(item)
        if items:
            a["identifiers" if wrapper_name == "alternateIdentifiers" else wrapper_name] = items
    contributors = _read_people(_child(root, "contributors"), "contributor")
    if contributors:
        a["contributors"] = contributors
    if _strip(_child(root, "language")):
        a["language"] = _strip(_child(root, "language"))
    for wrapper_name, item_name in (("sizes", "size"), ("formats", "format")):
        wrapper = _child(root, wrapper_name)
        values = [_strip(n) for n in _children(wrapper, item_name)] if wrapper is not None else []
        if any(values):
            a[wrapper_name] = [v for v in values if v]
    if _strip(_child(root, "version")):
        a["version"] = _strip(_child(root, "version"))
    descriptions_node = _child(root, "descriptions")
    if descriptions_node is not None:
        descriptions = []
        for node in _children(descriptions_node, "description"):
            item = _get_attrs(node, _DESCRIPTION_ATTRS)
            text = _description_text(node)
            if text:
                item["description"] = text
            descriptions.append(item)
        if descriptions:
            a["descriptions"] = descriptions
    geo = _child(root, "geoLocations")
    if geo is not None and _read_geo(geo):
        a["geoLocations"] = _read_geo(geo)
    funding = _child(root, "fundingReferences")
    if funding is not None:
        refs = []
        for node in _children(funding, "fundingReference"):
            ref: dict[str, Any] = {}
            if _strip(_child(node, "funderName")):
                ref["funderName"] = _strip(_child(node, "funderName"))
            ident = _child(node, "funderIdentifier")
            if ident is not None and _strip(ident):
                ref["funderIdentifier"] = _strip(ident)
                ref |= _get_attrs(ident, _FUNDER_ID_ATTRS)
            award = _child(node, "awardNumber")
            if award is not None:
                if _strip(award):
                    ref["awardNumber"] = _strip(award)
                ref |= _get_attrs(award, (("awardUri", "awardURI"),))
            if _strip(_child(node, "awardTitle")):
                ref["awardTitle"] = _strip(_child(node, "awardTitle"))
            refs.append(ref)
        if refs:
            a["fundingReferences"] = refs
    related_items = _child(root, "relatedItems")
    if related_items is not None and _children(related_items):
        a["relatedItems"] = _read_related_items(related_items)
    return a
