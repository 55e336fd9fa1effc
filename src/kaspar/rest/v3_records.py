"""v3 produce: `POST /v3/clusters/{c}/topics/{t}/records`, one record or a stream of them.

The body is read as concatenated JSON records (`json_stream`), each answered by one JSON delivery
report in the same order (`{"error_code": 200, "partition_id", "offset", ...}` or
`{"error_code": 4xx/5xx, "message"}`). How a request runs:

1. Each record is validated and encoded as it is parsed and handed to the producer at once
   (`DeliveringProducer.send`); its answer is a future resolved by the delivery report.
2. A writer task awaits the answers in order and writes every answer that is ready in one chunk,
   so a fast stream is answered in few writes.
3. A body sent with a length (not chunked) holding exactly one record is answered with that
   record's status (200, or its error's status and body), as a plain request; anything else is
   answered 200 with one report per record.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections import deque
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from kaspar.rest.delivery import Delivery
from kaspar.rest.formats import PLAIN_TYPES, SCHEMA_TYPES, Encoded, SchemaChoice, encode_plain
from kaspar.rest.json_stream import JsonStream, JsonStreamError
from kaspar.rest.proxy import RestProxy, blocking, proxy_of
from kaspar.service.errors import ApiError

Answer = dict[str, Any]


def _error(exc: ApiError) -> Answer:
    return {"error_code": exc.error_code, "message": exc.message}


def _iso(timestamp_ms: int | None) -> str | None:
    if timestamp_ms is None:
        return None
    moment = datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _timestamp_ms(text: Any) -> int | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError as exc:
        raise ApiError(400, 400, f"timestamp is not ISO-8601: {text!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _headers(items: Any) -> list[tuple[str, bytes | None]]:
    if not items:
        return []
    headers: list[tuple[str, bytes | None]] = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ApiError(400, 400, f"a header is {{name, value (base64)}}, got {item!r}")
        value = item.get("value")
        try:
            headers.append(
                (item["name"], None if value is None else base64.b64decode(value, validate=True))
            )
        except (binascii.Error, ValueError, TypeError) as exc:
            raise ApiError(400, 400, f"header {item['name']!r}: value is not base64") from exc
    return headers


async def _encode(
    proxy: RestProxy, topic: str, data: Any, is_key: bool
) -> tuple[Encoded, str] | None:
    """A record's `key` or `value` object to bytes; None if absent."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ApiError(400, 400, f"{'key' if is_key else 'value'} must be an object {{type, data}}")
    kind = str(data.get("type") or "").upper()
    has_schema = any(
        data.get(k) is not None for k in ("schema_id", "schema", "subject", "schema_version")
    )
    if not kind:
        kind = "JSON" if not has_schema else "AVRO"
    if kind in PLAIN_TYPES:
        return Encoded(encode_plain(kind, data.get("data"))), kind
    if kind not in SCHEMA_TYPES:
        raise ApiError(
            400, 400, f"type must be one of {(*PLAIN_TYPES, *SCHEMA_TYPES)}, got {kind!r}"
        )
    choice = SchemaChoice(
        kind=kind,
        schema_id=data.get("schema_id"),
        schema=data.get("schema"),
        subject=data.get("subject"),
        schema_version=data.get("schema_version"),
        subject_name_strategy=data.get("subject_name_strategy"),
    )
    encoded = await blocking(proxy.serdes.serialize, choice, topic, is_key, data.get("data"))
    return encoded, kind


async def _check_partition(proxy: RestProxy, topic: str, partition: Any) -> None:
    if not isinstance(partition, int) or isinstance(partition, bool) or partition < 0:
        raise ApiError(400, 400, f"partition_id must be a partition number, got {partition!r}")
    if partition >= (await proxy.partition_count(topic) or 0):
        raise ApiError(404, 40402, f"Partition {partition} of {topic} not found")


def _data_answer(encoded: tuple[Encoded, str] | None) -> Answer | None:
    if encoded is None:
        return None
    data, kind = encoded
    answer: Answer = {"type": kind, "size": len(data.data or b"")}
    if data.schema_id is not None:
        answer.update(subject=data.subject, schema_id=data.schema_id, schema_version=None)
    return answer


async def submit(
    proxy: RestProxy, cluster_id: str, topic: str, record: Any
) -> asyncio.Future[Answer]:
    """Step 1 for one record: its answer, as a future (done at once for a bad record)."""
    answer: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
    try:
        if not isinstance(record, dict):
            raise ApiError(400, 400, "a record must be a JSON object")
        key = await _encode(proxy, topic, record.get("key"), True)
        value = await _encode(proxy, topic, record.get("value"), False)
        partition = record.get("partition_id")
        if partition is not None:
            await _check_partition(proxy, topic, partition)
        delivery = await proxy.producer.send(
            topic,
            key[0].data if key else None,
            value[0].data if value else None,
            partition=partition,
            timestamp_ms=_timestamp_ms(record.get("timestamp")),
            headers=_headers(record.get("headers")),
        )
    except ApiError as exc:
        answer.set_result(_error(exc))
        return answer

    def report(done: asyncio.Future[Delivery]) -> None:
        answer.set_result(_delivered(done.result(), cluster_id, topic, key, value))

    delivery.add_done_callback(report)
    return answer


