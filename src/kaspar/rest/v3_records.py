"""v3 produce: `POST /v3/clusters/{c}/topics/{t}/records`, one record or a stream of them.

The body is read as concatenated JSON records (`json_stream`), each answered by one JSON delivery
report in the same order (`{"error_code": 200, "partition_id", "offset", ...}` or
`{"error_code": 4xx/5xx, "message"}`). How a request runs:

1. Each record is validated and encoded as it is parsed and handed to the producer at once
   (`v3_produce.TopicProducer`); its answer waits for the delivery report.
2. A writer task waits for the answers in order and writes every answer that is ready in one
   chunk, so a fast stream is answered in few writes.
3. A body sent with a length (not chunked) holding exactly one record is answered with that
   record's status (200, or its error's status and body), as a plain request; anything else is
   answered 200 with one report per record.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from kaspar.rest.json_stream import JsonStream, JsonStreamError
from kaspar.rest.proxy import json_body, proxy_of
from kaspar.rest.v3_produce import NeedsWaiting, Pending, TopicProducer, status_of
from kaspar.service.errors import ApiError

Answers = deque[Pending | None]


class ProduceStream(Response):
    """Steps 1-2: reads records from the body while answers are written as they complete."""

    def __init__(self, producer: TopicProducer, stream: JsonStream, first: list[Any]) -> None:
        super().__init__(status_code=200, media_type="application/json")
        self.raw_headers = [(b"content-type", b"application/json")]  # no length: streamed
        self.producer, self.stream, self.first = producer, stream, first

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        answers: Answers = deque()
        ready = asyncio.Event()
        writer = asyncio.create_task(self._write_answers(answers, ready, send))
        try:
            await self._submit(self.first, answers, ready)
            await self._read_body(receive, answers, ready)
        finally:
            answers.append(None)
            ready.set()
            await writer

    async def _read_body(self, receive: Receive, answers: Answers, ready: asyncio.Event) -> None:
        more = not self.first
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            more = bool(message.get("more_body", False))
            try:
                records = self.stream.feed(message.get("body", b""))
                if not more:
                    records += self.stream.close()
            except JsonStreamError as exc:
                answers.append(Pending(None, ApiError(400, 400, str(exc))))
                return
            await self._submit(records, answers, ready)

    async def _submit(self, records: list[Any], answers: Answers, ready: asyncio.Event) -> None:
        producer = self.producer
        append = answers.append
        for record in records:
            try:
                append(producer.submit_nowait(record))
            except NeedsWaiting:
                append(await producer.submit(record))
        ready.set()

    async def _write_answers(self, answers: Answers, ready: asyncio.Event, send: Send) -> None:
        """Step 2: the answers in order, as many per chunk as are done; None ends them."""
        while True:
            while not answers:
                ready.clear()
                await ready.wait()
            head = answers[0]
            if head is None:
                break
            if head.delivery is not None:
                await asyncio.wait([head.delivery])
            lines: list[str] = []
            while answers and answers[0] is not None and answers[0].done():
                pending = answers.popleft()
                assert pending is not None
                lines.append(self.producer.answer(pending)[1])
            lines.append("")
            body = "\n".join(lines).encode()
            await send({"type": "http.response.body", "body": body, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def produce_records(request: Request) -> Response:
    """Step 3 decides between a plain answer and a stream of answers."""
    proxy = proxy_of(request)
    await proxy.check_cluster(request.path_params["cluster_id"])
    cluster_id, topic = await proxy.cluster_id(), request.path_params["topic_name"]
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip()
    if content_type not in ("application/json", ""):
        raise ApiError(415, 415, "HTTP 415 Unsupported Media Type")
    partitions = await proxy.partition_count(topic)
    if partitions is None:
        raise ApiError(404, 40403, f"This server does not host this topic-partition: {topic}")
    producer = TopicProducer(proxy, cluster_id, topic, partitions)
    stream = JsonStream()
    if "chunked" in request.headers.get("transfer-encoding", ""):
        return ProduceStream(producer, stream, [])
    try:
        records = stream.feed(await request.body()) + stream.close()
    except JsonStreamError as exc:
        raise ApiError(400, 400, str(exc)) from exc
    if not records:
        raise ApiError(422, 422, "Payload error. Request body is empty. Data is required.")
    if len(records) > 1:
        return ProduceStream(producer, stream, records)
    pending = await producer.submit(records[0])
    if pending.delivery is not None:
        await pending.delivery
    code, line = producer.answer(pending)
    return Response(line, status_code=status_of(code), media_type="application/json")


MAX_BATCH_ENTRIES = 10_000


def _batch_entries(body: Any) -> list[dict[str, Any]]:
    """The entries of a `records:batch` request: a non-empty list, ids unique, 1-80 chars."""
    entries = body.get("entries") if isinstance(body, dict) else None
    if not isinstance(entries, list) or not entries or len(entries) > MAX_BATCH_ENTRIES:
        raise ApiError(422, 42208, f"entries must hold 1 to {MAX_BATCH_ENTRIES} records")
    ids = [entry.get("id") if isinstance(entry, dict) else None for entry in entries]
    if not all(isinstance(i, str) and 1 <= len(i) <= 80 for i in ids) or len(set(ids)) < len(ids):
        raise ApiError(422, 42208, "every entry needs a unique id of 1 to 80 characters")
    return entries


async def produce_batch(request: Request) -> Response:
    """`records:batch`: every entry answered under its id, successes and failures apart (207)."""
    proxy = proxy_of(request)
    await proxy.check_cluster(request.path_params["cluster_id"])
    cluster_id, topic = await proxy.cluster_id(), request.path_params["topic_name"]
    entries = _batch_entries(await json_body(request))
    partitions = await proxy.partition_count(topic)
    if partitions is None:
        raise ApiError(404, 40403, f"This server does not host this topic-partition: {topic}")
    producer = TopicProducer(proxy, cluster_id, topic, partitions)
    pendings = []
    for entry in entries:
        record = {k: v for k, v in entry.items() if k != "id"}
        pendings.append(await producer.submit(record))
    await asyncio.gather(*(p.delivery for p in pendings if p.delivery is not None))
    successes, failures = [], []
    for entry, pending in zip(entries, pendings, strict=True):
        code, line = producer.answer(pending)
        answer = {"id": entry["id"], **json.loads(line)}
        if code == 200:
            del answer["error_code"]
            successes.append(answer)
        else:
            failures.append(answer)
    return JSONResponse({"successes": successes, "failures": failures}, status_code=207)


def routes() -> list[BaseRoute]:
    path = "/v3/clusters/{cluster_id}/topics/{topic_name}/records"
    return [
        Route(path, produce_records, methods=["POST"]),
        Route(path + ":batch", produce_batch, methods=["POST"]),
    ]
