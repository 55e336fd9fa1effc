"""Content types in and out, request bodies and query flags, as Confluent's registry has them.

Requests may be `application/vnd.schemaregistry.v1+json`, `application/vnd.schemaregistry+json`,
`application/json` or `application/octet-stream` (or untyped); anything else is 415. Answers are
`application/vnd.schemaregistry.v1+json` unless the client accepts only one of the others.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kaspar.registry.errors import RegistryError

SCHEMA_REGISTRY_V1 = "application/vnd.schemaregistry.v1+json"
SCHEMA_REGISTRY = "application/vnd.schemaregistry+json"
ACCEPTED = (SCHEMA_REGISTRY_V1, SCHEMA_REGISTRY, "application/json", "application/octet-stream")


def media_type(request: Request) -> str:
    """The content type of the answer, from the request's Accept header."""
    accept = request.headers.get("accept", "")
    offered = [part.split(";")[0].strip() for part in accept.split(",") if part.strip()]
    for candidate in offered:
        if candidate in (SCHEMA_REGISTRY_V1, SCHEMA_REGISTRY, "application/json"):
            return candidate
    return SCHEMA_REGISTRY_V1


def respond(request: Request, body: Any, status: int = 200) -> Response:
    return JSONResponse(body, status_code=status, media_type=media_type(request))


def raw(request: Request, text: str) -> Response:
    """A schema's own text as the body (`/schema` endpoints)."""
    return Response(text, media_type=media_type(request))


async def read_body(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type and content_type not in ACCEPTED:
        raise RegistryError(415, f"HTTP 415 Unsupported Media Type: {content_type}")
    data = await request.body()
    try:
        body = json.loads(data) if data else {}
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RegistryError(400, f"Unexpected character in the request body: {exc}") from exc
    if not isinstance(body, dict):
        raise RegistryError(400, "The request body must be a JSON object")
    return body


def flag(request: Request, name: str, default: bool = False) -> bool:
    """A boolean query parameter (`?deleted=true`)."""
    value = request.query_params.get(name)
    return default if value is None else value.lower() == "true"
