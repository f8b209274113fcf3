"""Place access points and coordinates as DataCite geoLocations.

Rules:

- one geoLocation per place access point (name cleaned; places with the same name merged),
  with the point, box and polygon of the coordinates sidecar when present; the record's own
  point (``ahg_io_geolocation``) joins the place block of the same name, else gets its own
  block (with its place name when it has one);
- coordinates must be finite numbers; NaN/inf or half a point -> point dropped with a warning;
- a point whose latitude is outside [-90, 90] while its longitude is inside [-90, 90] is
  taken as swapped: the two are exchanged, with a warning;
- still out of range -> error naming the field and the rule, e.g.
  ``geoLocationPoint: latitude 123.4 out of range [-90, 90]`` (the record is not sent:
  guessing a location would publish a wrong one);
- box: (west, east, south, north); south above north -> swapped with a warning; a west
  bound east of the east bound is legal (the box crosses the antimeridian); out of range ->
  error;
- polygon: (longitude, latitude) points; not closed -> the first point appended, with a
  warning; fewer than 3 distinct points -> polygon dropped with a warning; points out of
  range -> error;
- a block with nothing left in it is not emitted.
"""

from __future__ import annotations

import math
from typing import Any

from heratio_doi_pipelines.catalogue.records import GeoPoint, Place
from heratio_doi_pipelines.metadata.text import clean_line

LAT_RANGE = "[-90, 90]"
LON_RANGE = "[-180, 180]"


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _fmt(value: float) -> str:
    return repr(value) if not value.is_integer() else f"{value:.1f}"


def point(
    latitude: Any, longitude: Any, label: str, warnings: list[str], errors: list[str]
) -> dict[str, float] | None:
    """``{"pointLatitude", "pointLongitude"}`` after the swap and range rules, else None."""
    if latitude is None and longitude is None:
        return None
    lat, lon = _number(latitude), _number(longitude)
    if lat is None or lon is None:
        missing = "latitude" if lat is None else "longitude"
        warnings.append(f"{label}: {missing} missing or not a number: point dropped")
        return None
    if abs(lat) > 90 and abs(lon) <= 90:
        warnings.append(
            f"{label}: latitude {_fmt(lat)} out of range {LAT_RANGE} while longitude "
            f"{_fmt(lon)} fits: latitude and longitude swapped"
        )
        lat, lon = lon, lat
    bad = False
    if abs(lat) > 90:
        errors.append(f"{label}: latitude {_fmt(lat)} out of range {LAT_RANGE}")
        bad = True
    if abs(lon) > 180:
        errors.append(f"{label}: longitude {_fmt(lon)} out of range {LON_RANGE}")
        bad = True
    return None if bad else {"pointLatitude": lat, "pointLongitude": lon}


def box(bounds: Any, label: str, warnings: list[str], errors: list[str]) -> dict[str, float] | None:
    """A geoLocationBox from ``(west, east, south, north)``, else None."""
    try:
        west, east, south, north = (_number(v) for v in bounds)
    except (TypeError, ValueError):
        warnings.append(f"{label}: not four numbers (west, east, south, north): box dropped")
        return None
    if west is None or east is None or south is None or north is None:
        warnings.append(f"{label}: a bound is missing or not a number: box dropped")
        return None
    bad = False
    for name, value, limit, text in (
        ("westBoundLongitude", west, 180, LON_RANGE),
        ("eastBoundLongitude", east, 180, LON_RANGE),
        ("southBoundLatitude", south, 90, LAT_RANGE),
        ("northBoundLatitude", north, 90, LAT_RANGE),
    ):
        if abs(value) > limit:
            errors.append(f"{label}: {name} {_fmt(value)} out of range {text}")
            bad = True
    if bad:
        return None
    if south > north:
        warnings.append(
            f"{label}: southBoundLatitude {_fmt(south)} is north of northBoundLatitude "
            f"{_fmt(north)}: swapped"
        )
        south, north = north, south
    return {
        "westBoundLongitude": west,
        "eastBoundLongitude": east,
        "southBoundLatitude": south,
        "northBoundLatitude": north,
    }


