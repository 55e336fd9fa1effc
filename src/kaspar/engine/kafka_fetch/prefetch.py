"""Fetching ahead while the query runs: the next read finds its records already here.

A streaming query reads ``[start, end)`` and then spends its batch in DuckDB, which releases
the GIL; meanwhile nothing would be fetched, and the next read would wait a round trip per
fetch. After each read, :class:`Prefetch` fetches on from where each partition stopped, in a
background thread, up to ``AHEAD_BYTES`` per partition or the end of the log; the next read
stops it (waiting for the Fetch in flight, which the broker answers at once: max wait 0) and
goes on through the kept records (``ColumnarReader.kept``). A failed prefetch is dropped
silently: the read fetches again, and reports the error.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import TYPE_CHECKING

from kaspar.engine.kafka_fetch.batches import Aborts
from kaspar.engine.kafka_fetch.cluster import TopicPartition
from kaspar.engine.kafka_fetch.connection import KafkaReadError
from kaspar.engine.kafka_fetch.fetch_request import fetch_request, fetched_to, partition_results
from kaspar.protocol.errors import ErrorCode
from kaspar.protocol.records import RecordsError
from kaspar.protocol.wire import ProtocolError

if TYPE_CHECKING:
    from kaspar.engine.kafka_fetch.reader import ColumnarReader

AHEAD_BYTES = 16 << 20
_MAX_ROUNDS = 8


class Prefetch:
    """One background thread at a time, fetching ahead for ``reader``."""

    def __init__(self, reader: ColumnarReader) -> None:
        self.reader = reader
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, positions: dict[TopicPartition, int]) -> None:
        """Fetch ahead of ``positions`` (where the next read of each partition starts)."""
        self.stop()
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, args=(positions,), name="kafka-prefetch", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None

    def _run(self, positions: dict[TopicPartition, int]) -> None:
        caught_up: set[TopicPartition] = set()
        try:
            for _ in range(_MAX_ROUNDS):
                wanted = self._wanted(positions, caught_up)
                if not wanted or self._stop.is_set():
                    return
                caught_up |= self._round(wanted, positions)
        except (KafkaReadError, ProtocolError, RecordsError, OSError):
            return

    def _wanted(
        self, positions: dict[TopicPartition, int], caught_up: set[TopicPartition]
    ) -> dict[TopicPartition, int]:
        """The partitions to fetch ahead, from the offset after what is kept of them."""
        wanted = {}
        for tp, position in positions.items():
            kept = self.reader.kept.get(tp)
            if tp in caught_up or self.reader.cluster.leader(tp) is None:
                continue
            if kept is None:
                wanted[tp] = position
            elif kept.position == position and sum(len(c) for c, _ in kept.chunks) < AHEAD_BYTES:
                wanted[tp] = kept.fetched_to
        return wanted

    def _round(
        self, wanted: dict[TopicPartition, int], positions: dict[TopicPartition, int]
    ) -> set[TopicPartition]:
        """One Fetch per leader; the partitions that had nothing more (caught up)."""
        from kaspar.engine.kafka_fetch.reader import Kept

        reader = self.reader
        by_leader: dict[int, dict[TopicPartition, int]] = {}
        for tp, offset in wanted.items():
            by_leader.setdefault(reader.cluster.leaders[tp], {})[tp] = offset
        done: set[TopicPartition] = set()
        for leader, offsets in by_leader.items():
            connection = reader.cluster.connection(leader)
            request, version = fetch_request(
                connection, offsets, reader.sizes, reader.isolation_level, max_wait_ms=0
            )
            response = connection.request(request, version)
            for tp, data in partition_results(response, list(offsets)):
                if data is None or data.error_code != ErrorCode.NONE or not data.records:
                    done.add(tp)
                    continue
                to = fetched_to(data.records, -1)
                if to < 0:
                    done.add(tp)
                    continue
                aborted = [(a.producer_id, a.first_offset) for a in data.aborted_transactions or []]
                chunk = (data.records, Aborts.of(aborted) if reader.isolation_level else None)
                kept = reader.kept.get(tp)
                if kept is None:
                    reader.kept[tp] = Kept(positions[tp], deque([chunk]), to)
                else:
                    kept.chunks.append(chunk)
                    kept.fetched_to = to
        return done
