"""What the proxy's handlers share: its Kafka clients, the schema serdes, the consumer instances,
and how a request body is read."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.requests import Request

from kaspar.rest.cluster import KafkaCluster
from kaspar.rest.config import RestProxyConfig
from kaspar.rest.consumer_instances import ConsumerInstances
from kaspar.rest.delivery import DeliveringProducer
from kaspar.rest.formats import SchemaSerdes
from kaspar.service.errors import ApiError

T = TypeVar("T")
METADATA_MAX_AGE_S = 5.0


class RestProxy:
    """The proxy's state; `start` and `stop` run in the app's lifespan."""

    def __init__(self, config: RestProxyConfig) -> None:
        self.config = config
        self.cluster = KafkaCluster(config.bootstrap_servers, config.admin)
        self.serdes = SchemaSerdes(config.schema_registry_url)
        self.consumers = ConsumerInstances(config)
        self._producer: DeliveringProducer | None = None
        self._cluster_id: str | None = None
        self._partitions: dict[str, tuple[int, float]] = {}

    @property
    def producer(self) -> DeliveringProducer:
        """Created on first use: an idempotent producer costs an InitProducerId."""
        if self._producer is None:
            self._producer = DeliveringProducer(self.config.bootstrap_servers, self.config.producer)
        return self._producer

    async def cluster_id(self) -> str:
        if self._cluster_id is None:
            self._cluster_id = await blocking(self.cluster.cluster_id)
        return self._cluster_id

    async def partition_count(self, topic: str) -> int | None:
        """The topic's partition count (None: no such topic), from metadata at most
        `METADATA_MAX_AGE_S` old."""
        known = self._partitions.get(topic)
        if known is not None and time.monotonic() - known[1] < METADATA_MAX_AGE_S:
            return known[0]
        found = (await blocking(self.cluster.metadata)).topics.get(topic)
        if found is None or found.error is not None:
            self._partitions.pop(topic, None)
            return None
        self._partitions[topic] = (len(found.partitions), time.monotonic())
        return len(found.partitions)

    async def check_cluster(self, cluster_id: str) -> None:
        if cluster_id != await self.cluster_id():
            raise ApiError(404, 404, f"Cluster {cluster_id} not found")

    async def start(self) -> None:
        self.consumers.start_expiry()

    async def stop(self) -> None:
        await self.consumers.close_all()
        if self._producer is not None:
            await blocking(self._producer.close)
        self.serdes.close()


async def blocking(function: Callable[..., T], *args: Any) -> T:
    """Run a blocking client call on a worker thread."""
    return await asyncio.to_thread(function, *args)


def proxy_of(request: Request) -> RestProxy:
    proxy: RestProxy = request.app.state.proxy
    return proxy


async def json_body(request: Request, *, required: bool = True) -> Any:
    """The request's JSON body; 400 when it is not JSON, 422 when it is empty but required."""
    raw = await request.body()
    if not raw.strip():
        if required:
            raise ApiError(422, 422, "Payload error. Request body is empty. Data is required.")
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, 400, f"Unexpected request body: {exc}") from exc


def json_object(body: Any, what: str = "request body") -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(422, 422, f"the {what} must be a JSON object")
    return body


def int_param(request: Request, name: str) -> int:
    text = request.path_params[name]
    try:
        return int(text)
    except ValueError as exc:
        raise ApiError(404, 404, f"{name} must be an integer, got {text!r}") from exc
