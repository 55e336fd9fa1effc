"""`GET /` (version), `GET /health`, and Connect's `LoggingResource` (`/admin/loggers`) over
Python's logging, with Log4j's level names."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kaspar import __version__
from kaspar.connect.errors import bad_request, rest_error
from kaspar.connect.routes.connectors import json_body

LEVELS = {
    "TRACE": 5,
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "ERROR": logging.ERROR,
    "FATAL": logging.CRITICAL,
    "OFF": logging.CRITICAL + 10,
}
NAMES = {number: name for name, number in LEVELS.items()}


def _level_name(logger: logging.Logger) -> str:
    return NAMES.get(logger.getEffectiveLevel(), logging.getLevelName(logger.getEffectiveLevel()))


class LoggingResource:
    """The loggers whose level was set (and root), as Connect lists them."""

    def __init__(self) -> None:
        self.modified: dict[str, int] = {}

    async def list_loggers(self, request: Request) -> Response:
        out = {"root": {"level": _level_name(logging.getLogger())}}
        for name in sorted(self.modified):
            out[name] = {
                "level": _level_name(logging.getLogger(name)),
                "last_modified": self.modified[name],  # type: ignore[dict-item]
            }
        return JSONResponse(out)

    async def get_logger(self, request: Request) -> Response:
        name = request.path_params["name"]
        known = name == "root" or name in logging.root.manager.loggerDict
        if not known:
            raise rest_error(404, f"Logger {name} not found.")
        logger = logging.getLogger() if name == "root" else logging.getLogger(name)
        return JSONResponse({"level": _level_name(logger)})

    async def set_level(self, request: Request) -> Response:
        name = request.path_params["name"]
        body = await json_body(request)
        level = str(body.get("level", "")).upper() if isinstance(body, dict) else ""
        if not level:
            raise bad_request("The request body must specify a log level")
        if level not in LEVELS:
            raise bad_request(f"Invalid log level '{level}'.")
        logger = logging.getLogger() if name == "root" else logging.getLogger(name)
        logger.setLevel(LEVELS[level])
        now = int(time.time() * 1000)
        affected = [name] + [n for n in logging.root.manager.loggerDict if n.startswith(f"{name}.")]
        for each in affected:
            self.modified[each] = now
        if request.query_params.get("scope", "worker").lower() == "cluster":
            return Response(status_code=204)
        return JSONResponse(sorted(affected))


def admin_routes(cluster_id: Callable[[], str]) -> list[Route]:
    loggers = LoggingResource()

    async def root(request: Request) -> Response:
        body = {"version": __version__, "commit": "kaspar", "kafka_cluster_id": cluster_id()}
        return JSONResponse(body)

    async def health(request: Request) -> Response:
        message = "Worker has completed startup and is ready to handle requests."
        return JSONResponse({"status": "healthy", "message": message})

    return [
        Route("/", root, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/admin/loggers", loggers.list_loggers, methods=["GET"]),
        Route("/admin/loggers/{name}", loggers.get_logger, methods=["GET"]),
        Route("/admin/loggers/{name}", loggers.set_level, methods=["PUT"]),
    ]