def _delivered(
    delivery: Delivery,
    cluster_id: str,
    topic: str,
    key: tuple[Encoded, str] | None,
    value: tuple[Encoded, str] | None,
) -> Answer:
    if delivery.error is not None:
        code = delivery.error.code()
        if code in (3, -188, -190):  # UNKNOWN_TOPIC_OR_PART, _UNKNOWN_TOPIC, _UNKNOWN_PARTITION
            return {"error_code": 40403, "message": delivery.error.str()}
        retriable = delivery.error.retriable()
        return {"error_code": 50003 if retriable else 50002, "message": delivery.error.str()}
    return {
        "error_code": 200,
        "cluster_id": cluster_id,
        "topic_name": topic,
        "partition_id": delivery.partition,
        "offset": delivery.offset,
        "timestamp": _iso(delivery.timestamp_ms),
        "key": _data_answer(key),
        "value": _data_answer(value),
    }


def status_of(answer: Answer) -> int:
    code = int(answer["error_code"])
    return code if code < 1000 else code // 100


class ProduceStream(Response):
    """Steps 1-2: reads records from the body while answers are written as they complete."""

    def __init__(self, proxy: RestProxy, cluster_id: str, topic: str, stream: JsonStream) -> None:
        super().__init__(status_code=200, media_type="application/json")
        self.raw_headers = [(b"content-type", b"application/json")]  # no length: streamed
        self.proxy, self.cluster_id, self.topic, self.stream = proxy, cluster_id, topic, stream
        self.first: list[Any] = []
        self.body_read = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        answers: deque[asyncio.Future[Answer] | None] = deque()
        ready = asyncio.Event()
        writer = asyncio.create_task(_write_answers(answers, ready, send))
        try:
            for record in self.first:
                answers.append(await submit(self.proxy, self.cluster_id, self.topic, record))
            ready.set()
            more = not self.body_read
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    break
                more = bool(message.get("more_body", False))
                try:
                    records = self.stream.feed(message.get("body", b""))
                    if not more:
                        records += self.stream.close()
                except JsonStreamError as exc:
                    answers.append(_done(_error(ApiError(400, 400, str(exc)))))
                    break
                for record in records:
                    answers.append(await submit(self.proxy, self.cluster_id, self.topic, record))
                ready.set()
        finally:
            answers.append(None)
            ready.set()
            await writer


def _done(answer: Answer) -> asyncio.Future[Answer]:
    future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
    future.set_result(answer)
    return future


async def _write_answers(
    answers: deque[asyncio.Future[Answer] | None], ready: asyncio.Event, send: Send
) -> None:
    """Step 2: the answers in order, as many per chunk as are done; None ends the response."""
    while True:
        while not answers:
            ready.clear()
            await ready.wait()
        head = answers[0]
        if head is None:
            break
        await head
        parts: list[str] = []
        while answers and answers[0] is not None and answers[0].done():
            future = answers.popleft()
            assert future is not None
            parts.append(json.dumps(future.result(), separators=(",", ":")))
        await send(
            {
                "type": "http.response.body",
                "body": ("\n".join(parts) + "\n").encode(),
                "more_body": True,
            }
        )
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def produce_records(request: Request) -> Response:
    """Step 3 decides between a plain answer and a stream of answers."""
    proxy = proxy_of(request)
    await proxy.check_cluster(request.path_params["cluster_id"])
    cluster_id, topic = await proxy.cluster_id(), request.path_params["topic_name"]
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip()
    if content_type not in ("application/json", ""):
        raise ApiError(415, 415, "HTTP 415 Unsupported Media Type")
    if await proxy.partition_count(topic) is None:
        raise ApiError(404, 40403, f"This server does not host this topic-partition: {topic}")
    stream = JsonStream()
    if "chunked" in request.headers.get("transfer-encoding", ""):
        return ProduceStream(proxy, cluster_id, topic, stream)
    try:
        records = stream.feed(await request.body()) + stream.close()
    except JsonStreamError as exc:
        raise ApiError(400, 400, str(exc)) from exc
    if not records:
        raise ApiError(422, 422, "Payload error. Request body is empty. Data is required.")
    if len(records) == 1:
        answer = await (await submit(proxy, cluster_id, topic, records[0]))
        return JSONResponse(answer, status_code=status_of(answer))
    response = ProduceStream(proxy, cluster_id, topic, JsonStream())
    response.first, response.body_read = records, True
    return response


def routes() -> list[BaseRoute]:
    path = "/v3/clusters/{cluster_id}/topics/{topic_name}/records"
    return [Route(path, produce_records, methods=["POST"])]
