"""Connect's `ConnectorPluginsResource`: `/connector-plugins`, a plugin's config keys, and
`config/validate`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kaspar.connect.config_def import ConfigDef
from kaspar.connect.errors import bad_request, rest_error
from kaspar.connect.plugins import connector_plugins, find_connector, other_plugins
from kaspar.connect.routes.connectors import call, json_body
from kaspar.connect.validation import COMMON, SINK, validate


async def list_plugins(request: Request) -> Response:
    connectors_only = request.query_params.get("connectorsOnly", "true").lower() != "false"
    plugins = connector_plugins() + ([] if connectors_only else other_plugins())
    return JSONResponse([p.json() for p in plugins])


async def plugin_config(request: Request) -> Response:
    name = request.path_params["plugin"]
    cls = find_connector(name)
    if cls is None:
        raise rest_error(404, f"Unknown plugin {name}.")
    definition = COMMON + (SINK if cls.plugin_type == "sink" else ConfigDef()) + cls.config_def()
    return JSONResponse([k.info(i) for i, k in enumerate(definition.keys, 1)])


async def validate_config(request: Request) -> Response:
    plugin = request.path_params["plugin"]
    body = await json_body(request)
    if not isinstance(body, dict):
        raise bad_request("The connector config must be a JSON object")
    props = {str(k): str(v) for k, v in body.items() if v is not None}
    props.setdefault("connector.class", plugin)
    cls, named = find_connector(plugin), find_connector(props["connector.class"])
    if cls is not None and named is not None and cls is not named:
        raise bad_request(
            "Included connector type " + props["connector.class"] + " does not match request"
            " type " + plugin
        )
    return JSONResponse(await call(validate, props))


def plugin_routes() -> list[Route]:
    return [
        Route("/connector-plugins", list_plugins, methods=["GET"]),
        Route("/connector-plugins/{plugin}/config", plugin_config, methods=["GET"]),
        Route("/connector-plugins/{plugin}/config/validate", validate_config, methods=["PUT"]),
    ]
