"""The error body of Confluent's HTTP APIs: ``{"error_code": N, "message": "..."}``.

Schema Registry and REST Proxy answer every failure with this JSON object (Connect with the same
two fields; ksqlDB adds ``@type``), with an HTTP status that is usually the first three digits of
``error_code`` (40401 -> 404, 42201 -> 422). A service raises ``ApiError`` from a handler and
its app's exception handler turns it into the response (``error_response``).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse


class ApiError(Exception):
    """A failure answered as ``{"error_code": error_code, "message": message}``."""

    def __init__(self, status: int, error_code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.error_code, self.message = status, error_code, message


def error_response(
    status: int, error_code: int, message: str, media_type: str = "application/json"
) -> JSONResponse:
    return JSONResponse(
        {"error_code": error_code, "message": message}, status_code=status, media_type=media_type
    )


async def api_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Starlette exception handler for ``ApiError``."""
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.error_code, exc.message)
