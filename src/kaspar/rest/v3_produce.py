"""One v3 record to the producer, and its delivery report to an answer line.

`TopicProducer.submit_nowait` takes a record whose key and value need no registry (BINARY, JSON,
STRING) and hands it to librdkafka without a coroutine or a thread hop: the streamed form spends
its time here, once per record. Records with a schema type, or arriving while librdkafka's queue
is full, go through `submit`, which may wait. An answer line is written from a template with the
parts that do not change within a request (cluster, topic, the key's and value's type and size)
encoded once.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from kaspar.rest.delivery import Delivery
from kaspar.rest.formats import PLAIN_TYPES, SCHEMA_TYPES, Encoded, SchemaChoice, encode_plain
from kaspar.rest.proxy import RestProxy, blocking
from kaspar.service.errors import ApiError

SCHEMA_FIELDS = ("schema_id", "schema", "subject", "schema_version")
KEY_AND_VALUE = frozenset(("key", "value"))
NOT_FOUND_CODES = (3, -188, -190)  # UNKNOWN_TOPIC_OR_PART, _UNKNOWN_TOPIC, _UNKNOWN_PARTITION


class NeedsWaiting(Exception):
    """The record needs the registry (a thread) or room in the producer's queue."""


class Pending:
    """One record's answer to be: a delivery to wait for, or an error already known."""

    __slots__ = ("delivery", "error", "key", "value")

    def __init__(
        self,
        delivery: asyncio.Future[Delivery] | None,
        error: ApiError | None = None,
        key: str = "null",
        value: str = "null",
    ) -> None:
        self.delivery, self.error, self.key, self.value = delivery, error, key, value

    def done(self) -> bool:
        return self.delivery is None or self.delivery.done()


def iso_timestamp(timestamp_ms: int | None) -> str | None:
    if timestamp_ms is None:
        return None
    moment = datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_timestamp(text: Any) -> int | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError as exc:
        raise ApiError(400, 400, f"timestamp is not ISO-8601: {text!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def parse_headers(items: Any) -> list[tuple[str, bytes | None]]:
    headers: list[tuple[str, bytes | None]] = []
    for item in items or ():
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ApiError(400, 400, f"a header is {{name, value (base64)}}, got {item!r}")
        value = item.get("value")
        try:
            raw = None if value is None else base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError, TypeError) as exc:
            raise ApiError(400, 400, f"header {item['name']!r}: value is not base64") from exc
        headers.append((item["name"], raw))
    return headers


def _kind(data: Any, side: str) -> str:
    if not isinstance(data, dict):
        raise ApiError(400, 400, f"{side} must be an object {{type, data}}")
    kind = data.get("type")
    if kind is None:
        # with a schema named, the registered schema's type ("" until it is looked up)
        return "" if any(data.get(k) is not None for k in SCHEMA_FIELDS) else "JSON"
    kind = str(kind).upper()
    if kind not in PLAIN_TYPES and kind not in SCHEMA_TYPES:
        choices = (*PLAIN_TYPES, *SCHEMA_TYPES)
        raise ApiError(400, 400, f"type must be one of {choices}, got {kind!r}")
    return kind


