"""The REST proxy's Starlette app: v3 and v2 routes, Confluent error bodies, the proxy's
clients opened and closed with the app's lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from kaspar.rest import v2_consumers, v2_topics, v3_admin, v3_configs, v3_groups, v3_records
from kaspar.rest.config import RestProxyConfig
from kaspar.rest.proxy import RestProxy
from kaspar.service.errors import ApiError, api_error_handler, error_response


async def root(request: Request) -> JSONResponse:
    return JSONResponse({})


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own 404 / 405 in Confluent's error body."""
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, exc.status_code, f"HTTP {exc.status_code} {exc.detail}")


def create_app(config: RestProxyConfig) -> Starlette:
    """The app; `app.state.proxy` is its `RestProxy`."""
    proxy = RestProxy(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await proxy.start()
        try:
            yield
        finally:
            await proxy.stop()

    routes: list[BaseRoute] = [Route("/", root)]
    for module in (v3_records, v3_configs, v3_groups, v3_admin, v2_consumers, v2_topics):
        routes += module.routes()
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={ApiError: api_error_handler, HTTPException: http_error},
    )
    app.state.proxy = proxy
    return app
