"""`/schemas`: schemas by global id, and the schema types."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kaspar.registry import errors
from kaspar.registry.formats.protobuf import as_text, serialized
from kaspar.registry.hot_reads import AnswerCache, id_key
from kaspar.registry.records import PROTOBUF, SCHEMA_TYPES, Schema
from kaspar.registry.routes.negotiation import flag, raw, respond
from kaspar.registry.schema_registry import SchemaRegistry
from kaspar.registry.subjects import context_of


def schema_text(schema: Schema, request: Request) -> str:
    """The text; for Protobuf `.proto` text, or the base64 descriptor with `format=serialized`."""
    if schema.schema_type != PROTOBUF:
        return schema.schema
    if request.query_params.get("format") == "serialized":
        return serialized(schema.schema)
    return as_text(schema.schema)


def _context(request: Request) -> str:
    """The context ids are looked up in: the `subject` query parameter's, else the default."""
    return context_of(request.query_params.get("subject", ""))


def _schema_id(request: Request) -> int:
    try:
        return int(request.path_params["id"])
    except ValueError:
        raise errors.schema_not_found(f"Schema {request.path_params['id']} not found") from None


def schema_routes(registry: SchemaRegistry, answers: AnswerCache) -> list[Route]:
    async def by_id(request: Request) -> Response:
        generation = registry.state.generation
        context = _context(request)
        schema = registry.schema_by_id(_schema_id(request), context)
        body = schema.to_json()
        body["schema"] = schema_text(schema, request)
        if flag(request, "fetchMaxId"):
            body["maxId"] = registry.state.max_id_in(context)
        key = id_key(request.path_params["id"])
        return answers.keep(request, key, generation, respond(request, body))

    async def text_by_id(request: Request) -> Response:
        schema = registry.schema_by_id(_schema_id(request), _context(request))
        return raw(request, schema_text(schema, request))

    async def subjects_by_id(request: Request) -> Response:
        schema_id, context = _schema_id(request), _context(request)
        registry.schema_by_id(schema_id, context)
        versions = registry.state.versions_with_id(schema_id, flag(request, "deleted"), context)
        return respond(request, sorted({v.subject for v in versions}))

    async def versions_by_id(request: Request) -> Response:
        schema_id, context = _schema_id(request), _context(request)
        registry.schema_by_id(schema_id, context)
        versions = registry.state.versions_with_id(schema_id, flag(request, "deleted"), context)
        return respond(request, [{"subject": v.subject, "version": v.version} for v in versions])

    async def types(request: Request) -> Response:
        return respond(request, list(SCHEMA_TYPES))

    async def listing(request: Request) -> Response:
        prefix = request.query_params.get("subjectPrefix", "")
        deleted, latest_only = flag(request, "deleted"), flag(request, "latestOnly")
        found = []
        for subject in registry.state.subjects(deleted):
            if subject.startswith(prefix):
                versions = registry.state.versions(subject, deleted)
                for version in versions[-1:] if latest_only else versions:
                    found.append(
                        {"subject": subject, "version": version.version, "id": version.id}
                        | version.schema.to_json()
                    )
        offset = int(request.query_params.get("offset", "0"))
        limit = int(request.query_params.get("limit", "-1"))
        return respond(request, found[offset:] if limit < 0 else found[offset : offset + limit])

    return [
        Route("/schemas", listing, methods=["GET"]),
        Route("/schemas/types", types, methods=["GET"]),
        Route("/schemas/ids/{id}", by_id, methods=["GET"]),
        Route("/schemas/ids/{id}/schema", text_by_id, methods=["GET"]),
        Route("/schemas/ids/{id}/subjects", subjects_by_id, methods=["GET"]),
        Route("/schemas/ids/{id}/versions", versions_by_id, methods=["GET"]),
    ]
