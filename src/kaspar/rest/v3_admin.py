"""v3 clusters, brokers, topics, partitions and their configs (`/v3/clusters/...`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from kaspar.rest.proxy import RestProxy, blocking, int_param, json_body, json_object, proxy_of
from kaspar.rest.v3_resources import (
    Body,
    Links,
    broker_body,
    cluster_body,
    collection,
    partition_body,
    resource,
    topic_body,
)
from kaspar.service.errors import ApiError


async def links_for(request: Request) -> tuple[RestProxy, Links]:
    """The proxy and the links of the cluster in the path (404 if it is not this one)."""
    proxy = proxy_of(request)
    await proxy.check_cluster(request.path_params["cluster_id"])
    return proxy, Links(str(request.base_url), await proxy.cluster_id())


async def list_clusters(request: Request) -> JSONResponse:
    proxy = proxy_of(request)
    links = Links(str(request.base_url), await proxy.cluster_id())
    metadata = await blocking(proxy.cluster.metadata)
    body = cluster_body(links, metadata.controller_id)
    return JSONResponse(collection("KafkaClusterList", links.root.rsplit("/", 1)[0], [body]))


async def get_cluster(request: Request) -> JSONResponse:
    proxy, links = await links_for(request)
    metadata = await blocking(proxy.cluster.metadata)
    return JSONResponse(cluster_body(links, metadata.controller_id))


async def list_brokers(request: Request) -> JSONResponse:
    proxy, links = await links_for(request)
    brokers = (await blocking(proxy.cluster.metadata)).brokers
    data = [broker_body(links, b.id, b.host, b.port) for _, b in sorted(brokers.items())]
    return JSONResponse(collection("KafkaBrokerList", links.url("brokers"), data))


async def get_broker(request: Request) -> JSONResponse:
    proxy, links = await links_for(request)
    broker_id = int_param(request, "broker_id")
    broker = (await blocking(proxy.cluster.metadata)).brokers.get(broker_id)
    if broker is None:
        raise ApiError(404, 404, f"Broker {broker_id} not found")
    return JSONResponse(broker_body(links, broker.id, broker.host, broker.port))


async def _topic(proxy: RestProxy, links: Links, name: str) -> Body:
    topic = (await blocking(proxy.cluster.metadata)).topics.get(name)
    if topic is None or topic.error is not None:
        raise ApiError(404, 40403, f"This server does not host this topic-partition: {name}")
    partitions = len(topic.partitions)
    replicas = len(next(iter(topic.partitions.values())).replicas) if partitions else 0
    return topic_body(links, name, partitions, replicas, name.startswith("__"))


async def list_topics(request: Request) -> JSONResponse:
    proxy, links = await links_for(request)
    topics = (await blocking(proxy.cluster.metadata)).topics
    data = []
    for name, topic in sorted(topics.items()):
        replicas = len(next(iter(topic.partitions.values())).replicas) if topic.partitions else 0
        data.append(topic_body(links, name, len(topic.partitions), replicas, name.startswith("__")))
    return JSONResponse(collection("KafkaTopicList", links.url("topics"), data))


async def get_topic(request: Request) -> JSONResponse:
    proxy, links = await links_for(request)
    return JSONResponse(await _topic(proxy, links, request.path_params["topic_name"]))


async def create_topic(request: Request) -> JSONResponse:
    proxy, links = await links_for(request)
    body = json_object(await json_body(request))
    name = body.get("topic_name")
    if not isinstance(name, str) or not name:
        raise ApiError(400, 400, "topic_name is required")
    partitions = _optional_int(body, "partitions_count", -1)
    replication = _optional_int(body, "replication_factor", -1)
    configs = {c["name"]: c.get("value") for c in body.get("configs") or [] if "name" in c}
    validate_only = bool(body.get("validate_only", False))
    await blocking(
        proxy.cluster.create_topic, name, partitions, replication, configs, validate_only
    )
    shown_replicas = max(replication, 1)
    shown_partitions = max(partitions, 1)
    if not validate_only:
        created = await _topic(proxy, links, name)
        shown_partitions, shown_replicas = (
            created["partitions_count"],
            created["replication_factor"],
        )
    body = topic_body(links, name, shown_partitions, shown_replicas, False)
    return JSONResponse(body, status_code=201)


def _optional_int(body: dict[str, Any], key: str, default: int) -> int:
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool):
        raise ApiError(400, 400, f"{key} must be an integer")
    return value


async def delete_topic(request: Request) -> Response:
    proxy, links = await links_for(request)
    name = request.path_params["topic_name"]
    await _topic(proxy, links, name)
    await blocking(proxy.cluster.delete_topic, name)
    return Response(status_code=204)


async def list_partitions(request: Request) -> JSONResponse:
    proxy, links = await links_for(request)
    name = request.path_params["topic_name"]
    await _topic(proxy, links, name)
    topic = (await blocking(proxy.cluster.metadata)).topics[name]
    data = [
        partition_body(links, name, p.id, p.leader) for _, p in sorted(topic.partitions.items())
    ]
    return JSONResponse(
        collection("KafkaPartitionList", links.url("topics", name, "partitions"), data)
    )


async def get_partition(request: Request) -> JSONResponse:
    proxy, links = await links_for(request)
    name = request.path_params["topic_name"]
    partition_id = int_param(request, "partition_id")
    await _topic(proxy, links, name)
    partition = (await blocking(proxy.cluster.metadata)).topics[name].partitions.get(partition_id)
    if partition is None:
        raise ApiError(404, 40402, f"Partition {partition_id} of {name} not found")
    return JSONResponse(partition_body(links, name, partition_id, partition.leader))


async def partition_offsets(request: Request) -> JSONResponse:
    proxy, links = await links_for(request)
    name, partition = request.path_params["topic_name"], int_param(request, "partition_id")
    count = (await _topic(proxy, links, name))["partitions_count"]
    if not 0 <= partition < count:
        raise ApiError(404, 40402, f"Partition {partition} of {name} not found")
    earliest = await blocking(proxy.cluster.earliest_offsets, [(name, partition)])
    latest = await blocking(proxy.cluster.end_offsets, [(name, partition)])
    body = resource(
        "KafkaPartitionWithOffsets",
        links.url("topics", name, "partitions", partition, "offset"),
        links.crn(("topic", name), ("partition", partition)) + "/offset",
        cluster_id=links.cluster_id,
        topic_name=name,
        partition_id=partition,
        earliest_offset=earliest[(name, partition)],
        latest_offset=latest[(name, partition)],
    )
    return JSONResponse(body)


async def update_partition_count(request: Request) -> JSONResponse:
    proxy, links = await links_for(request)
    name = request.path_params["topic_name"]
    await _topic(proxy, links, name)
    count = json_object(await json_body(request)).get("partitions_count")
    if not isinstance(count, int) or isinstance(count, bool):
        raise ApiError(400, 400, "partitions_count must be an integer")
    await blocking(proxy.cluster.create_partitions, name, count)
    return JSONResponse(await _topic(proxy, links, name))


def routes() -> list[BaseRoute]:
    base = "/v3/clusters/{cluster_id}"
    topic = base + "/topics/{topic_name}"
    return [
        Route("/v3/clusters", list_clusters),
        Route(base, get_cluster),
        Route(base + "/brokers", list_brokers),
        Route(base + "/brokers/{broker_id}", get_broker),
        Route(base + "/topics", list_topics),
        Route(base + "/topics", create_topic, methods=["POST"]),
        Route(topic, get_topic),
        Route(topic, delete_topic, methods=["DELETE"]),
        Route(topic, update_partition_count, methods=["PATCH"]),
        Route(topic + "/partitions", list_partitions),
        Route(topic + "/partitions/{partition_id}", get_partition),
        Route(topic + "/partitions/{partition_id}/offset", partition_offsets),
    ]