def polygon(
    points: Any, label: str, warnings: list[str], errors: list[str]
) -> list[dict[str, Any]] | None:
    """A geoLocationPolygon (list of ``{"polygonPoint": ...}``) from (lon, lat) pairs, else None."""
    pairs: list[tuple[float, float]] = []
    bad = False
    try:
        raw_points = list(points)
    except TypeError:
        raw_points = []
    for index, raw in enumerate(raw_points, start=1):
        try:
            lon_raw, lat_raw = raw
        except (TypeError, ValueError):
            warnings.append(f"{label}: point {index} is not a (longitude, latitude) pair: dropped")
            continue
        lon, lat = _number(lon_raw), _number(lat_raw)
        if lon is None or lat is None:
            warnings.append(f"{label}: point {index} is not numeric: dropped")
            continue
        if abs(lat) > 90:
            errors.append(f"{label}: point {index} latitude {_fmt(lat)} out of range {LAT_RANGE}")
            bad = True
        if abs(lon) > 180:
            errors.append(f"{label}: point {index} longitude {_fmt(lon)} out of range {LON_RANGE}")
            bad = True
        pairs.append((lon, lat))
    if bad:
        return None
    if len(set(pairs)) < 3:
        warnings.append(
            f"{label}: {len(set(pairs))} distinct points, a polygon needs at least 3: dropped"
        )
        return None
    if pairs[0] != pairs[-1]:
        warnings.append(f"{label}: polygon not closed: first point appended to close it")
        pairs.append(pairs[0])
    return [{"polygonPoint": {"pointLatitude": lat, "pointLongitude": lon}} for lon, lat in pairs]


def geo_locations(
    places: tuple[Place, ...],
    geolocation: GeoPoint | None,
    warnings: list[str],
    errors: list[str],
) -> list[dict[str, Any]]:
    """All geoLocation blocks of a record (see the module docstring)."""
    blocks: list[dict[str, Any]] = []
    by_name: dict[str, dict[str, Any]] = {}
    for place in places:
        name = clean_line(place.name)
        block: dict[str, Any]
        if name and name.casefold() in by_name:
            block = by_name[name.casefold()]
        else:
            block = {"geoLocationPlace": name} if name else {}
        label = f"geoLocations ({name or f'place {place.term_id}'})"
        if "geoLocationPoint" not in block:
            found = point(
                place.latitude, place.longitude, f"{label} geoLocationPoint", warnings, errors
            )
            if found:
                block["geoLocationPoint"] = found
        if place.box is not None and "geoLocationBox" not in block:
            found_box = box(place.box, f"{label} geoLocationBox", warnings, errors)
            if found_box:
                block["geoLocationBox"] = found_box
        if place.polygon is not None and "geoLocationPolygon" not in block:
            found_polygon = polygon(place.polygon, f"{label} geoLocationPolygon", warnings, errors)
            if found_polygon:
                block["geoLocationPolygon"] = found_polygon
        if block and not any(block is existing for existing in blocks):
            blocks.append(block)
            if name:
                by_name[name.casefold()] = block
    if geolocation is not None:
        name = clean_line(geolocation.place_name)
        found = point(
            geolocation.latitude, geolocation.longitude, "geoLocationPoint", warnings, errors
        )
        target = by_name.get(name.casefold()) if name else None
        if target is not None and found and "geoLocationPoint" not in target:
            target["geoLocationPoint"] = found
        elif found and not (target is not None and target.get("geoLocationPoint") == found):
            block = {"geoLocationPlace": name, "geoLocationPoint": found} if name else {}
            blocks.append(block or {"geoLocationPoint": found})
        elif name and target is None:
            blocks.append({"geoLocationPlace": name})
    return blocks
