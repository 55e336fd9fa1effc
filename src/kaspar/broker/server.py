"""The broker node's lifetime on one asyncio loop: open the data dir, serve, shut down cleanly.

Start:

1. Take an exclusive lock on the data directory (two brokers never share one).
2. Read ``meta.properties`` (cluster id, node id), creating it on first start.
3. Note whether the last run shut down cleanly (the ``.kaspar-clean-shutdown`` marker), then
   remove the marker: from now on a crash leaves the directory "unclean".
4. Open every topic; partition logs recover (truncate torn tails, rebuild indexes) if unclean.
   Replay ``__transaction_state`` and finish transactions a crash left prepared. Replay
   ``__consumer_offsets`` (committed offsets, groups) and start expiring group sessions.
5. Start the group commit, the retention task, the log cleaner and the listener.

Stop:

1. Stop accepting, close client connections, stop retention and the log cleaner.
2. Finish the group commit (every appended byte is fsynced), close the logs.
3. Write the clean-shutdown marker.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fcntl
import logging
import uuid
from functools import partial
from pathlib import Path
from typing import IO

from kaspar.broker.broker_config import BrokerConfig
from kaspar.broker.connection import Connection
from kaspar.broker.context import BrokerContext, now_ms
from kaspar.broker.coordinator.group_coordinator import GroupCoordinator
from kaspar.broker.coordinator.producer_ids import ProducerIdAllocator
from kaspar.broker.coordinator.transaction import TransactionCoordinator
from kaspar.broker.flush import GroupCommit
from kaspar.broker.log import PartitionLog
from kaspar.broker.log_cleaner import LogCleaner
from kaspar.broker.topics import TopicRegistry, write_atomically

__all__ = ["BrokerNode", "DataDirLockedError"]

log = logging.getLogger(__name__)

CLEAN_SHUTDOWN = ".kaspar-clean-shutdown"
META = "meta.properties"
LOCK = ".lock"


class DataDirLockedError(RuntimeError):
    """Another broker already uses this data directory."""


class BrokerNode:
    """One running broker: its context, its listener and its background tasks."""

    def __init__(self, data_dir: Path, host: str, port: int, config: BrokerConfig) -> None:
        self.data_dir = data_dir
        self.host = host
        self.port = port
        self.config = config
        self.ctx: BrokerContext | None = None
        self._server: asyncio.Server | None = None
        self._connections: set[Connection] = set()
        self._lock_file: IO[str] | None = None
        self._retention: asyncio.Task[None] | None = None
        self.cleaner: LogCleaner | None = None

    async def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock()
        cluster_id, node_id = self._read_meta()
        marker = self.data_dir / CLEAN_SHUTDOWN
        clean = marker.exists()
        marker.unlink(missing_ok=True)
        topics = TopicRegistry(self.data_dir, self.config.topic_defaults)
        topics.open(clean_shutdown=clean)
        group_commit = GroupCommit()
        group_commit.start()
        advertised = self.config.advertised_host or self.host
        self.ctx = BrokerContext(
            node_id,
            advertised,
            self.port,
            cluster_id,
            self.config,
            topics,
            group_commit,
            ProducerIdAllocator(self.data_dir),
        )
        loop = asyncio.get_running_loop()
        ctx = self.ctx
        ctx.groups = GroupCoordinator(ctx)
        ctx.groups.start()
        ctx.transactions = TransactionCoordinator(
            ctx,
            max_timeout_ms=self.config.transaction_max_timeout_ms,
            check_interval_ms=(
                self.config.transaction_abort_timed_out_transaction_cleanup_interval_ms
            ),
        )
        await ctx.transactions.load()
        ctx.transactions.start()
        self._server = await loop.create_server(
            lambda: Connection(ctx, self._connections), self.host, self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]
        ctx.port = self.config.advertised_port or self.port
        self._retention = loop.create_task(self._retention_loop())
        self.cleaner = LogCleaner(
            topics, self.config.log_cleaner_backoff_ms, partial(_transaction_view, ctx)
        )
        self.cleaner.start()
        log.info("kaspar broker %s listening on %s:%d", node_id, self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for connection in list(self._connections):
            connection.abort("broker shutting down")
        if self._retention is not None:
            self._retention.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retention
        if self.cleaner is not None:
            await self.cleaner.stop()
        if self.ctx is not None:
            await self.ctx.transactions.stop()
            await self.ctx.groups.stop()
            await self.ctx.group_commit.close()
            self.ctx.topics.close()
            write_atomically(self.data_dir / CLEAN_SHUTDOWN, "clean\n")
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    async def _retention_loop(self) -> None:
        """Apply retention.ms / retention.bytes every ``log.retention.check.interval.ms``."""
        assert self.ctx is not None
        while True:
            await asyncio.sleep(self.config.log_retention_check_interval_ms / 1000)
            for topic in self.ctx.topics:
                for partition in topic.partitions:
                    try:
                        partition.apply_retention(now_ms())
                    except OSError:
                        log.exception("retention failed for %s", topic.name)

    def _lock(self) -> None:
        handle = (self.data_dir / LOCK).open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            msg = f"data directory {self.data_dir} is in use by another kaspar broker"
            raise DataDirLockedError(msg) from None
        self._lock_file = handle

    def _read_meta(self) -> tuple[str, int]:
        path = self.data_dir / META
        if path.exists():
            entries = dict(
                line.split("=", 1)
                for line in path.read_text(encoding="utf-8").splitlines()
                if "=" in line and not line.startswith("#")
            )
            return entries["cluster.id"].strip(), int(entries.get("node.id", "0"))
        cluster_id = self.config.cluster_id or _new_cluster_id()
        write_atomically(path, f"version=1\ncluster.id={cluster_id}\nnode.id=0\n")
        return cluster_id, 0


def _transaction_view(
    ctx: BrokerContext, log: PartitionLog
) -> tuple[int, list[tuple[int, int, int]]]:
    """What the log cleaner must respect of transactions in ``log`` (see ``log_cleaner``)."""
    state = ctx.txn_state(log)
    aborted = state.aborted_between(log.log_start_offset, log.log_end_offset)
    ranges = [(txn.producer_id, txn.first_offset, txn.last_offset) for txn in aborted]
    return state.last_stable_offset(log.high_watermark), ranges


def _new_cluster_id() -> str:
    """A Kafka-style cluster id: a random UUID in URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
