"""`/config` and `/mode`, global and per subject."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kaspar.registry.routes.forwarding import Forwarder
from kaspar.registry.routes.negotiation import flag, read_body, respond
from kaspar.registry.subject_settings import SubjectSettings
from kaspar.registry.subjects import parse_subject


def _subject(request: Request) -> str | None:
    subject = request.path_params.get("subject")
    return None if subject is None else parse_subject(subject)


def settings_routes(settings: SubjectSettings, forwarder: Forwarder) -> list[Route]:
    async def get_config(request: Request) -> Response:
        default = flag(request, "defaultToGlobal")
        return respond(request, settings.get_config(_subject(request), default))

    async def put_config(request: Request) -> Response:
        subject, body = _subject(request), await read_body(request)
        return await forwarder.on_leader(request, lambda: settings.put_config(subject, body))

    async def delete_config(request: Request) -> Response:
        subject = _subject(request)
        return await forwarder.on_leader(request, lambda: settings.delete_config(subject))

    async def get_mode(request: Request) -> Response:
        default = flag(request, "defaultToGlobal")
        return respond(request, settings.get_mode(_subject(request), default))

    async def put_mode(request: Request) -> Response:
        subject, body, force = _subject(request), await read_body(request), flag(request, "force")
        return await forwarder.on_leader(request, lambda: settings.put_mode(subject, body, force))

    async def delete_mode(request: Request) -> Response:
        subject = _subject(request)
        return await forwarder.on_leader(request, lambda: settings.delete_mode(subject))

    routes = []
    for path in ("/config", "/config/{subject}"):
        routes += [
            Route(path, get_config, methods=["GET"]),
            Route(path, put_config, methods=["PUT"]),
            Route(path, delete_config, methods=["DELETE"]),
        ]
    for path in ("/mode", "/mode/{subject}"):
        routes += [
            Route(path, get_mode, methods=["GET"]),
            Route(path, put_mode, methods=["PUT"]),
            Route(path, delete_mode, methods=["DELETE"]),
        ]
    return routes
