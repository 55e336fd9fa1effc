"""Queries whose rows go to an HTTP response instead of a topic.

* A **push query** (``EMIT CHANGES``) is a streaming query whose sink (``foreachBatch``) puts
  each batch's rows on a queue the response reads; it stops when the client goes, at ``LIMIT``
  or on ``/close-query``. Its checkpoint is a scratch folder, deleted when it stops.
* A **pull query** is the same plan run once as a batch query over the topic to its end; for
  a table, over the latest row per key (``compiler.compile_query(snapshot=True)``).
* ``PRINT`` reads a topic's records as they are, for people.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import queue
import shutil
import uuid
from collections.abc import Generator
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, KafkaError, TopicPartition

from kaspar.ksql.compiler import CompiledQuery
from kaspar.ksql.formats import TOMBSTONE
from kaspar.ksql.queries import output_mode
from kaspar.sql import functions as F

END = object()


def json_value(value: Any) -> Any:
    """A row value as ksqlDB's JSON shows it."""
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        if hasattr(value, "asDict"):
            return {k: json_value(v) for k, v in value.asDict().items()}
        return [json_value(v) for v in value]
    return value


def result_rows(compiled: CompiledQuery, rows: list[Any]) -> list[list[Any]]:
    names = [c.name for c in compiled.columns]
    return [[json_value(row[n]) for n in names] for row in rows]


class PushQuery:
    """A running push query; ``rows`` yields its rows until it stops."""

    def __init__(self, compiled: CompiledQuery, limit: int | None, scratch: Path) -> None:
        self.id = f"transient_{compiled.source.name}_{uuid.uuid4().int % 10**19}"
        self.compiled, self.limit = compiled, limit
        self.statement = ""
        self.checkpoint = scratch / self.id
        self._rows: queue.Queue[Any] = queue.Queue()
        self._query: Any = None
        self._sent = 0
        self._changelog: Any = None

    def start(self, trigger_ms: int) -> None:
        frame, mode = self.compiled.frame, output_mode(self.compiled)
        if self.compiled.changelog is not None:  # its state in the scratch folder
            self._changelog, mode = self.compiled.changelog(self.checkpoint / "changelog"), "append"
        elif self.compiled.per_batch is None:
            frame = frame.select(*[F.col(f"`{c.name}`") for c in self.compiled.columns])
        self._query = (
            frame.writeStream.foreachBatch(self._batch)
            .outputMode(mode)
            .option("checkpointLocation", str(self.checkpoint))
            .trigger(processingTime=f"{trigger_ms} milliseconds")
            .start()
        )

    def _batch(self, frame: Any, batch_id: int) -> None:
        if self.compiled.per_batch is not None:
            frame = self.compiled.per_batch(frame)
        if self._changelog is not None:  # a deleted row is not shown
            frame = self._changelog.process(frame, batch_id).filter(~F.col(TOMBSTONE))
        for row in result_rows(self.compiled, frame.collect()):
            self._rows.put(row)

    def next_row(self, timeout: float) -> Any:
        """The next row, None if none came within ``timeout``, ``END`` once finished."""
        if self.limit is not None and self._sent >= self.limit:
            return END
        if self._query is not None and not self._query.isActive and self._rows.empty():
            return END
        try:
            row = self._rows.get(timeout=timeout)
        except queue.Empty:
            return None
        self._sent += 1
        return row

    def next_rows(self, timeout: float, most: int = 1_000) -> Any:
        """The rows there are, up to ``most`` (waiting ``timeout`` for the first): [] if none
        came, ``END`` once finished. A response writes them as one chunk (one HTTP/2 frame)."""
        first = self.next_row(timeout)
        if first is None or first is END:
            return [] if first is None else END
        rows = [first]
        while len(rows) < most and (self.limit is None or self._sent < self.limit):
            try:
                rows.append(self._rows.get_nowait())
            except queue.Empty:
                break
            self._sent += 1
        return rows

    def close(self) -> None:
        if self._query is not None:
            self._query.stop()
            self._query = None
        if self._changelog is not None:
            self._changelog.close()
            self._changelog = None
        shutil.rmtree(self.checkpoint, ignore_errors=True)


def pull_rows(compiled: CompiledQuery, limit: int | None) -> list[list[Any]]:
    frame = compiled.rows(compiled.frame)
    frame = frame.select(*[F.col(f"`{c.name}`") for c in compiled.columns])
    if limit is not None:
        frame = frame.limit(limit)
    return result_rows(compiled, frame.collect())


def print_topic(
    servers: str, topic: str, from_beginning: bool, limit: int | None, interval: int
) -> Generator[str | None]:
    """``PRINT``: a line per record (every ``interval``-th), None while waiting."""
    consumer = Consumer(
        {
            "bootstrap.servers": servers,
            "group.id": f"kaspar-ksql-print-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest" if from_beginning else "latest",
            "enable.auto.commit": False,
        }
    )
    try:
        metadata = consumer.list_topics(topic, timeout=10).topics.get(topic)
        if metadata is None or metadata.error is not None:
            raise LookupError(topic)
        start = -2 if from_beginning else -1  # OFFSET_BEGINNING / OFFSET_END
        consumer.assign([TopicPartition(topic, p, start) for p in metadata.partitions])
        yield "Key format: KAFKA_STRING\nValue format: JSON or KAFKA_STRING\n"
        seen = printed = 0
        while limit is None or printed < limit:
            message = consumer.poll(0.5)
            if message is None:
                yield None
                continue
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    continue
                raise RuntimeError(str(error))
            seen += 1
            if (seen - 1) % interval:
                continue
            printed += 1
            yield _print_line(message)
    finally:
        consumer.close()


def _print_line(message: Any) -> str:
    millis = message.timestamp()[1]
    when = dt.datetime.fromtimestamp(millis / 1000, dt.UTC).strftime("%Y/%m/%d %H:%M:%S.%f")
    key = message.key().decode(errors="replace") if message.key() is not None else "<null>"
    value = message.value().decode(errors="replace") if message.value() is not None else "<null>"
    return f"rowtime: {when[:-3]} Z, key: {key}, value: {value}, partition: {message.partition()}\n"
