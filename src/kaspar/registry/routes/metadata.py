"""`/`, `/v1/metadata/id`, `/v1/metadata/version` and `/contexts`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kaspar import __version__
from kaspar.registry.routes.negotiation import respond
from kaspar.registry.schema_registry import SchemaRegistry


def metadata_routes(registry: SchemaRegistry) -> list[Route]:
    async def root(request: Request) -> Response:
        return respond(request, {})

    async def cluster_id(request: Request) -> Response:
        clusters = {
            "kafka-cluster": registry.store.cluster_id,
            "schema-registry-cluster": registry.config.group_id,
        }
        return respond(request, {"scope": {"path": [], "clusters": clusters}})

    async def server_version(request: Request) -> Response:
        return respond(request, {"version": __version__, "commitId": ""})

    async def contexts(request: Request) -> Response:
        return respond(request, registry.state.contexts())

    return [
        Route("/", root, methods=["GET"]),
        Route("/v1/metadata/id", cluster_id, methods=["GET"]),
        Route("/v1/metadata/version", server_version, methods=["GET"]),
        Route("/contexts", contexts, methods=["GET"]),
    ]
