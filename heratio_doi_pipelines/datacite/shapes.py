"""DataCite's two shapes of ``publisher`` and ``affiliation`` in ``/dois`` JSON.

Without ``affiliation=true&publisher=true`` DataCite answers with plain strings (the
publisher's name, each affiliation's name); with them, with objects that keep identifiers
(``{"name": ..., "publisherIdentifier": ..., "schemeUri": ...}``). From September 2027
objects are the default. The client always asks for objects (``SHAPE_PARAMS``); everything
that hashes or compares metadata goes through ``compact_shapes`` so either shape of the same
metadata compares equal.
"""

from __future__ import annotations

from typing import Any

SHAPE_PARAMS: dict[str, str] = {"affiliation": "true", "publisher": "true"}
_PEOPLE = ("creators", "contributors")


def publisher_name(value: Any) -> str | None:
    """The publisher's name in either shape."""
    if isinstance(value, dict):
        name = value.get("name")
        return str(name) if name is not None else None
    return value if value is None else str(value)


def _compact(value: Any) -> Any:
    """A name-only object as its name; anything else as it is (empty keys dropped)."""
    if isinstance(value, dict):
        kept = {k: v for k, v in value.items() if v not in (None, "", [], {})}
        return kept["name"] if set(kept) == {"name"} else kept
    return value


def _expand(value: Any) -> Any:
    return {"name": value} if isinstance(value, str) else value


def _names(value: Any) -> Any:
    return value.get("name") if isinstance(value, dict) else value


def _reshape(attributes: dict[str, Any], publisher: Any, affiliation: Any) -> dict[str, Any]:
    out = dict(attributes)
    if publisher is not None and out.get("publisher") is not None:
        out["publisher"] = publisher(out["publisher"])
    if affiliation is None:
        return out
    for key in _PEOPLE:
        people = out.get(key)
        if not isinstance(people, list):
            continue
        reshaped = []
        for person in people:
            if isinstance(person, dict) and isinstance(person.get("affiliation"), list):
                person = {**person, "affiliation": [affiliation(a) for a in person["affiliation"]]}
            reshaped.append(person)
        out[key] = reshaped
    return out


def compact_shapes(attributes: dict[str, Any]) -> dict[str, Any]:
    """Attributes with name-only publisher/affiliation objects written as strings: the form
    payload hashes and comparisons use, equal for both of DataCite's shapes."""
    return _reshape(attributes, _compact, _compact)


def answer_shapes(
    attributes: dict[str, Any], *, publisher_objects: bool, affiliation_objects: bool
) -> dict[str, Any]:
    """The attributes as DataCite answers them for a request's ``publisher``/``affiliation``
    flags: objects when the flag is set, names otherwise."""
    return _reshape(
        attributes,
        _expand if publisher_objects else _names,
        _expand if affiliation_objects else _names,
    )
