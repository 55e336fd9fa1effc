"""``POST /inserts-stream``: rows in, acks out, on one open request (ksqlDB's HTTP/2 endpoint).

The request body is delimited JSON: ``{"target": "<stream>"}`` first, then one JSON object per
row. ksqlDB's clients keep the request open and read an ack per row as they write (its Java
client's ``streamInserts``), so the response streams too, over HTTP/2 or HTTP/1.1:

1. Read until the first line; a missing or unknown target is answered with ksqlDB's error body
   before any ack (status 400).
2. Start the response, then for each chunk of the body: its complete lines are inserted as one
   batch (the engine's inserter, on a thread) and acked at once, ``{"status": "ok", "seq": n}``
   per row, or ``{"status": "error", "seq": n, ...}`` per row of a batch that failed.
3. The end of the body (or the client going away) ends the response.

Starlette's ``StreamingResponse`` cannot do this (it reads the request's messages itself, to
notice a disconnect), so this is an ASGI response of its own over ``receive`` and ``send``.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from kaspar.ksql.engine import KsqlEngine
from kaspar.ksql.errors import BAD_REQUEST, KsqlError
from kaspar.ksql.inserts import check_names

DELIMITED = "application/vnd.ksqlapi.delimited.v1"
NO_TARGET = 'The first line must be {"target": "<stream>"}'


async def inserts_stream(engine: KsqlEngine, request: Request) -> Response:
    """Step 1, then a response doing steps 2-3."""
    buffered, more = b"", True
    receive = request.receive
    while b"\n" not in buffered and more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return Response(status_code=200)
        buffered += message.get("body", b"")
        more = message.get("more_body", False)
    first, _, rest = buffered.partition(b"\n")
    try:
        header = json.loads(first)
    except ValueError:
        header = None
    if not isinstance(header, dict) or not isinstance(header.get("target"), str):
        raise KsqlError(NO_TARGET, BAD_REQUEST)
    engine.metastore.writable(str(header["target"]).upper())  # raises for an unknown target
    return InsertsResponse(engine, str(header["target"]).upper(), rest, more)


class InsertsResponse(Response):
    """Steps 2-3 as an ASGI response."""

    media_type = DELIMITED

    def __init__(self, engine: KsqlEngine, target: str, buffered: bytes, more: bool) -> None:
        super().__init__(media_type=DELIMITED)
        self.engine, self.target, self.buffered, self.more = engine, target, buffered, more
        self.seq = 0
        del self.headers["content-length"]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        buffered = self.buffered
        while True:
            *lines, buffered = buffered.split(b"\n")
            if not self.more:
                lines.append(buffered)
            await self._insert(lines, send)
            if not self.more:
                break
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            buffered += message.get("body", b"")
            self.more = message.get("more_body", False)
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _insert(self, lines: list[bytes], send: Send) -> None:
        rows: list[Any] = []
        acks: list[dict[str, Any]] = []
        for line in (x for x in lines if x.strip()):
            try:
                rows.append(json.loads(line))
            except ValueError as exc:  # this row fails; the ones before it are inserted
                acks += await self._write(rows)
                rows = []
                acks.append(self._error(KsqlError(f"Invalid JSON in inserts stream: {exc}")))
        acks += await self._write(rows)
        if acks:
            body = "".join(json.dumps(a) + "\n" for a in acks).encode()
            await send({"type": "http.response.body", "body": body, "more_body": True})

    async def _write(self, rows: list[Any]) -> list[dict[str, Any]]:
        """The valid rows inserted as one batch; each row acked in order, a row that is not
        an object of the target's columns with its own error."""
        if not rows:
            return []
        sink = self.engine.metastore.writable(self.target)
        acks: list[dict[str, Any]] = []
        valid: list[dict[str, Any]] = []
        for row in rows:
            try:
                if not isinstance(row, dict):
                    raise KsqlError("Each row of an inserts stream must be a JSON object")
                check_names(sink, {str(k).upper(): v for k, v in row.items()})
            except KsqlError as exc:
                acks.append(self._error(exc))
                continue
            acks.append({"status": "ok", "seq": self.seq})
            valid.append(row)
            self.seq += 1
        try:
            await run_in_threadpool(self.engine.inserter.insert_rows, sink, valid)
        except KsqlError as exc:
            failed = {"status": "error", "error_code": exc.error_code, "message": exc.message}
            acks = [a if a["status"] == "error" else {**failed, "seq": a["seq"]} for a in acks]
        return acks

    def _error(self, exc: KsqlError) -> dict[str, Any]:
        ack = {"status": "error", "seq": self.seq, "error_code": exc.error_code,
               "message": exc.message}  # fmt: skip
        self.seq += 1
        return ack
