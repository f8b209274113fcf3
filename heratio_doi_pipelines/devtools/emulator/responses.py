"""DataCite's response shapes: JSON:API bodies and the two error styles."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import JSONResponse

BAD_CREDENTIALS = "Bad credentials."
NOT_AUTHORIZED = "You are not authorized to access this resource."
NOT_FOUND = "The resource you are looking for doesn't exist."
METHOD_NOT_ALLOWED = "Method not allowed"
NO_PAYLOAD = "You need to provide a payload following the JSONAPI spec"


class JsonApiResponse(JSONResponse):
    media_type = "application/vnd.api+json"


def error_response(status: int, title: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The ``{"errors":[{"status":..,"title":..}]}`` style DataCite uses outside validation."""
    return JsonApiResponse(
        {"errors": [{"status": str(status), "title": title}]}, status_code=status, headers=headers
    )


def validation_response(errors: list[dict[str, Any]]) -> JSONResponse:
    """422 with one ``{"source","uid","title"}`` entry per attribute and no ``status`` key."""
    return JsonApiResponse({"errors": errors}, status_code=422)


def parse_json(raw: bytes) -> Any:
    """Decode a JSON body; None for empty or malformed input (handlers turn that into 400/422)."""
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