class TopicProducer:
    """The records of one produce request to one topic."""

    def __init__(self, proxy: RestProxy, cluster_id: str, topic: str, partitions: int) -> None:
        self.proxy, self.topic, self.partitions = proxy, topic, partitions
        self._prefix = (
            f'{{"error_code":200,"cluster_id":{json.dumps(cluster_id)},'
            f'"topic_name":{json.dumps(topic)},"partition_id":'
        )
        self._meta: dict[tuple[str, int, int | None, str | None], str] = {}
        self._iso: tuple[int | None, str] = (None, "null")

    def _meta_json(self, kind: str, encoded: Encoded) -> str:
        """`{"type","size"[,"subject","schema_id"]}` as JSON, cached per request."""
        cache_key = (kind, len(encoded.data or b""), encoded.schema_id, encoded.subject)
        text = self._meta.get(cache_key)
        if text is None:
            meta: dict[str, Any] = {"type": kind, "size": cache_key[1]}
            if encoded.schema_id is not None:
                meta.update(subject=encoded.subject, schema_id=encoded.schema_id)
            text = self._meta[cache_key] = json.dumps(meta, separators=(",", ":"))
        return text

    def _partition(self, record: dict[str, Any]) -> int | None:
        partition = record.get("partition_id")
        if partition is None:
            return None
        if not isinstance(partition, int) or isinstance(partition, bool) or partition < 0:
            raise ApiError(400, 400, f"partition_id must be a partition number, got {partition!r}")
        if partition >= self.partitions:
            raise ApiError(404, 40402, f"Partition {partition} of {self.topic} not found")
        return partition

    def submit_nowait(self, record: Any) -> Pending:
        """A record of plain types, sent at once; `NeedsWaiting` otherwise."""
        if not isinstance(record, dict):
            return Pending(None, ApiError(400, 400, "a record must be a JSON object"))
        try:
            sides: list[tuple[str, bytes | None]] = []
            for side in ("key", "value"):
                data = record.get(side)
                if data is None:
                    sides.append(("null", None))
                    continue
                kind = _kind(data, side)
                if kind not in PLAIN_TYPES:
                    raise NeedsWaiting
                encoded = Encoded(encode_plain(kind, data.get("data")))
                sides.append((self._meta_json(kind, encoded), encoded.data))
            return self._send(record, sides)
        except ApiError as exc:
            return Pending(None, exc)
        except BufferError as exc:
            raise NeedsWaiting from exc

    def _send(self, record: dict[str, Any], sides: list[tuple[str, bytes | None]]) -> Pending:
        (key_meta, key), (value_meta, value) = sides
        if record.keys() <= KEY_AND_VALUE:  # nothing else to read: the short call
            delivery = self.proxy.producer.send_nowait(self.topic, key, value)
        else:
            delivery = self.proxy.producer.send_nowait(
                self.topic,
                key,
                value,
                partition=self._partition(record),
                timestamp_ms=parse_timestamp(record.get("timestamp")),
                headers=parse_headers(record.get("headers")),
            )
        return Pending(delivery, None, key_meta, value_meta)

    async def submit(self, record: Any) -> Pending:
        """Any record: through the registry when its types need it, waiting for queue room."""
        try:
            return self.submit_nowait(record)
        except NeedsWaiting:
            pass
        try:
            sides = [await self._encode(record.get(side), side) for side in ("key", "value")]
        except ApiError as exc:
            return Pending(None, exc)
        while True:
            try:
                return self._send(record, sides)
            except ApiError as exc:
                return Pending(None, exc)
            except BufferError:
                await asyncio.sleep(0.002)

    async def _encode(self, data: Any, side: str) -> tuple[str, bytes | None]:
        if data is None:
            return "null", None
        kind = _kind(data, side)
        if kind in PLAIN_TYPES:
            encoded = Encoded(encode_plain(kind, data.get("data")))
        else:
            choice = SchemaChoice(
                kind=kind,
                schema_id=data.get("schema_id"),
                schema=data.get("schema"),
                subject=data.get("subject"),
                schema_version=data.get("schema_version"),
                subject_name_strategy=data.get("subject_name_strategy"),
            )
            serialize = self.proxy.serdes.serialize
            encoded = await blocking(serialize, choice, self.topic, side == "key", data.get("data"))
        return self._meta_json(encoded.kind or kind, encoded), encoded.data

    def answer(self, pending: Pending) -> tuple[int, str]:
        """The record's error code and its answer as one line of JSON (the delivery is done)."""
        error = pending.error
        if error is None:
            assert pending.delivery is not None
            delivery = pending.delivery.result()
            if delivery.error is None:
                return 200, self._success(delivery, pending)
            error = _delivery_error(delivery)
        line = json.dumps({"error_code": error.error_code, "message": error.message})
        return error.error_code, line

    def _success(self, delivery: Delivery, pending: Pending) -> str:
        if self._iso[0] != delivery.timestamp_ms:
            stamp = iso_timestamp(delivery.timestamp_ms)
            self._iso = (delivery.timestamp_ms, "null" if stamp is None else f'"{stamp}"')
        return (
            f'{self._prefix}{delivery.partition},"offset":{delivery.offset},'
            f'"timestamp":{self._iso[1]},"key":{pending.key},"value":{pending.value}}}'
        )


def _delivery_error(delivery: Delivery) -> ApiError:
    assert delivery.error is not None
    message = delivery.error.str()
    if delivery.error.code() in NOT_FOUND_CODES:
        return ApiError(404, 40403, message)
    return ApiError(500, 50003 if delivery.error.retriable() else 50002, message)


def status_of(error_code: int) -> int:
    """The HTTP status of an error code (40402 -> 404, 200 -> 200)."""
    return error_code if error_code < 1000 else error_code // 100
