"""The registry's Starlette app: its routes, and every error as Confluent's JSON body."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from kaspar.registry.hot_reads import AnswerCache, HotReads
from kaspar.registry.routes import (
    Forwarder,
    compatibility_routes,
    metadata_routes,
    schema_routes,
    settings_routes,
    subject_routes,
)
from kaspar.registry.routes.negotiation import media_type
from kaspar.registry.schema_registry import SchemaRegistry
from kaspar.registry.subject_settings import SubjectSettings
from kaspar.service.errors import ApiError, error_response

log = logging.getLogger(__name__)


async def api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.error_code, exc.message, media_type(request))


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = f"HTTP {exc.status_code} {exc.detail}"
    return error_response(exc.status_code, exc.status_code, message, media_type(request))


async def internal_error(request: Request, exc: Exception) -> Response:
    log.exception("registry: %s %s failed", request.method, request.url.path, exc_info=exc)
    return error_response(500, 500, f"Internal Server Error: {exc}", media_type(request))


def create_app(registry: SchemaRegistry, forwarder: Forwarder) -> HotReads:
    """The Confluent Schema Registry REST surface over `registry`, its hot reads in front."""
    answers = AnswerCache(registry.state)
    routes = [
        *metadata_routes(registry),
        *schema_routes(registry, answers),
        *subject_routes(registry, forwarder, answers),
        *settings_routes(SubjectSettings(registry), forwarder),
        *compatibility_routes(registry),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            ApiError: api_error,
            HTTPException: http_error,
            Exception: internal_error,
        },
    )
    return HotReads(app, answers)
