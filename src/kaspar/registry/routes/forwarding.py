"""Writes go to the leader: run here if this process leads, else forwarded over HTTP.

1. If this process is the leader, the write runs here (on a worker thread: it waits on Kafka).
2. Otherwise, once a leader is known (waiting up to `kafkastore.timeout.ms`; 50004 if none),
   the request is sent to it unchanged with httpx (50003 if that fails), and its answer is
   returned as it is. A forwarded request is marked so it is never forwarded again.
3. Before answering, a follower waits until its reader has caught up with the topic, so reads
   on this process see the write.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from kaspar.registry import errors
from kaspar.registry.kafka_store import KafkaStore
from kaspar.registry.leader_election import LeaderElection
from kaspar.registry.routes.negotiation import respond
from kaspar.registry.state import RegistryState

FORWARDED = "x-kaspar-registry-forwarded"
LEADER_WAIT_STEP_S = 0.05


class Forwarder:
    """Steps 1-3 of the module docstring."""

    def __init__(self, election: LeaderElection, state: RegistryState, store: KafkaStore) -> None:
        self.election, self.state, self.store = election, state, store
        self.timeout_s = store.config.timeout_ms / 1000

    async def on_leader(
        self, request: Request, write: Callable[[], Any], status: int = 200
    ) -> Response:
        deadline = time.monotonic() + self.timeout_s
        while True:
            if self.election.is_leader:
                return respond(request, await run_in_threadpool(write), status)
            leader = self.state.leader_url
            if leader and leader != self.election.url and FORWARDED not in request.headers:
                return await self._forward(request, leader)
            if time.monotonic() > deadline:
                raise errors.unknown_leader()
            await run_in_threadpool(time.sleep, LEADER_WAIT_STEP_S)

    async def _forward(self, request: Request, leader: str) -> Response:
        headers = {k: v for k, v in request.headers.items() if k in ("content-type", "accept")}
        headers[FORWARDED] = "1"
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s) as client:
                answer = await client.request(
                    request.method,
                    f"{leader}{request.url.path}",
                    params=request.query_params,
                    content=await request.body(),
                    headers=headers,
                )
        except httpx.HTTPError as exc:
            raise errors.forwarding_failed(
                f"Error while forwarding the request to the leader {leader}: {exc}"
            ) from exc
        if answer.status_code < 300:
            await run_in_threadpool(self.store.wait_caught_up)
        return Response(
            answer.content,
            status_code=answer.status_code,
            media_type=answer.headers.get("content-type"),
        )
