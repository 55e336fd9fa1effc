"""v2 topic metadata and produce: `GET /topics[/{t}[/partitions[/{p}[/offsets]]]]`,
`GET /brokers`, `POST /topics/{t}` and `POST /topics/{t}/partitions/{p}`.

A produce answers `offsets` in the order of its records once every delivery report is in; a
record that failed carries `error_code` (1: not retriable, 2: retriable, as Confluent's v2) and
`error`, the others their partition and offset.
"""

from __future__ import annotations

import asyncio
from typing import Any

from confluent_kafka.admin import ResourceType  # type: ignore[attr-defined]
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kaspar.rest.delivery import Delivery
from kaspar.rest.formats import SchemaChoice, encode_plain
from kaspar.rest.proxy import RestProxy, blocking, int_param, json_body, json_object, proxy_of
from kaspar.rest.v2_media import check_accept, produce_format, v2_response
from kaspar.service.errors import ApiError

SCHEMA_FORMATS = {"avro": "AVRO", "jsonschema": "JSONSCHEMA", "protobuf": "PROTOBUF"}


async def _partitions(proxy: RestProxy, topic: str) -> list[dict[str, Any]]:
    found = (await blocking(proxy.cluster.metadata)).topics.get(topic)
    if found is None or found.error is not None:
        raise ApiError(404, 40401, "Topic not found.")
    return [
        {
            "partition": p.id,
            "leader": p.leader,
            "replicas": [
                {"broker": r, "leader": r == p.leader, "in_sync": r in p.isrs} for r in p.replicas
            ],
        }
        for _, p in sorted(found.partitions.items())
    ]


async def list_topics(request: Request) -> Response:
    check_accept(request)
    topics = (await blocking(proxy_of(request).cluster.metadata)).topics
    return v2_response(sorted(topics))


async def get_topic(request: Request) -> Response:
    check_accept(request)
    proxy, topic = proxy_of(request), request.path_params["topic"]
    partitions = await _partitions(proxy, topic)
    entries = await blocking(proxy.cluster.describe_configs, ResourceType.TOPIC, topic)
    configs = {e.name: e.value for e in entries if not e.is_sensitive}
    return v2_response({"name": topic, "configs": configs, "partitions": partitions})


async def list_partitions(request: Request) -> Response:
    check_accept(request)
    return v2_response(await _partitions(proxy_of(request), request.path_params["topic"]))


async def get_partition(request: Request) -> Response:
    check_accept(request)
    partitions = await _partitions(proxy_of(request), request.path_params["topic"])
    wanted = int_param(request, "partition")
    for partition in partitions:
        if partition["partition"] == wanted:
            return v2_response(partition)
    raise ApiError(404, 40402, "Partition not found.")


async def partition_offsets(request: Request) -> Response:
    check_accept(request)
    proxy, topic = proxy_of(request), request.path_params["topic"]
    wanted = int_param(request, "partition")
    if wanted not in {p["partition"] for p in await _partitions(proxy, topic)}:
        raise ApiError(404, 40402, "Partition not found.")
    earliest = await blocking(proxy.cluster.earliest_offsets, [(topic, wanted)])
    latest = await blocking(proxy.cluster.end_offsets, [(topic, wanted)])
    return v2_response(
        {"beginning_offset": earliest[(topic, wanted)], "end_offset": latest[(topic, wanted)]}
    )


async def list_brokers(request: Request) -> Response:
    check_accept(request)
    brokers = (await blocking(proxy_of(request).cluster.metadata)).brokers
    return v2_response({"brokers": sorted(brokers)})


