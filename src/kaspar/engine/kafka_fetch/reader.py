"""Offset ranges of Kafka partitions read with Fetch requests, decoded into Arrow in bulk.

``ColumnarReader.read`` has the contract of the confluent-kafka reader it replaces
(``streaming/sources/kafka_reader.py``): the records of every ``[start, end)`` range, as a table
with Spark's Kafka schema sorted by topic, partition and offset. One read:

1. Start each partition at its range's start; a partition whose previous read stopped inside a
   fetched batch at exactly this offset goes on from the bytes kept then (no second fetch).
2. Send one Fetch per leader for its pending partitions (all leaders' requests in flight at
   once), each from the partition's position.
3. Per partition of each response: on a leader change or a lost connection, forget the leader
   (metadata is asked again); on OFFSET_OUT_OF_RANGE below the log start, fail
   (``failOnDataLoss``) or go on from the log start; otherwise ``batches.scan`` the records and
   decode the bodies to columns. A partition is done at its range's end, or when nothing is
   left below it (the position reached the high watermark, or the last stable offset under
   read_committed).
4. Repeat 2-3 until every range is done; fail after ``pollTimeoutMs`` without progress.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from kaspar.engine.kafka_fetch.arrow_columns import kafka_schema, record_batch
from kaspar.engine.kafka_fetch.batches import Aborts, Scan, scan
from kaspar.engine.kafka_fetch.cluster import EARLIEST_TIMESTAMP, Cluster, TopicPartition
from kaspar.engine.kafka_fetch.connection import (
    BrokerConnection,
    KafkaConnectionError,
    KafkaReadError,
)
from kaspar.engine.kafka_fetch.fetch_request import (
    FetchSizes,
    fetch_request,
    fetched_to,
    partition_results,
)
from kaspar.engine.kafka_fetch.prefetch import Prefetch
from kaspar.protocol.errors import RETRIABLE, ErrorCode
from kaspar.protocol.messages.fetch import PartitionData
from kaspar.protocol.record_columns import ColumnsDecoder, decode_columns

Ranges = dict[TopicPartition, tuple[int, int]]
_RETRY_BACKOFF_S = 0.05


class DataLossError(KafkaReadError):
    """Offsets of a range are gone from the log (retention, DeleteRecords) and failOnDataLoss."""


class ReadTimeoutError(KafkaReadError):
    """No progress for ``pollTimeoutMs``."""


@dataclass
class Kept:
    """Fetched records a read has not used yet: it stopped inside them at ``position``, or
    the prefetch read them ahead. ``fetched_to`` is the offset after their last batch."""

    position: int
    chunks: deque[tuple[bytes, Aborts | None]]
    fetched_to: int


@dataclass
class _Output:
    """The record batches of one read, per partition."""

    include_headers: bool
    batches: dict[TopicPartition, list[pa.RecordBatch]]


@dataclass
class _Partition:
    position: int
    end: int
    kept: Kept | None = None


@dataclass
class _InFlight:
    """A Fetch sent to ``leader`` on ``connection`` and not answered yet."""

    leader: int
    connection: BrokerConnection
    positions: dict[TopicPartition, int]
    unwanted: bool = False  # sent ahead, no longer wanted: its answer is read and dropped

    def matches(self, positions: dict[TopicPartition, int]) -> bool:
        """True if every partition it asked for is still wanted from the offset it asked."""
        if self.connection.closed:
            return False
        return all(positions.get(tp) == offset for tp, offset in self.positions.items())


class ColumnarReader:
    """Consecutive ranges of many partitions of the cluster at ``bootstrap_servers``."""

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        poll_timeout_ms: int,
        fail_on_data_loss: bool,
        read_committed: bool = False,
        sizes: FetchSizes | None = None,
        decoder: ColumnsDecoder = decode_columns,
        prefetch: bool = True,
    ) -> None:
        self.cluster = Cluster(bootstrap_servers)
        self.poll_timeout_ms = poll_timeout_ms
        self.fail_on_data_loss = fail_on_data_loss
        self.isolation_level = 1 if read_committed else 0
        self.sizes = sizes or FetchSizes()
        self.decoder = decoder
        self.kept: dict[TopicPartition, Kept] = {}
        # per leader, in the order sent: the Fetches sent before the previous answer was decoded
        self._ahead: dict[int, list[_InFlight]] = {}
        self._prefetch = Prefetch(self) if prefetch else None

    def read(self, ranges: Ranges, include_headers: bool) -> pa.Table:
        """Steps 1-4: the records of every ``[start, end)`` range."""
        if self._prefetch is not None:
            self._prefetch.stop()
        table = self._read(ranges, include_headers)
        if self._prefetch is not None:
            self._prefetch.start({tp: end for tp, (_, end) in ranges.items()})
        return table

    def _read(self, ranges: Ranges, include_headers: bool) -> pa.Table:
        parts: dict[TopicPartition, _Partition] = {}
        for tp, (start, end) in sorted(ranges.items()):
            kept = self.kept.pop(tp, None)
            if end > start:
                parts[tp] = _Partition(
                    start, end, kept if kept and kept.position == start else None
                )
        out = _Output(include_headers, {tp: [] for tp in parts})
        for tp, part in parts.items():
            if part.kept is not None:
                self._use_kept(tp, part, part.kept, out)
        pending = {tp: p for tp, p in parts.items() if p.position < p.end}
        deadline = time.monotonic() + self.poll_timeout_ms / 1000
        try:
            while pending:
                if self._fetch_round(pending, out):
                    deadline = time.monotonic() + self.poll_timeout_ms / 1000
                elif time.monotonic() > deadline:
                    raise ReadTimeoutError(
                        f"Timed out after {self.poll_timeout_ms} ms reading offsets of "
                        f"{sorted(pending)} (kafkaConsumer.pollTimeoutMs)"
                    )
                pending = {tp: p for tp, p in pending.items() if p.position < p.end}
        finally:
            self._drain_all()
        batches = [b for tp in sorted(out.batches) for b in out.batches[tp]]
        return pa.Table.from_batches(batches, schema=kafka_schema(include_headers))

    def _fetch_round(
        self,
        pending: dict[TopicPartition, _Partition],
        out: _Output,
    ) -> bool:
        """Step 2-3 once; True if any partition moved."""
        if any(self.cluster.leader(tp) is None for tp in pending):
            self._refresh({t for t, _ in pending})
        by_leader: dict[int, dict[TopicPartition, int]] = {}
        for tp, part in pending.items():
            leader = self.cluster.leader(tp)
            if leader is not None:
                by_leader.setdefault(leader, {})[tp] = part.position
        moved = False
        for flight in self._requests(by_leader):
            response = self._receive(flight)
            if response is None or flight.unwanted:
                continue
            results = list(partition_results(response, list(flight.positions)))
            self._send_ahead(flight.leader, results, pending)
            for tp, data in results:
                moved |= self._answer(tp, pending[tp], data, out)
        if not moved:
            time.sleep(_RETRY_BACKOFF_S)
        return moved

    def _requests(self, by_leader: dict[int, dict[TopicPartition, int]]) -> list[_InFlight]:
        """This round's Fetches, per leader in the order their answers come back: those sent
        ahead (marked unwanted unless every partition they ask is still wanted from there),
        then one for the partitions they leave out."""
        sent: list[_InFlight] = []
        for leader, positions in by_leader.items():
            rest = dict(positions)
            for ahead in self._ahead.pop(leader, []):
                ahead.unwanted = not ahead.matches(rest)
                if not ahead.unwanted:
                    rest = {tp: o for tp, o in rest.items() if tp not in ahead.positions}
                sent.append(ahead)
            if rest:
                self._send(leader, rest, sent)
        return sent

    def _receive(self, flight: _InFlight) -> Any:
        """The answer to ``flight``, or None if its connection is lost."""
        if flight.connection.closed:
            self._lost(flight.positions)
            return None
        try:
            return flight.connection.receive()
        except KafkaConnectionError:
            self._lost(flight.positions)
            return None

    def _send(
        self, leader: int, positions: dict[TopicPartition, int], sent: list[_InFlight]
    ) -> bool:
        try:
            connection = self.cluster.connection(leader)
            request, version = fetch_request(
                connection, positions, self.sizes, self.isolation_level
            )
            connection.send(request, version)
        except KafkaConnectionError:
            self._lost(positions)
            return False
        sent.append(_InFlight(leader, connection, positions))
        return True

    def _send_ahead(
        self,
        leader: int,
        results: list[tuple[TopicPartition, PartitionData | None]],
        pending: dict[TopicPartition, _Partition],
    ) -> None:
        """Pipelining: before decoding a response, ask for what comes after it (of the
        partitions it did not finish), so the broker reads while this process decodes."""
        positions = {}
        for tp, data in results:
            if data is None or data.error_code != ErrorCode.NONE or not data.records:
                continue
            to = fetched_to(data.records, -1)
            if pending[tp].position < to < pending[tp].end:
                positions[tp] = to
        if positions:
            self._send(leader, positions, self._ahead.setdefault(leader, []))

    def _drain_all(self) -> None:
        """Read and drop the answers to Fetches sent ahead that no read used."""
        while self._ahead:
            for flight in self._ahead.popitem()[1]:
                self._receive(flight)

    def _answer(
        self,
        tp: TopicPartition,
        part: _Partition,
        data: PartitionData | None,
        out: _Output,
    ) -> bool:
        """Step 3 for one partition of a response; True if it moved."""
        code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION if data is None else data.error_code
        if code == ErrorCode.OFFSET_OUT_OF_RANGE and data is not None:
            return self._out_of_range(tp, part, data.log_start_offset, data.high_watermark)
        if code != ErrorCode.NONE:
            if code not in RETRIABLE:
                raise KafkaFetchError(f"Fetch of {tp[0]}-{tp[1]} failed with error {code}")
            self.cluster.forget(tp)
            return False
        assert data is not None
        before = part.position
        if data.records:
            committed = self.isolation_level == 1
            aborts = Aborts.of(
                [(a.producer_id, a.first_offset) for a in data.aborted_transactions or []]
            )
            aborted = aborts if committed else None
            tail = self._take(tp, part, data.records, aborted, out)
            if tail is not None:
                chunks = deque([(tail, aborted)])
                self.kept[tp] = Kept(part.position, chunks, fetched_to(data.records, part.end))
        if part.position == before:
            last = data.last_stable_offset if self.isolation_level == 1 else data.high_watermark
            if last >= 0 and part.position >= last:
                part.end = part.position  # nothing is left below the end (e.g. a marker)
                return True
        return part.position != before

    def _take(
        self,
        tp: TopicPartition,
        part: _Partition,
        records: bytes,
        aborts: Aborts | None,
        out: _Output,
    ) -> bytes | None:
        """Decode ``records``' rows of ``part``'s range; the records from the first batch not
        read to its end on, if any."""
        start = part.position
        found: Scan = scan(records, start, part.end, aborts)
        if found.complete_batches == 0 and records:
            self.sizes = self.sizes.doubled()  # one batch is larger than the fetch size
        if found.bodies:
            columns = self.decoder(found.bodies, start, part.end, out.include_headers)
            if columns.rows:
                out.batches[tp].append(record_batch(tp[0], tp[1], columns, out.include_headers))
        part.position = found.position
        return None if found.rest is None else records[found.rest :]

    def _use_kept(self, tp: TopicPartition, part: _Partition, kept: Kept, out: _Output) -> None:
        """Step 1: go on through records fetched before, keeping what this range leaves."""
        chunks = kept.chunks
        while chunks and part.position < part.end:
            records, aborts = chunks.popleft()
            tail = self._take(tp, part, records, aborts, out)
            if tail is not None:
                chunks.appendleft((tail, aborts))
        if chunks:
            self.kept[tp] = Kept(part.position, chunks, kept.fetched_to)

    def _out_of_range(
        self, tp: TopicPartition, part: _Partition, log_start: int, high_watermark: int
    ) -> bool:
        if log_start < 0:
            log_start = self.cluster.list_offsets({tp: EARLIEST_TIMESTAMP}, 0)[tp]
        if part.position >= log_start and high_watermark >= 0 and part.position > high_watermark:
            part.end = part.position  # past the end of the log: nothing to read
            return True
        if self.fail_on_data_loss:
            raise DataLossError(
                f"Cannot fetch offset {part.position} of {tp[0]}-{tp[1]}: the earliest "
                f"available offset is {log_start} (some data may have been lost, because it "
                "is not available in Kafka any more). Set the source option 'failOnDataLoss' "
                "to 'false' to continue."
            )
        part.position = min(max(part.position, log_start), part.end)
        return True

    def _refresh(self, topics: set[str]) -> None:
        try:
            self.cluster.refresh(topics)
        except KafkaConnectionError:
            time.sleep(_RETRY_BACKOFF_S)

    def _lost(self, partitions: Iterable[TopicPartition]) -> None:
        for tp in partitions:
            self.cluster.forget(tp)

    def close(self) -> None:
        if self._prefetch is not None:
            self._prefetch.stop()
        self.cluster.close()
        self.kept.clear()


class KafkaFetchError(KafkaReadError):
    """A Fetch failed with an error that retrying does not cure."""
