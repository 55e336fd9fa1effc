"""The routes of `/connectors` (Connect's `ConnectorsResource`), thin over
`kaspar.connect.connectors_resource`: blocking work runs on the thread pool."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kaspar.connect.connectors_resource import ConnectorsResource
from kaspar.connect.errors import bad_request, connector_exists, rest_error
from kaspar.connect.offsets import alter_offsets, get_offsets, reset_offsets

TARGET_STATES = ("RUNNING", "PAUSED", "STOPPED")


async def json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw) if raw else None
    except ValueError as exc:
        raise bad_request(f"Cannot deserialize the request body as JSON: {exc}") from exc


async def call(function: Callable[..., Any], *args: Any) -> Any:
    return await run_in_threadpool(function, *args)


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "false").lower() == "true"


def _properties(body: Any, name: str) -> dict[str, str]:
    if not isinstance(body, dict):
        raise bad_request("Connector configuration must be a JSON object")
    config = {str(k): str(v) for k, v in body.items() if v is not None}
    if config.get("name", name) != name:
        raise bad_request(
            f"Connector name configuration ({config['name']}) doesn't match connector name"
            f" in the URL ({name})"
        )
    return config


class ConnectorRoutes:
    """One handler per route of `/connectors`."""

    def __init__(self, resource: ConnectorsResource) -> None:
        self.resource = resource

    async def list_connectors(self, request: Request) -> Response:
        with self.resource.state.lock:
            names = sorted(self.resource.state.connector_configs)
        expand = request.query_params.getlist("expand")
        if not expand:
            return JSONResponse(names)
        out: dict[str, Any] = {}
        for name in names:
            entry = out.setdefault(name, {})
            if "status" in expand:
                entry["status"] = await call(self.resource.status, name)
            if "info" in expand:
                entry["info"] = await call(self.resource.info, name)
        return JSONResponse(out)

    async def create(self, request: Request) -> Response:
        body = await json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("config"), dict):
            raise bad_request('Connector configuration must be {"name": ..., "config": {...}}')
        name = str(body.get("name") or body["config"].get("name") or "").strip()
        if not name:
            raise bad_request("Connector name cannot be empty")
        if "/" in name:
            raise bad_request("connector name should not contain '/'")
        config = _properties(body["config"], name)
        initial = body.get("initial_state")
        if initial is not None and initial not in TARGET_STATES:
            raise bad_request(f"Invalid initial state {initial}; one of {', '.join(TARGET_STATES)}")
        with self.resource.state.lock:
            exists = name in self.resource.state.connector_configs
        if exists:
            raise connector_exists(name)
        await call(self.resource.put_config, name, config, initial)
        return JSONResponse(await call(self.resource.info, name), status_code=201)

    async def get_info(self, request: Request) -> Response:
        return JSONResponse(await call(self.resource.info, request.path_params["name"]))

    async def delete(self, request: Request) -> Response:
        await call(self.resource.delete, request.path_params["name"])
        return Response(status_code=204)

    async def get_config(self, request: Request) -> Response:
        return JSONResponse(await call(self.resource.config, request.path_params["name"]))

    async def put_config(self, request: Request) -> Response:
        name = request.path_params["name"]
        config = _properties(await json_body(request), name)
        with self.resource.state.lock:
            created = name not in self.resource.state.connector_configs
        await call(self.resource.put_config, name, config)
        info = await call(self.resource.info, name)
        return JSONResponse(info, status_code=201 if created else 200)

    async def patch_config(self, request: Request) -> Response:
        name = request.path_params["name"]
        body = await json_body(request)
        if not isinstance(body, dict):
            raise bad_request("Connector configuration must be a JSON object")
        config = await call(self.resource.config, name)
        for key, value in body.items():
            if value is None:
                config.pop(key, None)
            else:
                config[str(key)] = str(value)
        await call(self.resource.put_config, name, config)
        return JSONResponse(await call(self.resource.info, name))

    async def status(self, request: Request) -> Response:
        return JSONResponse(await call(self.resource.status, request.path_params["name"]))

    async def restart(self, request: Request) -> Response:
        name = request.path_params["name"]
        include_tasks, only_failed = _flag(request, "includeTasks"), _flag(request, "onlyFailed")
        status = await call(self.resource.restart, name, include_tasks, only_failed)
        if not include_tasks and not only_failed:
            return Response(status_code=204)
        return JSONResponse(status, status_code=202)

    def target(self, state: str, code: int) -> Callable[[Request], Any]:
        async def handler(request: Request) -> Response:
            await call(self.resource.set_target_state, request.path_params["name"], state)
            return Response(status_code=code)

        return handler

    async def tasks(self, request: Request) -> Response:
        name = request.path_params["name"]
        await call(self.resource.config, name)
        with self.resource.state.lock:
            configs = list(self.resource.state.task_configs.get(name, []))
        listed = [
            {"id": {"connector": name, "task": i}, "config": c} for i, c in enumerate(configs)
        ]
        return JSONResponse(listed)

    async def task_status(self, request: Request) -> Response:
        name = request.path_params["name"]
        index = await call(self.resource.task_index, name, request.path_params["task"])
        return JSONResponse(self.resource.task_status(name, index))

    async def task_restart(self, request: Request) -> Response:
        name = request.path_params["name"]
        index = await call(self.resource.task_index, name, request.path_params["task"])
        herder = self.resource.herder
        if herder.owns_task(name, index):
            herder.submit(lambda: herder.restart_task(name, index))
            return Response(status_code=204)
        owner = self.resource.task_status(name, index).get("worker_id")
        if not owner or owner == herder.worker_id:
            raise rest_error(409, "Cannot complete request: the task is being reassigned")
        async with httpx.AsyncClient(timeout=30) as client:  # to the worker running it
            forwarded = await client.post(f"http://{owner}{request.url.path}")
        return Response(forwarded.content, forwarded.status_code, media_type="application/json")

    async def topics(self, request: Request) -> Response:
        name = request.path_params["name"]
        config = await call(self.resource.config, name)
        listed = [t.strip() for t in config.get("topics", config.get("topic", "")).split(",")]
        return JSONResponse({name: {"topics": [t for t in listed if t]}})

    async def offsets(self, request: Request) -> Response:
        name, store = request.path_params["name"], self.resource.store
        if request.method == "GET":
            kind = self.resource.kind(await call(self.resource.config, name))
            return JSONResponse(await call(get_offsets, store, name, kind))
        kind = await call(self.resource.require_stopped, name)
        if request.method == "DELETE":
            return JSONResponse(await call(reset_offsets, store, name, kind))
        body = await json_body(request)
        return JSONResponse(await call(alter_offsets, store, name, kind, body))

    def routes(self) -> list[Route]:
        base = "/connectors/{name}"
        return [
            Route("/connectors", self.list_connectors, methods=["GET"]),
            Route("/connectors", self.create, methods=["POST"]),
            Route(base, self.get_info, methods=["GET"]),
            Route(base, self.delete, methods=["DELETE"]),
            Route(f"{base}/config", self.get_config, methods=["GET"]),
            Route(f"{base}/config", self.put_config, methods=["PUT"]),
            Route(f"{base}/config", self.patch_config, methods=["PATCH"]),
            Route(f"{base}/status", self.status, methods=["GET"]),
            Route(f"{base}/restart", self.restart, methods=["POST"]),
            Route(f"{base}/pause", self.target("PAUSED", 202), methods=["PUT"]),
            Route(f"{base}/resume", self.target("STARTED", 202), methods=["PUT"]),
            Route(f"{base}/stop", self.target("STOPPED", 204), methods=["PUT"]),
            Route(f"{base}/tasks", self.tasks, methods=["GET"]),
            Route(f"{base}/tasks/{{task}}/status", self.task_status, methods=["GET"]),
            Route(f"{base}/tasks/{{task}}/restart", self.task_restart, methods=["POST"]),
            Route(f"{base}/topics", self.topics, methods=["GET"]),
            Route(f"{base}/offsets", self.offsets, methods=["GET", "PATCH", "DELETE"]),
        ]
