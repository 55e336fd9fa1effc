"""Kafka as a streaming source: ``spark.readStream.format("kafka")``.

Offsets are Spark's JSON (``{"topic":{"0":42}}``: the next offset to read per partition) and
live in the query's checkpoint; no consumer group is joined and nothing is committed to Kafka.
Each batch reads ``[start, end)`` per partition with the batch source's reader. Partitions that
appear later start from their earliest offset, as in Spark.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pyarrow as pa
from confluent_kafka import Consumer, KafkaException
from confluent_kafka import TopicPartition as KafkaTopicPartition

from kaspar.engine.kafka_fetch import KafkaReadError, RangeReader, columnar_reader
from kaspar.engine.kafka_fetch.live_poll import LivePoll
from kaspar.engine.sources.kafka import (
    OffsetRanges,
    consumer_config,
    empty_kafka_table,
    offset_ranges,
    topic_partitions,
)
from kaspar.engine.sources.kafka_options import TopicPartition, parse_kafka_options
from kaspar.engine.sources.kafka_value_formats import record_decoding
from kaspar.engine.streaming.sources.kafka_completeness import check_complete
from kaspar.engine.streaming.sources.kafka_reader import ContinuousReader
from kaspar.errors import IllegalArgumentException, SparkRuntimeException
from kaspar.protocol.records import RecordsError
from kaspar.protocol.wire import ProtocolError

_TIMEOUT_S = 30.0
_PARTITIONS_TTL_S = 1.0
_LIVE_PARTITIONS_TTL_S = 5.0  # ``poll``: a listing stalls the records behind it (1-10 ms)
_READ_ERRORS = (KafkaException, KafkaReadError, RecordsError, ProtocolError)
Offsets = dict[TopicPartition, int]


class KafkaStreamSource:
    """Two consumers: one reads each batch's ranges, the other asks for partitions and
    watermarks. They are kept apart because the reader keeps a long-polling Fetch in flight,
    and requests on one connection are answered in order: a metadata request queued behind
    that Fetch would wait for it (up to ``fetch.wait.max.ms``) on every trigger."""

    first_batch_without_data = True  # batch 0 runs at once, as Spark's (empty on latest)

    def __init__(self, options: dict[str, str]) -> None:
        self._given = dict(options)
        self.options = parse_kafka_options(options, streaming=True)
        self.max_offsets = _positive(options, "maxoffsetspertrigger")
        self.min_offsets = _positive(options, "minoffsetspertrigger")
        most, least = self.max_offsets, self.min_offsets
        if most is not None and least is not None and least > most:
            raise IllegalArgumentException(
                f"The value of minOffsetPerTrigger({least}) is higher than the "
                f"maxOffsetsPerTrigger({most})."
            )
        delay = options.get("maxtriggerdelay", "15m")
        self.max_trigger_delay_s = _duration_s(delay, "maxTriggerDelay")
        self._last_trigger = time.monotonic()
        self.decoding = record_decoding(options, self.options.topics)  # valueFormat, keyFormat
        self.schema = empty_kafka_table(self.options.include_headers).schema
        if self.decoding is not None:
            self.schema = self.decoding.schema(self.schema)
        strategy = self.options.strategy
        target = {"subscribe": ",".join(self.options.topics), "assign": str(self.options.assigned)}
        self.description = (
            f"KafkaV2[{strategy.title()}[{target.get(strategy, self.options.pattern)}]]"
        )
        self._consumer: RangeReader | None = None
        self._low: dict[TopicPartition, int] = {}  # earliest offsets seen by latest_offset
        self._latest: Offsets | None = None  # latest offsets seen by latest_offset
        self._listed: tuple[float, list[TopicPartition]] = (-1e9, [])
        self._metadata: Any = None
        self._live: LivePoll | None = None  # the low-latency triggers' reader (``poll``)
        self._live_unavailable = False

    def for_query(self) -> KafkaStreamSource:
        """A new source with its own consumers: two queries sharing one consumer would take
        each other's records (and one's partition-end events would end the other's ranges)."""
        return KafkaStreamSource(self._given)

    def _client(self) -> Any:
        """The consumer that answers metadata and watermark questions (never assigned)."""
        if self._metadata is None:
            self._metadata = self._new_consumer()
        return self._metadata

    def _reader(self) -> RangeReader:
        if self._consumer is None:
            self._consumer = self._new_reader()
        return self._consumer

    def _new_reader(self) -> RangeReader:
        """The columnar reader (Fetch + bulk decoding into Arrow), or confluent-kafka's when a
        ``kafka.*`` option needs librdkafka (``kafka_fetch/choice.py``)."""
        columnar = columnar_reader(self.options)
        if columnar is not None:
            return columnar
        # A short long-poll: a repositioned partition's Fetch waits behind the one in flight.
        consumer = self._new_consumer({"fetch.wait.max.ms": 10})
        return ContinuousReader(consumer, self.options.poll_timeout_ms)

    def _new_consumer(self, defaults: dict[str, Any] | None = None) -> Any:
        config = {**(defaults or {}), **consumer_config(self.options)}
        try:
            return Consumer(config)
        except KafkaException as e:
            raise IllegalArgumentException(f"Invalid 'kafka.*' option: {e.args[0]}") from None

    def initial_offset(self) -> Any:
        """``startingOffsets`` resolved now (earliest, latest, JSON or timestamps)."""
        ranges = offset_ranges(self._client(), self.options)
        return to_json({tp: start for tp, (start, _) in ranges.items()})

    def latest_offset(self, start: Any, limited: bool, until: Any | None) -> Any:
        begin = from_json(start)
        latest = {tp: high for tp, (_, high) in self._watermarks().items()}
        for tp in latest.keys() - begin.keys():
            begin[tp] = self._watermarks_of(tp)[0]  # a new partition: from its earliest offset
        if until is not None:
            cap = from_json(until)
            latest = {tp: min(end, cap[tp]) for tp, end in latest.items() if tp in cap}
        self._latest = latest
        if limited and self.min_offsets is not None:
            available = sum(max(0, end - begin.get(tp, end)) for tp, end in latest.items())
            waited = time.monotonic() - self._last_trigger
            if available < self.min_offsets and waited < self.max_trigger_delay_s:
                return to_json({tp: begin.get(tp, end) for tp, end in latest.items()})
        if limited and self.max_offsets is not None:
            latest = _rate_limit(begin, latest, self.max_offsets)
        result = {tp: max(end, begin.get(tp, end)) for tp, end in latest.items()}
        if any(result[tp] != begin.get(tp) for tp in result):
            self._last_trigger = time.monotonic()
        return to_json(result)

    def report_latest_offset(self) -> Any:
        """Spark's ``reportLatestOffset``: the end offsets the last ``latest_offset`` saw, before
        ``maxOffsetsPerTrigger`` (``availableNow``: up to its cap); null until it ran (a batch
        re-run from the checkpoint after a restart), as in Spark. ``progress_report.py`` derives
        the ``avg/max/minOffsetsBehindLatest`` metrics from it."""
        return None if self._latest is None else to_json(self._latest)

    def get_batch(self, start: Any, end: Any) -> pa.Table:
        begin, finish = from_json(start), from_json(end)
        ranges: OffsetRanges = {}
        for tp, stop in finish.items():
            low = self._low.get(tp)
            if low is None:
                low = self._watermarks_of(tp)[0]
            first = begin.get(tp, low)
            if first < low:
                if self.options.fail_on_data_loss:
                    raise SparkRuntimeException(
                        f"Cannot fetch offset {first} of {tp[0]}-{tp[1]}: the earliest "
                        f"available offset is {low} (some data may have been lost). Set the "
                        "source option 'failOnDataLoss' to 'false' to continue."
                    )
                first = low
            ranges[tp] = (first, max(first, stop))
        try:
            batch = self._reader().read(ranges, self.options.include_headers)
        except _READ_ERRORS as e:
            raise SparkRuntimeException(f"Kafka source failed: {e.args[0]}") from None
        check_complete(batch, ranges, self._read_again)
        return batch if self.decoding is None else self.decoding.apply(batch)

    def poll(self, start: Any, max_wait_ms: int) -> tuple[Any, pa.Table] | None:
        """The low-latency triggers' read (``realtime.py``): the records after ``start`` the
        broker has, waiting up to ``max_wait_ms`` for a first one (a Fetch long-poll,
        ``kafka_fetch/live_poll.py``), and the offsets after them. Complete by construction,
        so no ``check_complete``. None when the options need confluent-kafka's reader: the
        trigger then plans with ``latest_offset`` and reads with ``get_batch``."""
        live = self._live_poll(max_wait_ms)
        if live is None:
            return None
        begin = from_json(start)
        try:
            for tp in self._partitions(_LIVE_PARTITIONS_TTL_S):
                if tp not in begin:  # a new partition: from its earliest offset
                    begin[tp] = self._watermarks_of(tp)[0]
            table, moved = live.poll(begin, self.options.include_headers)
        except _READ_ERRORS as e:
            raise SparkRuntimeException(f"Kafka source failed: {e.args[0]}") from None
        return to_json(moved), table if self.decoding is None else self.decoding.apply(table)

    def _live_poll(self, max_wait_ms: int) -> LivePoll | None:
        if self._live is None and not self._live_unavailable:
            reader = columnar_reader(self.options, prefetch=False)  # its own connections
            self._live_unavailable = reader is None
            self._live = None if reader is None else LivePoll(reader, max_wait_ms)
        return self._live

    def _read_again(self, ranges: OffsetRanges) -> pa.Table:
        """``ranges`` read by a new reader (``check_complete``: are the gaps genuine?)."""
        reader = self._new_reader()
        try:
            return reader.read(ranges, self.options.include_headers)
        except _READ_ERRORS as e:
            raise SparkRuntimeException(f"Kafka source failed: {e.args[0]}") from None
        finally:
            reader.close()

    def _partitions(self, ttl_s: float = _PARTITIONS_TTL_S) -> list[TopicPartition]:
        """The partitions to read, listed again at most every ``ttl_s`` (the Java client Spark
        uses caches metadata for up to ``metadata.max.age.ms``, 5 minutes)."""
        listed_at, partitions = self._listed
        if time.monotonic() - listed_at > ttl_s:
            partitions = topic_partitions(self._client(), self.options)
            self._listed = (time.monotonic(), partitions)
        return partitions

    def _watermarks(self) -> dict[TopicPartition, tuple[int, int]]:
        try:
            partitions = self._partitions()
            found = {tp: self._watermarks_of(tp) for tp in partitions}
        except KafkaException as e:
            raise SparkRuntimeException(f"Kafka source failed: {e.args[0]}") from None
        self._low = {tp: low for tp, (low, _) in found.items()}
        return found

    def _watermarks_of(self, tp: TopicPartition) -> tuple[int, int]:
        low, high = self._client().get_watermark_offsets(KafkaTopicPartition(*tp), _TIMEOUT_S)
        return int(low), int(high)

    def commit(self, end: Any) -> None:
        pass  # offsets live in the checkpoint

    def stop(self) -> None:
        for consumer in (self._consumer, self._metadata):
            if consumer is not None:
                consumer.close()
        self._consumer = self._metadata = None
        if self._live is not None:
            self._live.close()
            self._live.reader.close()
            self._live = None


