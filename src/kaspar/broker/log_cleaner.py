"""The log cleaner: compacts the dirtiest compacted partition, one at a time, in the background.

Every ``log.cleaner.backoff.ms`` (right away after a partition was cleaned), `LogCleaner`:

1. Rolls the active segment of compacted partitions when it is older than
   min(segment.ms, max.compaction.lag.ms), so that its records become cleanable.
2. Computes each compacted partition's `LogToClean` from segment metadata (cheap, on the
   event loop) and picks the one that must be cleaned (max.compaction.lag.ms) or else the
   dirtiest above its min.cleanable.dirty.ratio.
3. Snapshots its cleanable segments into a `CleanTask` and runs `clean_log` in the cleaner's
   single worker thread, so produce and fetch keep running meanwhile.
4. Back on the event loop, if the partition still exists, swaps the cleaned segments in and
   moves the cleaner checkpoint (`swap_cleaned`); otherwise deletes the cleaned files.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from kaspar.broker.log import PartitionLog
from kaspar.broker.log.compaction import (
    CleaningAbortedError,
    CleanResult,
    CleanTask,
    LogToClean,
    clean_log,
    cleaned_paths,
    log_to_clean,
    plan_cleaning,
)
from kaspar.broker.log.swap import read_cleaner_checkpoint, swap_cleaned
from kaspar.broker.topics import TopicRegistry

__all__ = ["CleanerStats", "LogCleaner", "TransactionView"]

#: For a partition: its last stable offset, and (producer id, first offset, last offset) of
#: every aborted transaction in it. Cleaning stops below the former and drops the latter.
TransactionView = Callable[[PartitionLog], tuple[int, Sequence[tuple[int, int, int]]]]

log = logging.getLogger(__name__)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class CleanerStats:
    """One cleaning: which partition, what it read and wrote, how long the worker took."""

    topic: str
    partition: int
    result: CleanResult
    seconds: float


class LogCleaner:
    """Background compaction of every partition whose topic has cleanup.policy=compact."""

    def __init__(
        self,
        topics: TopicRegistry,
        backoff_ms: int,
        transactions: TransactionView | None = None,
    ) -> None:
        self._topics = topics
        self._transactions = transactions
        self._backoff_s = backoff_ms / 1000
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="kaspar-log-cleaner")
        self._abort = threading.Event()
        self._task: asyncio.Task[None] | None = None
        self._checkpoints: dict[PartitionLog, int] = {}
        self.history: deque[CleanerStats] = deque(maxlen=100)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="log-cleaner")

    async def stop(self) -> None:
        """Stop cleaning: the worker gives up at its next batch and removes its files."""
        self._abort.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await asyncio.to_thread(self._executor.shutdown, wait=True)

    async def _run(self) -> None:
        while True:
            try:
                cleaned = await self.clean_once()
            except (OSError, ValueError):
                log.exception("log cleaning failed")
                cleaned = False
            if not cleaned:
                await asyncio.sleep(self._backoff_s)

    def _compacted(self) -> Iterator[tuple[str, int, PartitionLog]]:
        for topic in self._topics:
            if topic.config.compacts:
                for index, partition in enumerate(topic.partitions):
                    yield topic.name, index, partition

    def _checkpoint(self, partition: PartitionLog) -> int:
        if partition not in self._checkpoints:
            self._checkpoints[partition] = read_cleaner_checkpoint(partition.directory)
        return self._checkpoints[partition]

    def _choose(self, now_ms: int) -> tuple[str, int, PartitionLog, LogToClean] | None:
        """Steps 1-2: roll old active segments, pick the partition to clean."""
        best: tuple[str, int, PartitionLog, LogToClean] | None = None
        compacted = list(self._compacted())
        live = {partition for _, _, partition in compacted}
        self._checkpoints = {p: c for p, c in self._checkpoints.items() if p in live}
        for name, index, partition in compacted:
            config = partition.config
            active = partition.segments[-1]
            max_segment_ms = min(config.segment_ms, config.max_compaction_lag_ms)
            if active.size > 0 and now_ms - active.created_ms > max_segment_ms:
                partition.roll(now_ms)
            stable = None
            if self._transactions is not None:
                stable = self._transactions(partition)[0]
            target = log_to_clean(
                partition.segments, config, self._checkpoint(partition), now_ms, stable
            )
            if not target.is_cleanable(config.min_cleanable_dirty_ratio):
                continue
            key = (target.must_clean, target.cleanable_ratio)
            if best is None or key > (best[3].must_clean, best[3].cleanable_ratio):
                best = (name, index, partition, target)
        return best

    async def clean_once(self) -> bool:
        """One round of the module steps; False if no partition needed cleaning."""
        now_ms = _now_ms()
        chosen = self._choose(now_ms)
        if chosen is None:
            return False
        name, index, partition, target = chosen
        aborted = self._transactions(partition)[1] if self._transactions is not None else ()
        task = plan_cleaning(
            partition.directory,
            partition.segments,
            partition.config,
            target,
            now_ms,
            aborted=aborted,
        )
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(self._executor, clean_log, task, self._abort)
        except CleaningAbortedError:
            return False
        except OSError:
            if self._topics.partition(name, index) is partition:
                raise
            return True  # the topic was deleted while cleaning
        seconds = time.perf_counter() - started
        if self._topics.partition(name, index) is not partition:  # step 4
            _discard(task)
            return True
        swap_cleaned(partition, task)
        self._checkpoints[partition] = task.end_offset
        self.history.append(CleanerStats(name, index, result, seconds))
        log.info(
            "cleaned %s-%d: %d -> %d bytes, %d records removed in %.2f s",
            name,
            index,
            result.bytes_read,
            result.bytes_written,
            result.records_removed,
            seconds,
        )
        return True


def _discard(task: CleanTask) -> None:
    for group in task.groups:
        for path in cleaned_paths(task.directory, group[0].base_offset):
            path.unlink(missing_ok=True)
