"""The worker's Starlette app: Connect's REST resources, every error as Connect's JSON body."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from kaspar.connect.connectors_resource import ConnectorsResource
from kaspar.connect.herder import Herder
from kaspar.connect.kafka_store import StoreError
from kaspar.connect.routes import ConnectorRoutes, admin_routes, plugin_routes
from kaspar.service.errors import ApiError, api_error_handler, error_response

log = logging.getLogger(__name__)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, exc.status_code, f"HTTP {exc.status_code} {exc.detail}")


async def store_error(request: Request, exc: Exception) -> Response:
    return error_response(500, 500, f"Request timed out: {exc}")


async def internal_error(request: Request, exc: Exception) -> Response:
    log.exception("connect: %s %s failed", request.method, request.url.path, exc_info=exc)
    return error_response(500, 500, f"{type(exc).__name__}: {exc}")


def create_app(herder: Herder) -> Starlette:
    """Connect's REST API over `herder`."""
    routes = [
        *admin_routes(lambda: herder.store.cluster_id),
        *ConnectorRoutes(ConnectorsResource(herder)).routes(),
        *plugin_routes(),
    ]
    return Starlette(
        routes=routes,
        exception_handlers={
            ApiError: api_error_handler,
            HTTPException: http_error,
            StoreError: store_error,
            Exception: internal_error,
        },
    )
