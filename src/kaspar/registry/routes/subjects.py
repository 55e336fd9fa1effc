"""`/subjects`: register, list, get, look up and delete a subject's versions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kaspar.registry.hot_reads import AnswerCache, lookup_key, register_key, version_key
from kaspar.registry.records import SchemaVersion
from kaspar.registry.routes.forwarding import Forwarder
from kaspar.registry.routes.negotiation import flag, raw, read_body, respond
from kaspar.registry.routes.request_schema import import_id, schema_from_body
from kaspar.registry.routes.schemas import schema_text
from kaspar.registry.schema_registry import SchemaRegistry
from kaspar.registry.subjects import parse_subject, parse_version


def version_body(version: SchemaVersion, request: Request) -> dict[str, Any]:
    body = {"subject": version.subject, "version": version.version, "id": version.id}
    body |= version.schema.to_json()
    body["schema"] = schema_text(version.schema, request)
    return body


def register_endpoint(
    registry: SchemaRegistry, forwarder: Forwarder, answers: AnswerCache
) -> Callable[[Request], Awaitable[Response]]:
    """`POST /subjects/{s}/versions`: a schema the subject holds already is answered here (any
    process, kept for the hot reads); a new one is registered on the leader (forwarded there)."""

    async def register(request: Request) -> Response:
        generation = registry.state.generation
        subject = parse_subject(request.path_params["subject"])
        body = await read_body(request)
        schema = schema_from_body(body)
        schema_id, version = import_id(body, "id"), import_id(body, "version")

        def answer(registered: SchemaVersion) -> dict[str, Any]:
            return {"id": registered.id, "version": registered.version} | schema.to_json()

        def write() -> dict[str, Any]:
            return answer(registry.register(subject, schema, schema_id, version))

        existing = await run_in_threadpool(registry.registered, subject, schema, schema_id, version)
        if existing is not None:
            response = respond(request, answer(existing))
        else:
            response = await forwarder.on_leader(request, write)
            if not forwarder.election.is_leader:
                return response  # the leader's answer to a new registration: not kept here
        key = register_key(request.path_params["subject"], await request.body())
        return answers.keep(request, key, generation, response)

    return register


def subject_routes(
    registry: SchemaRegistry, forwarder: Forwarder, answers: AnswerCache
) -> list[Route]:
    def located(request: Request) -> SchemaVersion:
        subject = parse_subject(request.path_params["subject"])
        version = parse_version(request.path_params["version"])
        return registry.version(subject, version, flag(request, "deleted"))

    async def subjects(request: Request) -> Response:
        prefix = request.query_params.get("subjectPrefix", "").removeprefix(":.:")
        found = registry.state.subjects(flag(request, "deleted"), flag(request, "deletedOnly"))
        return respond(request, [s for s in found if s.startswith(prefix)])

    async def versions(request: Request) -> Response:
        subject = parse_subject(request.path_params["subject"])
        found = registry.versions(subject, flag(request, "deleted"))
        return respond(request, [v.version for v in found])

    async def lookup(request: Request) -> Response:
        generation = registry.state.generation
        subject = parse_subject(request.path_params["subject"])
        schema = schema_from_body(await read_body(request))
        found = await run_in_threadpool(registry.lookup, subject, schema, flag(request, "deleted"))
        key = lookup_key(request.path_params["subject"], await request.body())
        return answers.keep(
            request, key, generation, respond(request, version_body(found, request))
        )

    async def get_version(request: Request) -> Response:
        generation = registry.state.generation
        response = respond(request, version_body(located(request), request))
        key = version_key(request.path_params["subject"], request.path_params["version"])
        return answers.keep(request, key, generation, response)

    async def get_version_schema(request: Request) -> Response:
        return raw(request, schema_text(located(request).schema, request))

    async def referenced_by(request: Request) -> Response:
        version = located(request)
        return respond(request, registry.state.referenced_by(version.subject, version.version))

    async def delete_subject(request: Request) -> Response:
        subject = parse_subject(request.path_params["subject"])
        permanent = flag(request, "permanent")
        return await forwarder.on_leader(
            request, lambda: registry.delete_subject(subject, permanent)
        )

    async def delete_version(request: Request) -> Response:
        subject = parse_subject(request.path_params["subject"])
        version = parse_version(request.path_params["version"])
        permanent = flag(request, "permanent")
        return await forwarder.on_leader(
            request, lambda: registry.delete_version(subject, version, permanent)
        )

    return [
        Route("/subjects", subjects, methods=["GET"]),
        Route("/subjects/{subject}", lookup, methods=["POST"]),
        Route("/subjects/{subject}", delete_subject, methods=["DELETE"]),
        Route("/subjects/{subject}/versions", versions, methods=["GET"]),
        Route(
            "/subjects/{subject}/versions",
            register_endpoint(registry, forwarder, answers),
            methods=["POST"],
        ),
        Route("/subjects/{subject}/versions/{version}", get_version, methods=["GET"]),
        Route("/subjects/{subject}/versions/{version}", delete_version, methods=["DELETE"]),
        Route("/subjects/{subject}/versions/{version}/schema", get_version_schema, methods=["GET"]),
        Route(
            "/subjects/{subject}/versions/{version}/referencedby", referenced_by, methods=["GET"]
        ),
    ]
