"""The Kafka sink of a real-time query, exactly-once: one Kafka transaction per epoch.

``writeStream.format("kafka").option("deliveryGuarantee", "exactly-once")`` under
``trigger(realTime=...)`` or ``trigger(continuous=...)`` (``realtime.py``). Records go out as
their chunk leaves the plan (``linger.ms`` 0), inside the epoch's transaction: a
``read_uncommitted`` consumer sees them within milliseconds, a ``read_committed`` one when the
epoch commits. The mechanism is the micro-batch sink's (``kafka.py``): the producer's
``transactional.id`` is derived from the query id, and the transaction also commits, for the
consumer group ``kaspar-sink-<query id>``, offset ``epoch id + 1`` (the epoch's last chunk id,
which names its checkpoint entries) on partition 0 of every topic it wrote: the *epoch marker*,
visible atomically with the records. The query closes an epoch in this order
(``RealTimeExecution._close_epoch``):

1. ``flush``: every record of the epoch is acknowledged by the broker;
2. ``offsets/<epoch id>`` is written and durable, and so are the epoch's state files;
3. ``commit_epoch``: the marker (with the next watermark as its metadata) is added to the
   transaction, which commits;
4. ``commits/<epoch id>`` is written.

After a crash, starting the sink fences the dead producer (``init_transactions``): an epoch
whose transaction had not committed is aborted (a ``read_committed`` consumer never sees its
records) and replayed from its start. ``last_epoch`` tells recovery which epoch committed last:
if it is the epoch of an ``offsets`` entry without a commit (a crash between steps 3 and 4),
the query writes that commit instead of replaying the epoch.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pyarrow as pa
from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, KafkaException
from confluent_kafka import TopicPartition as KafkaTopicPartition
from confluent_kafka.admin import AdminClient

from kaspar.engine.streaming.sinks.kafka import KafkaRealTimeSink, kafka_records
from kaspar.errors import SparkRuntimeException

_TIMEOUT_S = 30.0
_MIN_TRANSACTION_TIMEOUT_MS = 60_000
_MAX_TIMEOUT_MS = 900_000  # Kafka's default transaction.max.timeout.ms (15 minutes)


class KafkaEpochSink(KafkaRealTimeSink):
    """One transaction per epoch of a real-time query; see the module docstring."""

    def __init__(self, options: dict[str, str], query_id: str, interval_ms: int) -> None:
        # open for an interval, then committed; within the broker's transaction.max.timeout.ms
        timeout_ms = min(max(_MIN_TRANSACTION_TIMEOUT_MS, interval_ms + 60_000), _MAX_TIMEOUT_MS)
        transactional: dict[str, Any] = {"transactional.id": f"kaspar-{query_id}"}
        if "kafka.transaction.timeout.ms" not in options:
            transactional["transaction.timeout.ms"] = timeout_ms
        super().__init__(options, transactional)
        self._group = f"kaspar-sink-{query_id}"
        self._topics: set[str] = set()  # written by the open transaction
        self._open = False
        try:
            self._producer.init_transactions(_TIMEOUT_S)  # fences and aborts a dead run's epoch
            self._consumer = Consumer(
                {**self._config, "group.id": self._group, "enable.auto.commit": False}
            )
        except KafkaException as e:
            raise SparkRuntimeException(f"Kafka sink failed to start: {e.args[0]}") from None

    def add_batch(self, batch_id: int, table: pa.Table) -> None:
        """Send a chunk's rows at once, inside the epoch's transaction."""
        records = kafka_records(table, self.topic)
        if not records:
            return
        try:
            if not self._open:
                self._producer.begin_transaction()
                self._open = True
            self._send(records)
        except KafkaException as e:
            raise SparkRuntimeException(f"Kafka sink failed in batch {batch_id}: {e}") from None
        self._topics.update(r[0] for r in records)

    def commit_epoch(self, epoch_id: int, next_watermark_ms: int) -> None:
        """Step 3: the epoch's marker into its transaction, which commits. An epoch that
        wrote nothing has no transaction (a replay of it writes nothing either)."""
        if not self._open:
            return
        metadata = json.dumps({"nextBatchWatermarkMs": next_watermark_ms})
        markers = [KafkaTopicPartition(t, 0, epoch_id + 1, metadata) for t in sorted(self._topics)]
        try:
            group = self._consumer.consumer_group_metadata()
            self._producer.send_offsets_to_transaction(markers, group, _TIMEOUT_S)
            self._producer.commit_transaction(_TIMEOUT_S)
        except KafkaException as e:
            self._abort()
            raise SparkRuntimeException(f"Kafka sink failed in epoch {epoch_id}: {e}") from None
        self._open = False
        self._topics.clear()

    def last_epoch(self) -> tuple[int, int] | None:
        """The id of the last epoch whose transaction committed and the next watermark it
        recorded, from the markers of the sink's group (None if none committed)."""
        admin = AdminClient({"bootstrap.servers": self._config["bootstrap.servers"]})
        request = [ConsumerGroupTopicPartitions(self._group)]
        try:
            found = admin.list_consumer_group_offsets(request, require_stable=True)
            answer = found[self._group].result(_TIMEOUT_S)
        except KafkaException as e:
            raise SparkRuntimeException(f"Kafka sink failed to recover: {e.args[0]}") from None
        markers = [tp for tp in answer.topic_partitions if tp.offset > 0]
        if not markers:
            return None
        last = max(markers, key=lambda tp: tp.offset)
        watermark = json.loads(last.metadata or "{}").get("nextBatchWatermarkMs", 0)
        return last.offset - 1, int(watermark)

    def _abort(self) -> None:
        with contextlib.suppress(KafkaException):
            self._producer.abort_transaction(_TIMEOUT_S)
        self._open = False
        self._topics.clear()

    def stop(self) -> None:
        """An epoch still open here did not close (the query failed): abort it."""
        if self._open:
            self._abort()
        self._consumer.close()
        super().stop()
