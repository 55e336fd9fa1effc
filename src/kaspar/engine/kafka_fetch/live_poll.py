"""Reading what arrives, as it arrives: the Kafka side of the low-latency triggers.

A real-time query (``streaming/realtime.py``) does not plan ranges: it asks "what is there
after these positions?" and processes whatever comes back. :class:`LivePoll` answers with
Fetch long-polls (``min_bytes`` 1, ``max_wait_ms`` a few ms): the broker holds the request
until a record is appended to one of the partitions, then answers at once, so a record costs
one round trip to reach the query and nothing is asked twice (no watermarks first). One poll:

1. Partitions whose previous poll stopped inside a fetched batch go on from the bytes kept.
2. Otherwise take the Fetch already in flight for exactly these positions (sent ahead, step 4)
   or send one per leader; wait for the answers (at most ``max_wait_ms`` when nothing comes).
3. Decode each partition's records into Arrow (``ColumnarReader``'s per-partition step: errors,
   leader changes, out-of-range offsets, aborted transactions under read_committed). If the
   answers were there already (the Fetch sent ahead was answered while the caller processed
   the previous chunk, as soon as its first record was appended), read at once what was
   appended since (a Fetch with ``max_wait_ms`` 0) into the same chunk: else those records
   would wait for the chunk after this one, a whole chunk's processing later.
4. Send the next long-poll from the new positions before returning, so that records produced
   while the caller processes this chunk are on their way back already.

The chunk's end offsets are the positions the decoding reached: every offset below them was
walked through, so the chunk is complete by construction (no second read as in
``kafka_completeness``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from kaspar.engine.kafka_fetch.arrow_columns import kafka_schema
from kaspar.engine.kafka_fetch.cluster import TopicPartition
from kaspar.engine.kafka_fetch.connection import BrokerConnection, KafkaConnectionError
from kaspar.engine.kafka_fetch.fetch_request import fetch_request, partition_results
from kaspar.engine.kafka_fetch.reader import ColumnarReader, _Output, _Partition

NO_END = 1 << 62  # a position no partition reaches: a poll reads whatever there is


@dataclass
class _Flight:
    connection: BrokerConnection
    positions: dict[TopicPartition, int]


class LivePoll:
    """Long-polling Fetches over ``reader``'s connections, one in flight per leader."""

    def __init__(self, reader: ColumnarReader, max_wait_ms: int) -> None:
        self.reader = reader
        self.max_wait_ms = max_wait_ms
        self._flights: dict[int, _Flight] = {}

    def poll(
        self, positions: dict[TopicPartition, int], include_headers: bool
    ) -> tuple[pa.Table, dict[TopicPartition, int]]:
        """Steps 1-4: the records after ``positions`` (maybe none) and the new positions."""
        reader = self.reader
        parts = {tp: _Partition(offset, NO_END) for tp, offset in positions.items()}
        out = _Output(include_headers, {tp: [] for tp in parts})
        kept_rows = False
        for tp, part in parts.items():  # 1 kept bytes first
            kept = reader.kept.pop(tp, None)
            if kept is not None and kept.position == part.position:
                reader._use_kept(tp, part, kept, out)
                kept_rows |= bool(out.batches[tp])
        if not kept_rows:
            answered_before = self._fetch(parts, out)  # 2-3
            if answered_before and not reader.kept and any(out.batches.values()):
                self._top_up(parts, out)  # 3, what was appended since
        moved = {tp: p.position for tp, p in parts.items()}
        self._send_ahead(moved)  # 4
        batches = [b for tp in sorted(out.batches) for b in out.batches[tp]]
        return pa.Table.from_batches(batches, schema=kafka_schema(include_headers)), moved

    def _fetch(self, parts: dict[TopicPartition, _Partition], out: _Output) -> bool:
        """Steps 2-3; True if every answer was there before we asked for it."""
        reader = self.reader
        if any(reader.cluster.leader(tp) is None for tp in parts):
            reader._refresh({t for t, _ in parts})
        flights = []
        for leader, positions in self._by_leader(parts).items():
            flight = self._flights.pop(leader, None)
            if flight is not None and flight.positions != positions:
                self._drain(flight)
                flight = None
            flight = flight or self._send(leader, positions)
            if flight is not None:
                flights.append(flight)
        return self._receive(flights, parts, out)

    def _top_up(self, parts: dict[TopicPartition, _Partition], out: _Output) -> None:
        """Step 3's second read: one Fetch per leader that does not wait, from where the
        first answers stopped, decoded into the same chunk."""
        fresh = {tp: _Partition(part.position, NO_END) for tp, part in parts.items()}
        sent = [self._send(leader, at, 0) for leader, at in self._by_leader(fresh).items()]
        self._receive([f for f in sent if f is not None], fresh, out)
        for tp, part in fresh.items():
            parts[tp].position = part.position

    def _receive(
        self, flights: list[_Flight], parts: dict[TopicPartition, _Partition], out: _Output
    ) -> bool:
        """Each flight's answer decoded into ``out``; True if every one was there already."""
        answered_before = bool(flights)
        for flight in flights:
            try:
                answered_before &= flight.connection.readable()
                response = flight.connection.receive()
            except KafkaConnectionError:
                self.reader._lost(flight.positions)
                continue
            for tp, data in partition_results(response, list(flight.positions)):
                self.reader._answer(tp, parts[tp], data, out)
        return answered_before

    def _by_leader(
        self, positions: dict[TopicPartition, _Partition] | dict[TopicPartition, int]
    ) -> dict[int, dict[TopicPartition, int]]:
        grouped: dict[int, dict[TopicPartition, int]] = {}
        for tp, value in positions.items():
            leader = self.reader.cluster.leader(tp)
            if leader is not None:
                offset = value.position if isinstance(value, _Partition) else value
                grouped.setdefault(leader, {})[tp] = offset
        return grouped

    def _send(
        self, leader: int, positions: dict[TopicPartition, int], max_wait_ms: int | None = None
    ) -> _Flight | None:
        reader = self.reader
        wait_ms = self.max_wait_ms if max_wait_ms is None else max_wait_ms
        try:
            connection = reader.cluster.connection(leader)
            request, version = fetch_request(
                connection, positions, reader.sizes, reader.isolation_level, wait_ms
            )
            connection.send(request, version)
        except KafkaConnectionError:
            reader._lost(positions)
            return None
        return _Flight(connection, positions)

    def _send_ahead(self, positions: dict[TopicPartition, int]) -> None:
        kept = self.reader.kept
        wanted = {tp: o for tp, o in positions.items() if tp not in kept}
        for leader, grouped in self._by_leader(wanted).items():
            if leader not in self._flights:
                flight = self._send(leader, grouped)
                if flight is not None:
                    self._flights[leader] = flight

    def _drain(self, flight: _Flight) -> None:
        """Take the answer to a Fetch nobody wants any more (the connection stays in order)."""
        if flight.connection.closed:
            return
        try:
            flight.connection.receive()
        except KafkaConnectionError:
            self.reader._lost(flight.positions)

    def close(self) -> None:
        """Take the answers still in flight (each within ``max_wait_ms``)."""
        while self._flights:
            self._drain(self._flights.popitem()[1])