def _rate_limit(begin: Offsets, latest: Offsets, limit: int) -> Offsets:
    """Spark's ``maxOffsetsPerTrigger``: share ``limit`` between partitions by backlog."""
    sizes = {tp: max(0, end - begin.get(tp, end)) for tp, end in latest.items()}
    total = sum(sizes.values())
    if total <= limit:
        return latest
    limited = {}
    for tp, end in latest.items():
        share = limit * sizes[tp] / total
        step = int(share) if share >= 1 else (1 if sizes[tp] else 0)
        limited[tp] = min(end, begin.get(tp, end) + step)
    return limited


_UNITS_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration_s(text: str, name: str) -> float:
    """Spark's time strings for ``maxTriggerDelay``: ``500ms``, ``30s``, ``15m``, ``1h``."""
    match = re.fullmatch(r"\s*(\d+)\s*(ms|s|m|h|d)?\s*", text.lower())
    if match is None:
        raise IllegalArgumentException(
            f"Invalid value '{text}' for option '{name}': expected a duration such as '15m', "
            "'30s' or '500ms'"
        )
    return int(match.group(1)) * _UNITS_S[match.group(2) or "ms"]


def _positive(options: dict[str, str], name: str) -> int | None:
    text = options.get(name)
    if text is None:
        return None
    if not text.strip().isdigit() or int(text) <= 0:
        raise IllegalArgumentException(f"Invalid value '{text}' for option '{name}', must be > 0")
    return int(text)


def to_json(offsets: Offsets) -> dict[str, dict[str, int]]:
    """``{(topic, p): n}`` -> Spark's ``{"topic": {"p": n}}``, sorted."""
    result: dict[str, dict[str, int]] = {}
    for (topic, partition), offset in sorted(offsets.items()):
        result.setdefault(topic, {})[str(partition)] = offset
    return result


def from_json(value: Any) -> Offsets:
    return {(t, int(p)): int(o) for t, parts in (value or {}).items() for p, o in parts.items()}
