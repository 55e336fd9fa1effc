"""ksqlDB's REST API as a Starlette app over a ``KsqlEngine``.

Blocking engine calls run on Starlette's thread pool; streamed responses (push queries,
``PRINT``, ``/inserts-stream``) wait for rows on a thread too, so the event loop never blocks.
Every failure is answered with ksqlDB's error body (``errors.KsqlError``).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from kaspar import __version__
from kaspar.ksql import statements as st
from kaspar.ksql.engine import KsqlEngine
from kaspar.ksql.errors import BAD_REQUEST, NOT_FOUND, SERVER_ERROR, KsqlError
from kaspar.ksql.inserts_stream import inserts_stream
from kaspar.ksql.transient import END, print_topic

log = logging.getLogger(__name__)
DELIMITED = "application/vnd.ksqlapi.delimited.v1"
WAIT_S = 0.5


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError as exc:
        raise KsqlError(f"Failed to parse the request body as JSON: {exc}", BAD_REQUEST) from None
    if not isinstance(body, dict):
        raise KsqlError("The request body must be a JSON object", BAD_REQUEST)
    return body


def _text(body: dict[str, Any], field: str) -> str:
    text = body.get(field)
    if not isinstance(text, str) or not text.strip():
        raise KsqlError(f"\"{field}\" is required: the statements to run", BAD_REQUEST)  # fmt: skip
    return text


def _properties(body: dict[str, Any], field: str) -> dict[str, Any]:
    found = body.get(field) or {}
    if not isinstance(found, dict):
        raise KsqlError(f'"{field}" must be an object of property names to values', BAD_REQUEST)
    return found


def create_app(engine: KsqlEngine) -> Starlette:
    routes = KsqlRoutes(engine)
    return Starlette(
        routes=[
            Route("/ksql", routes.ksql, methods=["POST"]),
            Route("/query", routes.query, methods=["POST"]),
            Route("/query-stream", routes.query_stream, methods=["POST"]),
            Route("/close-query", routes.close_query, methods=["POST"]),
            Route("/inserts-stream", routes.inserts_stream, methods=["POST"]),
            Route("/info", routes.info, methods=["GET"]),
            Route("/healthcheck", routes.healthcheck, methods=["GET"]),
            Route("/status", routes.statuses, methods=["GET"]),
            Route("/status/{command_id:path}", routes.status, methods=["GET"]),
        ],
        exception_handlers={KsqlError: _ksql_error, Exception: _internal_error},
    )


async def _ksql_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, KsqlError)
    return exc.response()


async def _internal_error(request: Request, exc: Exception) -> Response:
    log.exception("ksql: %s %s failed", request.method, request.url.path, exc_info=exc)
    return KsqlError(f"Internal server error: {exc}", SERVER_ERROR).response()


class KsqlRoutes:
    def __init__(self, engine: KsqlEngine) -> None:
        self.engine = engine

    async def ksql(self, request: Request) -> Response:
        body = await _body(request)
        text = _text(body, "ksql")
        properties = _properties(body, "streamsProperties")
        variables = _properties(body, "sessionVariables")
        try:
            result = await run_in_threadpool(self.engine.execute, text, properties, variables)
        except KsqlError as exc:
            if exc.statement_text is None and exc.status == 400:
                exc.statement_text = text
            raise
        return JSONResponse(result)

    async def query(self, request: Request) -> Response:
        body = await _body(request)
        text = _text(body, "ksql")
        variables = _properties(body, "sessionVariables")
        statement = await run_in_threadpool(self.engine.query_statement, text, variables)
        properties = _properties(body, "streamsProperties")
        try:
            return await self._query(request, statement, properties)
        except KsqlError as exc:
            if exc.statement_text is None and exc.status == 400:
                exc.statement_text = text
            raise

    async def _query(
        self, request: Request, statement: st.Statement, properties: dict[str, Any]
    ) -> Response:
        if isinstance(statement, st.Print):
            return await self._print(request, statement)
        assert isinstance(statement, st.Select)
        if not statement.query.is_push:
            compiled, rows = await run_in_threadpool(self.engine.run_pull, statement)
            header = {"header": {"queryId": "", "schema": compiled.schema_text(False)}}
            lines = [header, *({"row": {"columns": r}} for r in rows)]
            return Response(
                "[" + ",\n".join(json.dumps(x) for x in lines) + "]\n",
                media_type="application/json",
            )
        push = await run_in_threadpool(self.engine.start_push, statement, properties)
        header = {"header": {"queryId": push.id, "schema": push.compiled.schema_text(False)}}

        async def chunks() -> AsyncIterator[str]:
            yield "[" + json.dumps(header) + ",\n"
            async for rows in self._rows(request, push.id):
                yield "".join(json.dumps({"row": {"columns": r}}) + ",\n" for r in rows)
            yield json.dumps({"finalMessage": "Limit Reached"}) + "]\n"

        return StreamingResponse(chunks(), media_type="application/json")

    async def _rows(self, request: Request, query_id: str) -> AsyncIterator[list[list[Any]]]:
        """A push query's rows, as many as there are at a time, until it ends; closes it when
        the response ends (the client went away, noticed between rows too, the limit was
        reached, or ``/close-query``)."""
        push = self.engine.push_queries.get(query_id)
        try:
            while push is not None:
                rows = await run_in_threadpool(push.next_rows, WAIT_S)
                if rows is END:
                    return
                if rows:
                    yield rows
                elif await request.is_disconnected():
                    return
                push = self.engine.push_queries.get(query_id)
        finally:  # no await here: the response's task may be cancelled already
            self.engine.close_query(query_id, wait=False)

    async def _print(self, request: Request, statement: st.Print) -> Response:
        topic = await run_in_threadpool(self.engine.topic_name, statement.topic)
        lines = print_topic(
            self.engine.config.bootstrap_servers,
            topic,
            statement.from_beginning,
            statement.limit,
            statement.interval,
        )

        async def chunks() -> AsyncIterator[str]:
            try:
                while True:
                    line = await run_in_threadpool(next, lines, "")
                    if line == "":
                        return
                    if line is not None:
                        yield line
                    elif await request.is_disconnected():
                        return
            finally:  # no await: the response's task may be cancelled already
                threading.Thread(target=lines.close, name="close-print", daemon=True).start()

        return StreamingResponse(chunks(), media_type="text/plain")

    async def query_stream(self, request: Request) -> Response:
        body = await _body(request)
        text = _text(body, "sql")
        variables = _properties(body, "sessionVariables")
        statement = await run_in_threadpool(self.engine.query_statement, text, variables)
        if not isinstance(statement, st.Select):
            raise KsqlError("PRINT is served by /query only", statement_text=text)
        try:
            return await self._query_stream(request, body, statement)
        except KsqlError as exc:
            if exc.statement_text is None and exc.status == 400:
                exc.statement_text = text
            raise

    async def _query_stream(
        self, request: Request, body: dict[str, Any], statement: st.Select
    ) -> Response:
        as_array = DELIMITED not in request.headers.get("accept", DELIMITED) and (
            "application/json" in request.headers.get("accept", "")
        )
        media = "application/json" if as_array else DELIMITED
        if not statement.query.is_push:
            compiled, rows = await run_in_threadpool(self.engine.run_pull, statement)
            header = _stream_header(None, compiled)
            if as_array:
                return JSONResponse([header, *rows])
            lines = [json.dumps(header), *(json.dumps(r) for r in rows)]
            return Response("\n".join(lines) + "\n", media_type=media)
        properties = _properties(body, "properties")
        push = await run_in_threadpool(self.engine.start_push, statement, properties)
        header = _stream_header(push.id, push.compiled)

        async def chunks() -> AsyncIterator[str]:
            yield ("[" if as_array else "") + json.dumps(header) + ("" if as_array else "\n")
            async for rows in self._rows(request, push.id):
                if as_array:
                    yield "".join("," + json.dumps(r) for r in rows)
                else:
                    yield "".join(json.dumps(r) + "\n" for r in rows)
            if as_array:
                yield "]"

        return StreamingResponse(chunks(), media_type=media)

    async def close_query(self, request: Request) -> Response:
        body = await _body(request)
        query_id = body.get("queryId")
        if not isinstance(query_id, str):
            raise KsqlError('"queryId" is required', BAD_REQUEST)
        if not await run_in_threadpool(self.engine.close_query, query_id):
            raise KsqlError(f"No query with id {query_id}", BAD_REQUEST)
        return Response(status_code=200)

    async def inserts_stream(self, request: Request) -> Response:
        return await inserts_stream(self.engine, request)

    async def info(self, request: Request) -> Response:
        return JSONResponse(
            {
                "KsqlServerInfo": {
                    "version": __version__,
                    "kafkaClusterId": "kaspar",
                    "ksqlServiceId": self.engine.config.service_id,
                    "serverStatus": "RUNNING",
                }
            }
        )

    async def healthcheck(self, request: Request) -> Response:
        kafka = await run_in_threadpool(self.engine.topics.reachable)
        return JSONResponse(
            {
                "isHealthy": kafka,
                "details": {"metastore": {"isHealthy": True}, "kafka": {"isHealthy": kafka}},
                "serverState": "READY",
            },
            status_code=200 if kafka else 503,
        )

    async def statuses(self, request: Request) -> Response:
        statuses = {k: v["status"] for k, v in self.engine.commands.items()}
        return JSONResponse({"commandStatuses": statuses})

    async def status(self, request: Request) -> Response:
        command_id = request.path_params["command_id"]
        found = self.engine.commands.get(command_id)
        if found is None:
            raise KsqlError(f"Command not found: {command_id}", NOT_FOUND)
        return JSONResponse({"status": found["status"], "message": found["message"]})


def _stream_header(query_id: str | None, compiled: Any) -> dict[str, Any]:
    header: dict[str, Any] = {}
    if query_id is not None:
        header["queryId"] = query_id
    header["columnNames"] = [c.name for c in compiled.columns]
    header["columnTypes"] = [c.type.ksql for c in compiled.columns]
    return header
