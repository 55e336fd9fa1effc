"""The transaction coordinator: transactional ids, producer epochs and the commit protocol.

States (Kafka's): Empty -> Ongoing (AddPartitionsToTxn / AddOffsetsToTxn) -> PrepareCommit or
PrepareAbort (EndTxn, a timeout, or fencing by a new InitProducerId) -> CompleteCommit or
CompleteAbort -> Ongoing again with the next transaction, or Empty after InitProducerId. Dead
is never entered (transactional ids do not expire). Every state change is written to
``__transaction_state`` and fsynced before it takes effect; while one is being written, other
requests for that id get CONCURRENT_TRANSACTIONS.

Ending a transaction (``_complete``), the commit protocol:

1. fsync every partition of the transaction, so its data is durable before the decision.
2. Persist PrepareCommit / PrepareAbort, with the producer epoch the markers will carry. This
   is the decision: after a crash, replay finds it and resumes at step 3.
3. Append a COMMIT / ABORT control batch to every partition of the transaction; each closes
   the producer's open transaction there (the last stable offset moves, an abort is indexed),
   and wakes fetches waiting on the partition.
4. Complete the transaction's consumer-group offsets (``ctx.groups.complete_txn_offsets``).
5. fsync the partitions the markers went to.
6. Persist CompleteCommit / CompleteAbort with no partitions; the id takes requests again.

Steps 3-6 (``_write_markers``) are idempotent: a repeated marker closes nothing.

EndTxn answers once step 2 is durable, as Kafka does: the decision is made and survives a
crash. Steps 3-6 then run in the background; a request for the same transactional id that
arrives meanwhile (typically the next AddPartitionsToTxn) waits for them instead of being
refused with CONCURRENT_TRANSACTIONS, so a producer never backs off and retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from kaspar.broker.context import now_ms
from kaspar.broker.coordinator.internal_topic import InternalTopic
from kaspar.broker.coordinator.producer_ids import MAX_EPOCH
from kaspar.broker.coordinator.producer_state import ProducerStateError
from kaspar.broker.coordinator.transaction_log import (
    TransactionMetadata,
    TransactionState,
    decode_entry,
    encode_entry,
)
from kaspar.broker.coordinator.txn_state import ABORT, COMMIT, append_marker
from kaspar.broker.log import LogError, PartitionLog
from kaspar.protocol.errors import ErrorCode

if TYPE_CHECKING:
    from kaspar.broker.context import BrokerContext
    from kaspar.broker.coordinator.group_coordinator import GroupCoordinator

__all__ = ["TransactionCoordinator", "TransactionError"]

log = logging.getLogger(__name__)

TRANSACTION_STATE_TOPIC = "__transaction_state"
TRANSACTION_MAX_TIMEOUT_MS = 900_000
TIMEOUT_CHECK_INTERVAL_MS = 500
COORDINATOR_EPOCH = 0


class TransactionError(Exception):
    """A transactional request is refused; carries the Kafka error code.

    ``PRODUCER_FENCED`` is answered as INVALID_PRODUCER_EPOCH to request versions older than
    the one that introduced it (the handlers decide).
    """

    def __init__(self, error_code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.error_code = error_code


@contextlib.contextmanager
def _busy(meta: TransactionMetadata) -> Iterator[None]:
    """Hold the id while a state change is written; a second writer gets CONCURRENT_..."""
    if meta.pending:
        msg = f"transactional id {meta.transactional_id!r} is completing a state change"
        raise TransactionError(ErrorCode.CONCURRENT_TRANSACTIONS, msg)
    meta.pending = True
    try:
        yield
    finally:
        meta.pending = False


class TransactionCoordinator:
    """All transactional ids of this broker (a single node coordinates every id)."""

    def __init__(
        self,
        ctx: BrokerContext,
        *,
        max_timeout_ms: int = TRANSACTION_MAX_TIMEOUT_MS,
        check_interval_ms: int = TIMEOUT_CHECK_INTERVAL_MS,
    ) -> None:
        self._ctx = ctx
        self._topic = InternalTopic(ctx, TRANSACTION_STATE_TOPIC)
        self.max_timeout_ms = max_timeout_ms
        self.check_interval_ms = check_interval_ms
        self._by_id: dict[str, TransactionMetadata] = {}
        self._by_producer: dict[int, TransactionMetadata] = {}
        self._timeouts: asyncio.Task[None] | None = None
        self._completions: dict[str, asyncio.Task[None]] = {}

    # ------------------------------------------------------------------ lifecycle

    async def load(self) -> None:
        """Replay ``__transaction_state``, then finish transactions left prepared by a crash."""
        if self._ctx.topics.get(TRANSACTION_STATE_TOPIC) is not None:
            for record in self._topic.replay():
                if record.key is None:
                    continue
                transactional_id, meta = decode_entry(record.key, record.value)
                old = self._by_id.pop(transactional_id, None)
                if old is not None:
                    self._by_producer.pop(old.producer_id, None)
                if meta is not None:
                    self._register(meta)
        for meta in list(self._by_id.values()):
            if meta.state.is_prepared:
                await self._resume(meta)

    def start(self) -> None:
        """Start the task that aborts transactions open longer than their timeout."""
        self._timeouts = asyncio.get_running_loop().create_task(self._timeout_loop())

    async def stop(self) -> None:
        for task in list(self._completions.values()):
            with contextlib.suppress(Exception):
                await task
        if self._timeouts is not None:
            self._timeouts.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timeouts
            self._timeouts = None

    def _register(self, meta: TransactionMetadata) -> None:
        self._by_id[meta.transactional_id] = meta
        self._by_producer[meta.producer_id] = meta

    # ------------------------------------------------------------------ requests

    async def init_producer_id(
        self, transactional_id: str, timeout_ms: int, producer_id: int, producer_epoch: int
    ) -> tuple[int, int]:
        """InitProducerId: fence older epochs (aborting their transaction), bump the epoch."""
        if not 0 < timeout_ms <= self.max_timeout_ms:
            msg = f"transaction.timeout.ms must be in (0, {self.max_timeout_ms}], not {timeout_ms}"
            raise TransactionError(ErrorCode.INVALID_TRANSACTION_TIMEOUT, msg)
        await self._settled(transactional_id)
        meta = self._by_id.get(transactional_id)
        if meta is None:
            new_id = self._ctx.producer_ids.next_id()
            meta = TransactionMetadata(transactional_id, new_id, -1, timeout_ms)
            self._register(meta)
        with _busy(meta):
            if producer_id >= 0 and (producer_id, producer_epoch) != (
                meta.producer_id,
                meta.producer_epoch,
            ):
                msg = f"producer {producer_id} epoch {producer_epoch} is not the current one"
                raise TransactionError(ErrorCode.PRODUCER_FENCED, msg)
            if meta.state.is_prepared:
                await self._write_markers(meta)
            if meta.state == TransactionState.ONGOING:
                await self._complete(meta, commit=False, epoch=_bumped(meta.producer_epoch))
            old_producer = meta.producer_id
            next_id, next_epoch = meta.producer_id, meta.producer_epoch + 1
            if next_epoch >= MAX_EPOCH:
                next_id, next_epoch = self._ctx.producer_ids.next_id(), 0
            await self._persist(
                meta,
                producer_id=next_id,
                producer_epoch=next_epoch,
                timeout_ms=timeout_ms,
                state=TransactionState.EMPTY,
                partitions=set(),
                groups=set(),
                start_ms=-1,
            )
            self._by_producer.pop(old_producer, None)
            self._register(meta)
        return meta.producer_id, meta.producer_epoch

    async def add_partitions(
        self, transactional_id: str, producer_id: int, epoch: int, partitions: set[tuple[str, int]]
    ) -> None:
        """AddPartitionsToTxn: the partitions join the (possibly new) ongoing transaction."""
        await self._settled(transactional_id)
        meta = self._checked(transactional_id, producer_id, epoch)
        if meta.state == TransactionState.ONGOING and partitions <= meta.partitions:
            return
        with _busy(meta):
            await self._begin(meta, partitions=meta.partitions | partitions)

    async def add_offsets(
        self, transactional_id: str, producer_id: int, epoch: int, group_id: str
    ) -> None:
        """AddOffsetsToTxn: the group's offsets will be committed or aborted with the txn."""
        await self._settled(transactional_id)
        meta = self._checked(transactional_id, producer_id, epoch)
        if meta.state == TransactionState.ONGOING and group_id in meta.groups:
            return
        with _busy(meta):
            await self._begin(meta, groups=meta.groups | {group_id})

    def check_offset_commit(
        self, transactional_id: str, producer_id: int, epoch: int, group_id: str
    ) -> None:
        """TxnOffsetCommit may stage offsets only for a group added to the ongoing txn."""
        meta = self._checked(transactional_id, producer_id, epoch)
        if meta.state != TransactionState.ONGOING or group_id not in meta.groups:
            msg = f"group {group_id!r} was not added to the transaction (AddOffsetsToTxn)"
            raise TransactionError(ErrorCode.INVALID_TXN_STATE, msg)

    async def end_txn(
        self, transactional_id: str, producer_id: int, epoch: int, commit: bool
    ) -> None:
        """EndTxn: commit or abort the ongoing transaction (a retry of a finished one is ok).

        Answers after steps 1-2 of the commit protocol; steps 3-6 follow in the background.
        """
        await self._settled(transactional_id)
        meta = self._checked(transactional_id, producer_id, epoch)
        done = TransactionState.COMPLETE_COMMIT if commit else TransactionState.COMPLETE_ABORT
        if meta.state == done:
            return
        if meta.state != TransactionState.ONGOING:
            action = "commit" if commit else "abort"
            msg = f"cannot {action} a transaction in state {meta.state.name}"
            raise TransactionError(ErrorCode.INVALID_TXN_STATE, msg)
        with _busy(meta):
            await self._prepare(meta, commit=commit, epoch=meta.producer_epoch)
        task = asyncio.get_running_loop().create_task(self._finish(meta))
        self._completions[transactional_id] = task

    async def _settled(self, transactional_id: str) -> None:
        """Wait for the background steps 3-6 of this id's last EndTxn, if still running."""
        task = self._completions.get(transactional_id)
        if task is not None and not task.done():
            with contextlib.suppress(Exception):
                await asyncio.shield(task)

    async def _finish(self, meta: TransactionMetadata) -> None:
        """Steps 3-6 after EndTxn answered; on failure the timeout loop resumes them."""
        try:
            with _busy(meta):
                await self._write_markers(meta)
        except (TransactionError, OSError, LogError):
            log.exception("completing transaction %s failed; will retry", meta.transactional_id)
        finally:
            if self._completions.get(meta.transactional_id) is asyncio.current_task():
                del self._completions[meta.transactional_id]

    def check_produce(self, producer_id: int, epoch: int, topic: str, partition: int) -> None:
        """A transactional batch needs its partition in the producer's ongoing transaction."""
        meta = self._by_producer.get(producer_id)
        if meta is not None and epoch != meta.producer_epoch:
            msg = f"producer epoch {epoch} is not the current epoch {meta.producer_epoch}"
            raise ProducerStateError(ErrorCode.INVALID_PRODUCER_EPOCH, msg)
        if (
            meta is None
            or meta.state != TransactionState.ONGOING
            or (topic, partition) not in meta.partitions
        ):
            msg = f"{topic}-{partition} is not part of an ongoing transaction of {producer_id}"
            raise ProducerStateError(ErrorCode.INVALID_TXN_STATE, msg)

    def _checked(self, transactional_id: str, producer_id: int, epoch: int) -> TransactionMetadata:
        meta = self._by_id.get(transactional_id)
        if meta is None or meta.producer_id != producer_id:
            msg = f"producer {producer_id} does not belong to {transactional_id!r}"
            raise TransactionError(ErrorCode.INVALID_PRODUCER_ID_MAPPING, msg)
        if epoch != meta.producer_epoch:
            msg = f"producer epoch {epoch} was fenced by epoch {meta.producer_epoch}"
            raise TransactionError(ErrorCode.PRODUCER_FENCED, msg)
        if meta.pending or meta.state.is_prepared:
            msg = f"the previous transaction of {transactional_id!r} is still completing"
            raise TransactionError(ErrorCode.CONCURRENT_TRANSACTIONS, msg)
        return meta

    # ------------------------------------------------------------------ state changes

    async def _begin(self, meta: TransactionMetadata, **changes: Any) -> None:
        """Persist Ongoing with more partitions or groups (a new txn starts its clock)."""
        if meta.state != TransactionState.ONGOING:
            changes.setdefault("partitions", set())
            changes.setdefault("groups", set())
            changes["start_ms"] = now_ms()
        await self._persist(meta, state=TransactionState.ONGOING, **changes)

    async def _persist(self, meta: TransactionMetadata, **changes: Any) -> None:
        """Write the metadata with ``changes`` to ``__transaction_state``, then apply them."""
        changes["updated_ms"] = now_ms()
        key, value = encode_entry(replace(meta, **changes))
        try:
            await self._topic.append([(key, value)])
        except (OSError, LogError) as exc:
            msg = f"cannot write {TRANSACTION_STATE_TOPIC}: {exc}"
            raise TransactionError(ErrorCode.COORDINATOR_NOT_AVAILABLE, msg) from exc
        for name, value_ in changes.items():
            setattr(meta, name, value_)

    async def _complete(self, meta: TransactionMetadata, *, commit: bool, epoch: int) -> None:
        """The commit protocol (module docstring); the caller holds ``_busy(meta)``."""
        await self._prepare(meta, commit=commit, epoch=epoch)  # 1-2
        await self._write_markers(meta)  # 3-6

    async def _prepare(self, meta: TransactionMetadata, *, commit: bool, epoch: int) -> None:
        """Steps 1-2: the data is durable, then the decision is."""
        await self._sync(self._logs(meta.partitions))  # 1
        state = TransactionState.PREPARE_COMMIT if commit else TransactionState.PREPARE_ABORT
        await self._persist(meta, state=state, producer_epoch=epoch)  # 2

    async def _write_markers(self, meta: TransactionMetadata) -> None:
        """Steps 3-6 for a prepared transaction."""
        commit = meta.state == TransactionState.PREPARE_COMMIT
        now = now_ms()
        logs = self._logs(meta.partitions)
        for partition_log in logs:  # 3
            state = self._ctx.txn_state(partition_log)
            header = (meta.producer_id, meta.producer_epoch)
            try:
                append_marker(
                    partition_log,
                    state,
                    header,
                    marker=COMMIT if commit else ABORT,
                    coordinator_epoch=COORDINATOR_EPOCH,
                    now_ms=now,
                )
            except (OSError, LogError) as exc:
                msg = f"cannot write a transaction marker: {exc}"
                raise TransactionError(ErrorCode.COORDINATOR_NOT_AVAILABLE, msg) from exc
            self._ctx.append_waiters.notify(partition_log)
        for group_id in sorted(meta.groups):  # 4
            await self._complete_group(meta, group_id, commit)
        await self._sync(logs)  # 5
        done = TransactionState.COMPLETE_COMMIT if commit else TransactionState.COMPLETE_ABORT
        await self._persist(meta, state=done, partitions=set(), groups=set())  # 6

    async def _complete_group(self, meta: TransactionMetadata, group_id: str, commit: bool) -> None:
        groups: GroupCoordinator | None = getattr(self._ctx, "groups", None)
        if groups is None:
            log.warning("no group coordinator: offsets of group %s not completed", group_id)
            return
        await groups.complete_txn_offsets(
            meta.producer_id, group_id, commit, producer_epoch=meta.producer_epoch
        )

    def _logs(self, partitions: Iterable[tuple[str, int]]) -> list[PartitionLog]:
        """The partition logs that still exist (a deleted topic gets no marker)."""
        found = (self._ctx.topics.partition(topic, index) for topic, index in sorted(partitions))
        return [partition_log for partition_log in found if partition_log is not None]

    async def _sync(self, logs: list[PartitionLog]) -> None:
        try:
            await self._ctx.group_commit.sync_now(logs)
        except OSError as exc:
            msg = f"cannot fsync the transaction's partitions: {exc}"
            raise TransactionError(ErrorCode.COORDINATOR_NOT_AVAILABLE, msg) from exc

    # ------------------------------------------------------------------ timeouts and recovery

    async def _resume(self, meta: TransactionMetadata) -> None:
        """Finish a prepared transaction (after a restart or a failed marker write)."""
        try:
            with _busy(meta):
                await self._write_markers(meta)
        except TransactionError as exc:
            log.warning("transaction %s not completed yet: %s", meta.transactional_id, exc)

    async def _abort_expired(self, meta: TransactionMetadata) -> None:
        """Abort a transaction open past its timeout, fencing its producer (epoch + 1)."""
        try:
            with _busy(meta):
                await self._complete(meta, commit=False, epoch=_bumped(meta.producer_epoch))
        except TransactionError as exc:
            log.warning("timed-out transaction %s not aborted: %s", meta.transactional_id, exc)

    async def check_timeouts(self) -> None:
        """One pass: abort expired transactions, retry prepared ones whose markers failed."""
        now = now_ms()
        for meta in list(self._by_id.values()):
            if meta.pending:
                continue
            if meta.state.is_prepared:
                await self._resume(meta)
            elif meta.state == TransactionState.ONGOING and now - meta.start_ms > meta.timeout_ms:
                await self._abort_expired(meta)

    async def _timeout_loop(self) -> None:
        while True:
            await asyncio.sleep(self.check_interval_ms / 1000)
            try:
                await self.check_timeouts()
            except Exception:  # keep the loop alive whatever one pass hits
                log.exception("transaction timeout check failed")


def _bumped(epoch: int) -> int:
    """The epoch that fences ``epoch`` (it cannot pass Kafka's maximum)."""
    return min(epoch + 1, MAX_EPOCH - 1)
