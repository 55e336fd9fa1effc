"""v2 consumer instances: each a real confluent-kafka `Consumer`, a member of its group.

An instance's client calls block, so they run on a worker thread under the instance's lock. An
instance unused for `consumer.instance.timeout.ms` is closed (it leaves its group) by the expiry
task, which looks every `EXPIRY_CHECK_S`.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from confluent_kafka import Consumer

from kaspar.rest.config import CLIENT_LOG, RestProxyConfig
from kaspar.service.errors import ApiError

T = TypeVar("T")
EXPIRY_CHECK_S = 1.0
FORMATS = ("binary", "json", "avro", "jsonschema", "protobuf")


@dataclass
class ConsumerInstance:
    group: str
    name: str
    format: str
    consumer: Consumer
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_used: float = field(default_factory=time.monotonic)
    subscription: list[str] = field(default_factory=list)
    manual: bool = False

    async def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `function` on a worker thread, one call at a time per instance."""
        self.last_used = time.monotonic()

        def locked() -> T:
            with self.lock:
                return function(*args, **kwargs)

        try:
            return await asyncio.to_thread(locked)
        finally:
            self.last_used = time.monotonic()


class ConsumerInstances:
    """The live instances by (group, name), and their expiry."""

    def __init__(self, config: RestProxyConfig) -> None:
        self.config = config
        self._instances: dict[tuple[str, str], ConsumerInstance] = {}
        self._expiry: asyncio.Task[None] | None = None

    def create(self, group: str, request: dict[str, Any]) -> ConsumerInstance:
        name = request.get("name") or request.get("id") or f"rest-consumer-{uuid.uuid4().hex[:12]}"
        name = str(name)
        fmt = str(request.get("format") or "binary").lower()
        if fmt not in FORMATS:
            raise ApiError(422, 42204, f"format must be one of {FORMATS}, got {fmt!r}")
        if (group, name) in self._instances:
            raise ApiError(
                409,
                40902,
                f"Consumer with specified consumer ID {name} already exists in group {group}",
            )
        self._instances[(group, name)] = ConsumerInstance(
            group, name, fmt, self._consumer(group, name, request)
        )
        return self._instances[(group, name)]

    def _consumer(self, group: str, name: str, request: dict[str, Any]) -> Consumer:
        timeout_ms = self.config.instance_timeout_ms
        settings: dict[str, Any] = {
            "bootstrap.servers": self.config.bootstrap_servers,
            "group.id": group,
            "logger": CLIENT_LOG,
            "client.id": name,
            "enable.auto.commit": "true",
            "auto.offset.reset": "latest",
            "max.poll.interval.ms": str(max(timeout_ms + 5000, 300_000)),
            **self.config.consumer,
        }
        reset = request.get("auto.offset.reset")
        if reset is not None:
            if reset not in ("earliest", "latest", "none", "smallest", "largest"):
                raise ApiError(
                    422, 42204, f"auto.offset.reset must be earliest or latest, got {reset!r}"
                )
            settings["auto.offset.reset"] = reset
        auto_commit = request.get("auto.commit.enable")
        if auto_commit is not None:
            if str(auto_commit).lower() not in ("true", "false"):
                raise ApiError(
                    422, 42204, f"auto.commit.enable must be true or false, got {auto_commit!r}"
                )
            settings["enable.auto.commit"] = str(auto_commit).lower()
        if request.get("fetch.min.bytes") is not None:
            settings["fetch.min.bytes"] = str(request["fetch.min.bytes"])
        try:
            return Consumer(settings)
        except Exception as exc:
            raise ApiError(422, 42204, f"invalid consumer configuration: {exc}") from exc

    def get(self, group: str, name: str) -> ConsumerInstance:
        instance = self._instances.get((group, name))
        if instance is None:
            raise ApiError(404, 40403, "Consumer instance not found.")
        instance.last_used = time.monotonic()
        return instance

    async def delete(self, group: str, name: str) -> None:
        instance = self.get(group, name)
        del self._instances[(group, name)]
        await instance.call(instance.consumer.close)

    def start_expiry(self) -> None:
        self._expiry = asyncio.get_running_loop().create_task(self._expire_forever())

    async def _expire_forever(self) -> None:
        timeout_s = self.config.instance_timeout_ms / 1000
        while True:
            await asyncio.sleep(min(EXPIRY_CHECK_S, timeout_s))
            now = time.monotonic()
            for key, instance in list(self._instances.items()):
                if now - instance.last_used > timeout_s and not instance.lock.locked():
                    del self._instances[key]
                    await instance.call(instance.consumer.close)

    async def close_all(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._expiry
        instances, self._instances = list(self._instances.values()), {}
        for instance in instances:
            await instance.call(instance.consumer.close)
