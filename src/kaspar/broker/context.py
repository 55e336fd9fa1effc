"""What every request handler can reach: the node's identity, its topics and its durability."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kaspar.broker.broker_config import BrokerConfig
from kaspar.broker.coordinator.producer_ids import ProducerIdAllocator
from kaspar.broker.coordinator.producer_state import ProducerStateTable
from kaspar.broker.coordinator.txn_state import PartitionTxnState
from kaspar.broker.flush import GroupCommit
from kaspar.broker.log import PartitionLog
from kaspar.broker.topics import Topic, TopicError, TopicRegistry

if TYPE_CHECKING:
    from kaspar.broker.coordinator.group_coordinator import GroupCoordinator
    from kaspar.broker.coordinator.transaction import TransactionCoordinator

__all__ = [
    "REQUEST_CLIENT",
    "AppendWaiters",
    "BrokerContext",
    "RequestClient",
    "now_ms",
]


@dataclass(frozen=True, slots=True)
class RequestClient:
    """Who sent the request being handled: the header's client id and the peer's address."""

    client_id: str
    host: str


#: Set by the connection around each handler call (tasks inherit it), for the few handlers that
#: record who asked, such as JoinGroup for DescribeGroups.
REQUEST_CLIENT: ContextVar[RequestClient] = ContextVar(
    "REQUEST_CLIENT",
    default=RequestClient("", ""),  # noqa: B039 - frozen, never mutated
)


def now_ms() -> int:
    return int(time.time() * 1000)


class AppendWaiters:
    """Wakes long-polling fetches when one of the partitions they wait on gets new data."""

    def __init__(self) -> None:
        self._waiting: dict[PartitionLog, set[asyncio.Future[None]]] = {}

    def notify(self, log: PartitionLog) -> None:
        futures = self._waiting.pop(log, None)
        if futures:
            for future in futures:
                if not future.done():
                    future.set_result(None)

    async def wait(self, logs: Iterable[PartitionLog], timeout_s: float) -> None:
        """Return when any of ``logs`` is appended to, or after ``timeout_s``."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        watched = list(logs)
        for log in watched:
            self._waiting.setdefault(log, set()).add(future)
        try:
            await asyncio.wait_for(asyncio.shield(future), timeout_s)
        except TimeoutError:
            pass
        finally:
            for log in watched:
                waiters = self._waiting.get(log)
                if waiters is not None:
                    waiters.discard(future)
                    if not waiters:
                        del self._waiting[log]


@dataclass(slots=True)
class BrokerContext:
    """The state of one broker node, shared by all connections and handlers."""

    node_id: int
    host: str
    port: int
    cluster_id: str
    config: BrokerConfig
    topics: TopicRegistry
    group_commit: GroupCommit
    producer_ids: ProducerIdAllocator
    append_waiters: AppendWaiters = field(default_factory=AppendWaiters)
    producer_states: dict[PartitionLog, ProducerStateTable] = field(default_factory=dict)
    txn_states: dict[PartitionLog, PartitionTxnState] = field(default_factory=dict)
    #: set by the server right after the context is built (it needs the context)
    transactions: TransactionCoordinator = field(init=False)
    #: the group coordinator (consumer groups, committed offsets), set by the server likewise
    groups: GroupCoordinator = field(init=False)

    def producer_state(self, log: PartitionLog) -> ProducerStateTable:
        """The idempotence state of a partition, rebuilt from its log on first use."""
        table = self.producer_states.get(log)
        if table is None:
            table = self.producer_states[log] = ProducerStateTable.rebuild(log)
        return table

    def txn_state(self, log: PartitionLog) -> PartitionTxnState:
        """Open/aborted transactions of a partition, rebuilt from its log on first use."""
        state = self.txn_states.get(log)
        if state is None:
            state = self.txn_states[log] = PartitionTxnState.rebuild(log)
        state.forget_before(log.log_start_offset)
        return state

    def auto_create(self, name: str) -> Topic | None:
        """Create ``name`` with broker defaults when ``auto.create.topics.enable`` allows it."""
        if not self.config.auto_create_topics_enable:
            return None
        try:
            return self.topics.create(name, self.config.num_partitions, {})
        except TopicError:
            return self.topics.get(name)
