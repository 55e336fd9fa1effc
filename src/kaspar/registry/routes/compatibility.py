"""`/compatibility/subjects/{subject}/versions[/{version}]`: would this schema be accepted?

With a version, the schema is checked against that version in the direction of the subject's
level; without, against the versions the level names (the latest, or all when transitive), as
a registration would be. `verbose=true` adds the messages.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kaspar.registry.routes.negotiation import flag, read_body, respond
from kaspar.registry.routes.request_schema import schema_from_body
from kaspar.registry.schema_registry import SchemaRegistry
from kaspar.registry.subjects import parse_subject, parse_version


def compatibility_routes(registry: SchemaRegistry) -> list[Route]:
    async def check(request: Request) -> Response:
        subject = parse_subject(request.path_params["subject"])
        schema = schema_from_body(await read_body(request))
        level = registry.compatibility_level(subject)
        if "version" in request.path_params:
            version = parse_version(request.path_params["version"])
            against = [registry.version(subject, version)]
            level = level.removesuffix("_TRANSITIVE")
        else:
            registry.parse(schema)
            against = registry.state.versions(subject)
        messages = await run_in_threadpool(
            registry.incompatibilities, subject, schema, against, level
        )
        body: dict[str, object] = {"is_compatible": not messages}
        if flag(request, "verbose"):
            body["messages"] = messages
        return respond(request, body)

    return [
        Route("/compatibility/subjects/{subject}/versions", check, methods=["POST"]),
        Route("/compatibility/subjects/{subject}/versions/{version}", check, methods=["POST"]),
    ]
