"""v2 consumer instance endpoints (`/consumers/{group}[/instances/{instance}/...]`).

`GET .../records` returns as soon as records are there (after draining what is already fetched),
or an empty list after `timeout` ms (default `consumer.request.timeout.ms`), up to `max_bytes`.
`POST .../offsets` with explicit offsets commits `offset + 1` each (the offset given is the last
record processed, as in Confluent's v2); with no body it commits the positions consumed so far.
"""

from __future__ import annotations

import time
from typing import Any

from confluent_kafka import (
    OFFSET_BEGINNING,
    OFFSET_END,
    Consumer,
    KafkaError,
    KafkaException,
    TopicPartition,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kaspar.rest.cluster import kafka_error
from kaspar.rest.consumer_instances import ConsumerInstance
from kaspar.rest.formats import decode_plain
from kaspar.rest.proxy import json_body, json_object, proxy_of
from kaspar.rest.v2_media import check_accept, v2_response
from kaspar.service.errors import ApiError

BATCH = 500


def _instance(request: Request) -> ConsumerInstance:
    params = request.path_params
    return proxy_of(request).consumers.get(params["group"], params["instance"])


def _partitions(body: Any, key: str = "partitions", offsets: bool = False) -> list[TopicPartition]:
    items = json_object(body).get(key)
    if not isinstance(items, list):
        raise ApiError(422, 42206, f"{key} must be a list")
    result = []
    for item in items:
        try:
            tp = TopicPartition(str(item["topic"]), int(item["partition"]))
            if offsets:
                tp.offset = int(item["offset"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ApiError(422, 42206, f"bad {key} entry {item!r}") from exc
        result.append(tp)
    return result


async def create_instance(request: Request) -> Response:
    check_accept(request)
    proxy, group = proxy_of(request), request.path_params["group"]
    body = json_object(await json_body(request, required=False) or {})
    instance = proxy.consumers.create(group, body)
    base_uri = f"{str(request.base_url).rstrip('/')}/consumers/{group}/instances/{instance.name}"
    return v2_response({"instance_id": instance.name, "base_uri": base_uri})


async def delete_instance(request: Request) -> Response:
    params = request.path_params
    await proxy_of(request).consumers.delete(params["group"], params["instance"])
    return Response(status_code=204)


async def subscribe(request: Request) -> Response:
    instance = _instance(request)
    body = json_object(await json_body(request))
    topics, pattern = body.get("topics"), body.get("topic_pattern")
    if instance.manual:
        raise ApiError(
            409, 40903, "Subscription to topics, partitions and pattern are mutually exclusive."
        )
    if pattern is not None:
        subscription = ["^" + str(pattern).lstrip("^")]
    elif isinstance(topics, list) and topics and all(isinstance(t, str) for t in topics):
        subscription = list(topics)
    else:
        raise ApiError(
            422, 42206, "topics must be a non-empty list of topic names, or give topic_pattern"
        )
    await instance.call(instance.consumer.subscribe, subscription)
    instance.subscription = subscription
    return Response(status_code=204)


async def get_subscription(request: Request) -> Response:
    return v2_response({"topics": _instance(request).subscription})


async def unsubscribe(request: Request) -> Response:
    instance = _instance(request)
    await instance.call(instance.consumer.unsubscribe)
    instance.subscription = []
    return Response(status_code=204)


async def assign(request: Request) -> Response:
    instance = _instance(request)
    if instance.subscription:
        raise ApiError(
            409, 40903, "Subscription to topics, partitions and pattern are mutually exclusive."
        )
    partitions = _partitions(await json_body(request))
    await instance.call(instance.consumer.assign, partitions)
    instance.manual = True
    return Response(status_code=204)


async def get_assignments(request: Request) -> Response:
    instance = _instance(request)
    assigned = await instance.call(instance.consumer.assignment)
    return v2_response(
        {"partitions": [{"topic": tp.topic, "partition": tp.partition} for tp in assigned]}
    )


def _seek(consumer: Consumer, positions: list[TopicPartition]) -> None:
    """Seek each partition; one not being fetched yet is (re)assigned at that offset."""
    assigned = {(tp.topic, tp.partition) for tp in consumer.assignment()}
    for position in positions:
        if (position.topic, position.partition) not in assigned:
            raise ApiError(
                409,
                40903,
                f"{position.topic}-{position.partition} is not assigned to this consumer",
            )
        try:
            consumer.seek(position)
        except KafkaException:
            consumer.incremental_unassign([TopicPartition(position.topic, position.partition)])
            consumer.incremental_assign([position])


async def seek(request: Request) -> Response:
    instance = _instance(request)
    await instance.call(
        _seek, instance.consumer, _partitions(await json_body(request), "offsets", offsets=True)
    )
    return Response(status_code=204)


async def seek_to(request: Request, offset: int) -> Response:
    instance = _instance(request)
    positions = _partitions(await json_body(request))
    for position in positions:
        position.offset = offset
    await instance.call(_seek, instance.consumer, positions)
    return Response(status_code=204)


async def seek_beginning(request: Request) -> Response:
    return await seek_to(request, OFFSET_BEGINNING)


async def seek_end(request: Request) -> Response:
    return await seek_to(request, OFFSET_END)


def _fetch(consumer: Consumer, timeout_s: float, max_bytes: int) -> list[Any]:
    """Records that arrive within `timeout_s`, returned once some are there and drained."""
    deadline = time.monotonic() + timeout_s
    messages: list[Any] = []
    size = 0
    while size < max_bytes:
        remaining = deadline - time.monotonic()
        batch = consumer.consume(BATCH, timeout=0 if messages else max(remaining, 0))
        for message in batch:
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    continue
                raise kafka_error(KafkaException(error))
            messages.append(message)
            size += len(message.value() or b"") + len(message.key() or b"")
        if (messages and not batch) or remaining <= 0:
            break
    return messages


async def get_records(request: Request) -> Response:
    proxy, instance = proxy_of(request), _instance(request)
    check_accept(request, instance.format)
    try:
        timeout_ms = int(request.query_params.get("timeout", proxy.config.request_timeout_ms))
        max_bytes = int(request.query_params.get("max_bytes", 64 * 1024 * 1024))
    except ValueError as exc:
        raise ApiError(422, 42206, "timeout and max_bytes must be integers") from exc
    messages = await instance.call(_fetch, instance.consumer, timeout_ms / 1000, max_bytes)
    fmt = instance.format
    records = []
    for message in messages:
        topic = message.topic()
        if fmt in ("binary", "json"):
            key, value = (
                decode_plain(fmt.upper(), message.key()),
                decode_plain(fmt.upper(), message.value()),
            )
        else:
            key = proxy.serdes.deserialize(fmt.upper(), topic, True, message.key())
            value = proxy.serdes.deserialize(fmt.upper(), topic, False, message.value())
        records.append(
            {
                "topic": topic,
                "key": key,
                "value": value,
                "partition": message.partition(),
                "offset": message.offset(),
            }
        )
    return v2_response(records, media_type=f"application/vnd.kafka.{fmt}.v2+json")


async def commit(request: Request) -> Response:
    instance = _instance(request)
    body = await json_body(request, required=False)
    if body and json_object(body).get("offsets"):
        offsets = _partitions(body, "offsets", offsets=True)
        for tp in offsets:
            tp.offset += 1
        await instance.call(_commit, instance.consumer, offsets)
    else:
        await instance.call(_commit, instance.consumer, None)
    return Response(status_code=200)


def _commit(consumer: Consumer, offsets: list[TopicPartition] | None) -> None:
    try:
        if offsets is None:
            consumer.commit(asynchronous=False)
        else:
            consumer.commit(offsets=offsets, asynchronous=False)
    except KafkaException as exc:
        if exc.args[0].code() != KafkaError._NO_OFFSET:  # nothing consumed: nothing to commit
            raise kafka_error(exc) from exc


async def committed(request: Request) -> Response:
    instance = _instance(request)
    partitions = _partitions(await json_body(request))
    found = await instance.call(instance.consumer.committed, partitions, timeout=10)
    return v2_response(
        {
            "offsets": [
                {
                    "topic": tp.topic,
                    "partition": tp.partition,
                    "offset": tp.offset,
                    "metadata": tp.metadata or "",
                }
                for tp in found
            ]
        }
    )


def routes() -> list[BaseRoute]:
    base = "/consumers/{group}/instances/{instance}"
    return [
        Route("/consumers/{group}", create_instance, methods=["POST"]),
        Route(base, delete_instance, methods=["DELETE"]),
        Route(base + "/subscription", subscribe, methods=["POST"]),
        Route(base + "/subscription", get_subscription, methods=["GET"]),
        Route(base + "/subscription", unsubscribe, methods=["DELETE"]),
        Route(base + "/assignments", assign, methods=["POST"]),
        Route(base + "/assignments", get_assignments, methods=["GET"]),
        Route(base + "/positions", seek, methods=["POST"]),
        Route(base + "/positions/beginning", seek_beginning, methods=["POST"]),
        Route(base + "/positions/end", seek_end, methods=["POST"]),
        Route(base + "/records", get_records, methods=["GET"]),
        Route(base + "/offsets", commit, methods=["POST"]),
        Route(base + "/offsets", committed, methods=["GET"]),
    ]
