"""v3 topic and broker configs: list, get, alter (`PUT {"value"}`), reset (`DELETE`) and
`configs:alter` (a batch of SET / DELETE), through DescribeConfigs and IncrementalAlterConfigs."""

from __future__ import annotations

from collections.abc import Callable

from confluent_kafka.admin import ConfigEntry, ResourceType  # type: ignore[attr-defined]
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from kaspar.rest.proxy import RestProxy, blocking, int_param, json_body, json_object
from kaspar.rest.v3_admin import links_for
from kaspar.rest.v3_resources import (
    Body,
    Links,
    broker_config_body,
    collection,
    topic_config_body,
)
from kaspar.service.errors import ApiError


class ConfigTarget:
    """A topic's or a broker's configs, as addressed by the request's path."""

    def __init__(self, request: Request) -> None:
        if "topic_name" in request.path_params:
            self.kind, self.name = ResourceType.TOPIC, request.path_params["topic_name"]
            self.list_kind, self.parts = "KafkaTopicConfigList", ("topics", self.name, "configs")
        else:
            broker_id = int_param(request, "broker_id")
            self.kind, self.name = ResourceType.BROKER, str(broker_id)
            self.list_kind, self.parts = "KafkaBrokerConfigList", ("brokers", broker_id, "configs")

    def body(self, links: Links, entry: ConfigEntry) -> Body:
        if self.kind == ResourceType.TOPIC:
            return topic_config_body(links, self.name, entry)
        return broker_config_body(links, int(self.name), entry)

    async def entries(self, proxy: RestProxy) -> list[ConfigEntry]:
        return await blocking(proxy.cluster.describe_configs, self.kind, self.name)


async def list_configs(request: Request) -> JSONResponse:
    proxy, links = await links_for(request)
    target = ConfigTarget(request)
    data = [target.body(links, entry) for entry in await target.entries(proxy)]
    return JSONResponse(collection(target.list_kind, links.url(*target.parts), data))


async def get_config(request: Request) -> JSONResponse:
    proxy, links = await links_for(request)
    target = ConfigTarget(request)
    name = request.path_params["name"]
    for entry in await target.entries(proxy):
        if entry.name == name:
            return JSONResponse(target.body(links, entry))
    raise ApiError(404, 404, f"Config {name} not found")


async def _alter(request: Request, changes: Callable[[], list[tuple[str, str | None]]]) -> None:
    proxy, _ = await links_for(request)
    target = ConfigTarget(request)
    await blocking(proxy.cluster.alter_configs, target.kind, target.name, changes())


async def update_config(request: Request) -> Response:
    body = json_object(await json_body(request))
    value = body.get("value")
    if value is not None and not isinstance(value, str):
        raise ApiError(400, 400, "value must be a string")
    await _alter(request, lambda: [(request.path_params["name"], value)])
    return Response(status_code=204)


async def reset_config(request: Request) -> Response:
    await _alter(request, lambda: [(request.path_params["name"], None)])
    return Response(status_code=204)


async def alter_configs(request: Request) -> Response:
    body = json_object(await json_body(request))
    data = body.get("data")
    if not isinstance(data, list):
        raise ApiError(400, 400, "data must be a list of {name, value, operation}")

    def changes() -> list[tuple[str, str | None]]:
        parsed: list[tuple[str, str | None]] = []
        for item in data:
            operation = str(item.get("operation") or "SET").upper()
            if operation not in ("SET", "DELETE") or not isinstance(item.get("name"), str):
                raise ApiError(400, 400, f"bad config change {item!r}")
            parsed.append((item["name"], None if operation == "DELETE" else item.get("value")))
        return parsed

    await _alter(request, changes)
    return Response(status_code=204)


def routes() -> list[BaseRoute]:
    result: list[BaseRoute] = []
    for owner in ("/topics/{topic_name}", "/brokers/{broker_id}"):
        base = "/v3/clusters/{cluster_id}" + owner + "/configs"
        result += [
            Route(base, list_configs),
            Route(base + ":alter", alter_configs, methods=["POST"]),
            Route(base + "/{name}", get_config),
            Route(base + "/{name}", update_config, methods=["PUT"]),
            Route(base + "/{name}", reset_config, methods=["DELETE"]),
        ]
    return result