class ProduceBatch:
    """One v2 produce request: its format, schemas and records, encoded."""

    def __init__(self, fmt: str, body: dict[str, Any]) -> None:
        self.fmt = fmt
        records = body.get("records")
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise ApiError(422, 42206, "records must be a list of {key?, value, partition?}")
        self.records: list[dict[str, Any]] = records
        self.body = body
        self.schema_ids: dict[bool, int | None] = {True: None, False: None}

    def encode(self, proxy: RestProxy, topic: str, data: Any, is_key: bool) -> bytes | None:
        """Blocking for the schema formats (the registry is asked once per schema)."""
        if self.fmt in ("binary", "json"):
            return encode_plain(self.fmt.upper(), data)
        side = "key" if is_key else "value"
        schema_id, schema = self.body.get(f"{side}_schema_id"), self.body.get(f"{side}_schema")
        if data is None:
            return None
        if schema_id is None and schema is None:
            raise ApiError(
                422,
                42201 if is_key else 42202,
                f"Request includes {side}s but does not include {side} schema",
            )
        choice = SchemaChoice(SCHEMA_FORMATS[self.fmt], schema_id=schema_id, schema=schema)
        try:
            encoded = proxy.serdes.serialize(choice, topic, is_key, data)
        except ApiError as exc:
            if exc.error_code == 42207:  # v2 names a data/schema mismatch a JSON conversion error
                raise ApiError(
                    422, 42203, f"Conversion of JSON to {self.fmt} failed: {exc}"
                ) from exc
            raise
        self.schema_ids[is_key] = encoded.schema_id
        return encoded.data

    def encode_all(self, proxy: RestProxy, topic: str) -> list[tuple[bytes | None, bytes | None]]:
        return [
            (
                self.encode(proxy, topic, r.get("key"), True),
                self.encode(proxy, topic, r.get("value"), False),
            )
            for r in self.records
        ]


def _offset(delivery: Delivery) -> dict[str, Any]:
    if delivery.error is None:
        return {
            "partition": delivery.partition,
            "offset": delivery.offset,
            "error_code": None,
            "error": None,
        }
    code = 2 if delivery.error.retriable() else 1
    return {"partition": None, "offset": None, "error_code": code, "error": delivery.error.str()}


async def produce(request: Request) -> Response:
    proxy, topic = proxy_of(request), request.path_params["topic"]
    fmt = produce_format(request)
    check_accept(request)
    path_partition = int_param(request, "partition") if "partition" in request.path_params else None
    batch = ProduceBatch(fmt, json_object(await json_body(request)))
    count = await proxy.partition_count(topic)
    if count is None:
        raise ApiError(404, 40401, "Topic not found.")
    partitions = [
        path_partition if path_partition is not None else r.get("partition") for r in batch.records
    ]
    for partition in partitions:
        if partition is not None and (not isinstance(partition, int) or not 0 <= partition < count):
            raise ApiError(404, 40402, f"Partition {partition} not found.")
    if fmt in ("binary", "json"):
        encoded = batch.encode_all(proxy, topic)
    else:
        encoded = await blocking(batch.encode_all, proxy, topic)
    producer = proxy.producer
    futures = []
    for (key, value), partition in zip(encoded, partitions, strict=True):
        try:
            futures.append(producer.send_nowait(topic, key, value, partition=partition))
        except BufferError:  # librdkafka's queue is full: wait for room
            futures.append(await producer.send(topic, key, value, partition=partition))
    deliveries = await asyncio.gather(*futures)
    return v2_response(
        {
            "key_schema_id": batch.schema_ids[True],
            "value_schema_id": batch.schema_ids[False],
            "offsets": [_offset(delivery) for delivery in deliveries],
        }
    )


def routes() -> list[BaseRoute]:
    return [
        Route("/topics", list_topics),
        Route("/topics/{topic}", get_topic),
        Route("/topics/{topic}", produce, methods=["POST"]),
        Route("/topics/{topic}/partitions", list_partitions),
        Route("/topics/{topic}/partitions/{partition}", get_partition),
        Route("/topics/{topic}/partitions/{partition}", produce, methods=["POST"]),
        Route("/topics/{topic}/partitions/{partition}/offsets", partition_offsets),
        Route("/brokers", list_brokers),
    ]
