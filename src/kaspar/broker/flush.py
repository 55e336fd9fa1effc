"""When appended bytes reach the disk: group commit for acks=all, Kafka's flush settings otherwise.

Default policy (a topic that sets neither ``flush.messages`` nor ``flush.ms``):

1. Produce appends the batch to the segment file (page cache) on the event loop.
2. An acks=all request then awaits ``GroupCommit.sync(logs)``; every log it touched joins the
   next fsync round.
3. One round runs at a time, in a worker thread, and fsyncs every log that joined it; requests
   that arrive while a round runs join the following one, so one fsync serves many producers.
4. The requests of a round are answered when its fsyncs return.

acks=1 is answered after step 1 (the bytes are in the OS, like Kafka's default). A topic that
sets ``flush.messages`` or ``flush.ms`` gets Kafka's own behaviour: the log is fsynced after that
many messages or that much time, and acks=all does not wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from kaspar.broker.log import LogError, PartitionLog

__all__ = ["GroupCommit"]

LONG_MAX = 9_223_372_036_854_775_807
_TICK_SECONDS = 0.05


class GroupCommit:
    """Batches fsyncs of partition logs; one round in flight at a time."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kaspar-fsync")
        self._pending: set[PartitionLog] = set()
        self._waiters: list[asyncio.Future[None]] = []
        self._wakeup = asyncio.Event()
        self._periodic: set[PartitionLog] = set()
        self._task: asyncio.Task[None] | None = None
        self._ticker: asyncio.Task[None] | None = None
        self.rounds = 0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())
        self._ticker = asyncio.get_running_loop().create_task(self._tick())

    async def close(self) -> None:
        for task in (self._task, self._ticker):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._pending:
            await asyncio.get_running_loop().run_in_executor(
                self._executor, _fsync_all, list(self._pending)
            )
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._executor.shutdown(wait=True)

    @staticmethod
    def uses_group_commit(log: PartitionLog) -> bool:
        """True unless the topic asked for Kafka's count/time based flushing."""
        config = log.config
        return config.flush_messages == LONG_MAX and config.flush_ms == LONG_MAX

    def appended(self, log: PartitionLog) -> None:
        """Called after each append: applies ``flush.messages`` for topics that set it."""
        if self.uses_group_commit(log):
            return
        if log.unflushed_messages >= log.config.flush_messages:
            self._pending.add(log)
            self._wakeup.set()
        else:
            self._periodic.add(log)

    async def sync(self, logs: Iterable[PartitionLog]) -> None:
        """Wait until every given log is on disk up to its current end (group commit topics)."""
        await self.sync_now([log for log in logs if self.uses_group_commit(log)])

    async def sync_now(self, logs: list[PartitionLog]) -> None:
        """Join the next fsync round with these logs whatever their topic's flush settings."""
        group = logs
        if not group:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.update(group)
        self._waiters.append(future)
        self._wakeup.set()
        await future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            logs, waiters = list(self._pending), self._waiters
            self._pending, self._waiters = set(), []
            try:
                await loop.run_in_executor(self._executor, _fsync_all, logs)
            except (OSError, LogError) as exc:
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_exception(exc)
                continue
            self.rounds += 1
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    async def _tick(self) -> None:
        """Apply ``flush.ms`` to the topics that set it."""
        while True:
            await asyncio.sleep(_TICK_SECONDS)
            now_ms = int(time.time() * 1000)
            due = [
                log
                for log in self._periodic
                if log.unflushed_messages and now_ms - log.last_flush_ms >= log.config.flush_ms
            ]
            if due:
                self._periodic.difference_update(due)
                self._pending.update(due)
                self._wakeup.set()


def _fsync_all(logs: list[PartitionLog]) -> None:
    for log in logs:
        log.flush()
