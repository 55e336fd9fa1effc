"""v2 content negotiation: `application/vnd.kafka[.<format>].v2+json`, as Confluent's v2 API uses.

The embedded format of a produce comes from its `Content-Type` (41501 when unsupported); answers
are `application/vnd.kafka.v2+json`, and an `Accept` that allows none of the v2 types is 40601.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from kaspar.service.errors import ApiError

V2_JSON = "application/vnd.kafka.v2+json"
EMBEDDED = ("binary", "json", "avro", "jsonschema", "protobuf")
GENERIC = ("*/*", "application/*", "application/json", V2_JSON, "application/vnd.kafka+json")


def _media_types(header: str) -> list[str]:
    return [part.split(";")[0].strip().lower() for part in header.split(",") if part.strip()]


def embedded_format(media_type: str) -> str | None:
    """`binary` for `application/vnd.kafka.binary.v2+json`, None for anything else."""
    prefix, suffix = "application/vnd.kafka.", ".v2+json"
    if media_type.startswith(prefix) and media_type.endswith(suffix):
        name = media_type[len(prefix) : -len(suffix)]
        return name if name in EMBEDDED else None
    return None


def produce_format(request: Request) -> str:
    """The embedded format named by the request's Content-Type."""
    media_type = _media_types(request.headers.get("content-type", ""))
    fmt = embedded_format(media_type[0]) if media_type else None
    if fmt is None:
        if media_type and media_type[0] in ("application/json", "application/vnd.kafka+json"):
            return "json"
        raise ApiError(415, 41501, f"Unsupported Media Type: {', '.join(media_type) or 'none'}")
    return fmt


def check_accept(request: Request, fmt: str | None = None) -> None:
    """40601 unless Accept allows the v2 answer (for records: the instance's format)."""
    accepted = _media_types(request.headers.get("accept", "")) or ["*/*"]
    if fmt is not None:
        wanted = f"application/vnd.kafka.{fmt}.v2+json"
        if not any(a in (wanted, "*/*", "application/*") for a in accepted):
            raise ApiError(
                406,
                40601,
                "The requested embedded data format does not match the deserializer "
                f"for this consumer instance ({fmt})",
            )
        return
    if not any(a in GENERIC or embedded_format(a) for a in accepted):
        raise ApiError(406, 40601, f"Not Acceptable: {', '.join(accepted)}")


def v2_response(body: Any, status_code: int = 200, media_type: str = V2_JSON) -> JSONResponse:
    return JSONResponse(body, status_code=status_code, media_type=media_type)
