"""Writes go to the leader: run here if this process leads, else forwarded over HTTP.

1. If this process is the leader, the write runs here (on a worker thread: it waits on Kafka).
   If the write finds this process fenced out by a newer leader (50004, `KafkaStore.fence`),
   it is no longer the leader and the request goes on with step 2.
2. Otherwise, once a leader is known (waiting up to `kafkastore.timeout.ms`; 50004 if none),
   the request is sent to it unchanged with httpx, and its answer is returned as it is. A
   forwarded request is marked so it is never forwarded again: a process that receives one
   while not leading (the group moved the leadership while the request was on its way) answers
   50004 within `FORWARDED_WAIT_S`, and the sender, like on a connection error, looks up the
   leader again and retries until its deadline (then 50004, or 50003 with the last error).
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
FORWARDED_WAIT_S = 2.0  # a forwarded request waits this long for this process to lead
UNKNOWN_LEADER = errors.unknown_leader().error_code


class Forwarder:
    """Steps 1-3 of the module docstring."""

    def __init__(self, election: LeaderElection, state: RegistryState, store: KafkaStore) -> None:
        self.election, self.state, self.store = election, state, store
        self.timeout_s = store.config.timeout_ms / 1000

    async def on_leader(
        self, request: Request, write: Callable[[], Any], status: int = 200
    ) -> Response:
        forwarded = FORWARDED in request.headers
        wait_s = min(self.timeout_s, FORWARDED_WAIT_S) if forwarded else self.timeout_s
        deadline = time.monotonic() + wait_s
        failure: errors.RegistryError | None = None
        while True:
            if self.election.is_leader:
                try:
                    return respond(request, await run_in_threadpool(write), status)
                except errors.RegistryError as exc:
                    if exc.error_code != UNKNOWN_LEADER or time.monotonic() > deadline:
                        raise
                    failure = exc  # fenced by a newer leader (step 1): forward to it
                    continue
            leader = self.state.leader_url
            if leader and leader != self.election.url and not forwarded:
                answer, failure = await self._forward(request, leader)
                if answer is not None:
                    return answer
            if time.monotonic() > deadline:
                raise failure or errors.unknown_leader()
            await run_in_threadpool(time.sleep, LEADER_WAIT_STEP_S)

    async def _forward(
        self, request: Request, leader: str
    ) -> tuple[Response | None, errors.RegistryError | None]:
        """The leader's answer, or (None, why) when the request should be sent again."""
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
            return None, errors.forwarding_failed(
                f"Error while forwarding the request to the leader {leader}: {exc}"
            )
        if _not_leading(answer):
            return None, None
        if answer.status_code < 300:
            await run_in_threadpool(self.store.wait_caught_up)
        response = Response(
            answer.content,
            status_code=answer.status_code,
            media_type=answer.headers.get("content-type"),
        )
        return response, None


def _not_leading(answer: httpx.Response) -> bool:
    """Whether the process forwarded to answered 50004: it no longer leads."""
    if answer.status_code < 500:
        return False
    try:
        body = answer.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("error_code") == errors.unknown_leader().error_code
