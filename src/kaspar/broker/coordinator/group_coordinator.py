"""The group coordinator of this node: every classic consumer group and its committed offsets.

JoinGroup (``join``), as Kafka's GroupCoordinator handles it:

1. Reject an empty group id (INVALID_GROUP_ID) and a session timeout outside
   ``group.min.session.timeout.ms``..``group.max.session.timeout.ms`` (INVALID_SESSION_TIMEOUT).
2. Find the group; a member id for a group that does not exist is UNKNOWN_MEMBER_ID.
3. The member's protocol type and protocols must fit the group (INCONSISTENT_GROUP_PROTOCOL).
4. A member without an id: a static member (``group.instance.id``) takes over its instance's
   place, fencing the old member id; a dynamic one on JoinGroup v4+ gets MEMBER_ID_REQUIRED with
   a fresh id to join with; older versions join at once.
5. A member with an id: fenced static ids get FENCED_INSTANCE_ID, unknown ids UNKNOWN_MEMBER_ID.
   A member whose metadata did not change (and is not the leader) gets the current generation
   at once; otherwise it waits for the rebalance it starts or joins (see ``group.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
import uuid
from collections.abc import Awaitable, Mapping

from kaspar.broker.context import REQUEST_CLIENT, BrokerContext, now_ms
from kaspar.broker.coordinator.group import Group, GroupState, JoinResult, Member
from kaspar.broker.coordinator.offsets import OffsetAndMetadata, OffsetStore, TopicPartition
from kaspar.protocol.errors import ErrorCode
from kaspar.protocol.internal_records.group_metadata_value import (
    GroupMetadataValue,
    MemberMetadata,
)
from kaspar.protocol.messages.join_group import JoinGroupRequest
from kaspar.protocol.messages.sync_group import SyncGroupRequest

__all__ = ["MAX_SESSION_TIMEOUT_MS", "MIN_SESSION_TIMEOUT_MS", "GroupCoordinator"]

log = logging.getLogger(__name__)

MIN_SESSION_TIMEOUT_MS = 6000
MAX_SESSION_TIMEOUT_MS = 1_800_000
TICK_S = 0.1
REQUIRE_KNOWN_MEMBER_ID_VERSION = 4
SyncAnswer = tuple[ErrorCode, bytes]


class GroupCoordinator:
    """Groups by id, the offset store and the session-expiry task."""

    def __init__(self, ctx: BrokerContext) -> None:
        self._ctx = ctx
        self.offsets = OffsetStore(ctx)
        self.groups: dict[str, Group] = {}
        self._ticker: asyncio.Task[None] | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        """Replay ``__consumer_offsets`` and start expiring sessions and rebalances."""
        for group_id, value in self.offsets.replay().items():
            self.groups[group_id] = self._restore(group_id, value)
        for group_id in self.offsets.groups():
            self.group(group_id)
        self._ticker = asyncio.get_running_loop().create_task(self._tick_loop())

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        await self.offsets.close()

    def group(self, group_id: str) -> Group:
        """The group, created Empty if it does not exist."""
        group = self.groups.get(group_id)
        if group is None:
            delay = self._ctx.config.group_initial_rebalance_delay_ms
            group = self.groups[group_id] = Group(group_id, delay)
        return group

    # -- JoinGroup ----------------------------------------------------------------------------
    def join(self, request: JoinGroupRequest, version: int) -> JoinResult | Awaitable[JoinResult]:
        """Steps in the module docstring."""
        if not request.group_id:  # step 1
            return JoinResult(ErrorCode.INVALID_GROUP_ID, request.member_id)
        timeout = request.session_timeout_ms
        if not MIN_SESSION_TIMEOUT_MS <= timeout <= MAX_SESSION_TIMEOUT_MS:
            return JoinResult(ErrorCode.INVALID_SESSION_TIMEOUT, request.member_id)
        group = self.groups.get(request.group_id)  # step 2
        if group is None and request.member_id:
            return JoinResult(ErrorCode.UNKNOWN_MEMBER_ID, request.member_id)
        group = self.group(request.group_id)
        protocols = [(p.name, p.metadata) for p in request.protocols]
        if not group.supports(request.protocol_type, protocols):  # step 3
            return JoinResult(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, request.member_id)
        if not request.member_id:  # step 4
            return self._join_new(group, request, version)
        return self._join_known(group, request)  # step 5

    def _join_new(
        self, group: Group, request: JoinGroupRequest, version: int
    ) -> JoinResult | Awaitable[JoinResult]:
        prefix = request.group_instance_id or request.protocol_type or "member"
        member_id = f"{prefix}-{uuid.uuid4()}"
        old = group.member_by_instance(request.group_instance_id)
        if old is not None:
            return self._replace_static(group, old, member_id, request)
        if request.group_instance_id is None and version >= REQUIRE_KNOWN_MEMBER_ID_VERSION:
            deadline = time.monotonic() + request.session_timeout_ms / 1000
            group.pending_members[member_id] = deadline
            return JoinResult(ErrorCode.MEMBER_ID_REQUIRED, member_id)
        return self._add_and_wait(group, member_id, request)

    def _join_known(
        self, group: Group, request: JoinGroupRequest
    ) -> JoinResult | Awaitable[JoinResult]:
        member_id = request.member_id
        if group.is_fenced(member_id, request.group_instance_id):
            return JoinResult(ErrorCode.FENCED_INSTANCE_ID, member_id)
        if member_id in group.pending_members:
            return self._add_and_wait(group, member_id, request)
        member = group.members.get(member_id)
        if member is None or group.state in (GroupState.EMPTY, GroupState.DEAD):
            return JoinResult(ErrorCode.UNKNOWN_MEMBER_ID, member_id)
        protocols = [(p.name, p.metadata) for p in request.protocols]
        unchanged = member.protocols == protocols
        if group.state is GroupState.COMPLETING_REBALANCE and unchanged:
            return group.join_result(member, leader_view=True)
        is_leader = group.leader_id == member_id
        if group.state is GroupState.STABLE and unchanged and not is_leader:
            return group.join_result(member, leader_view=False)
        _update_member(member, request)
        return self._wait_for_join(group, member)

    def _add_and_wait(
        self, group: Group, member_id: str, request: JoinGroupRequest
    ) -> Awaitable[JoinResult]:
        member = Member(
            member_id=member_id,
            group_instance_id=request.group_instance_id,
            session_timeout_ms=request.session_timeout_ms,
            rebalance_timeout_ms=_rebalance_timeout(request),
            protocol_type=request.protocol_type,
            protocols=[(p.name, p.metadata) for p in request.protocols],
            client_id=REQUEST_CLIENT.get().client_id,
            client_host=REQUEST_CLIENT.get().host,
        )
        group.add_member(member)
        return self._wait_for_join(group, member)

    def _replace_static(
        self, group: Group, old: Member, member_id: str, request: JoinGroupRequest
    ) -> JoinResult | Awaitable[JoinResult]:
        leader = group.leader_id or ""
        member = group.replace_static_member(old, member_id)
        unchanged = member.protocols == [(p.name, p.metadata) for p in request.protocols]
        _update_member(member, request)
        if group.state is GroupState.STABLE and unchanged:
            # Kafka answers with the old leader id so that no member re-assigns.
            member.touch(time.monotonic())
            self._store(group)
            result = group.join_result(member, leader_view=False)
            return dataclasses.replace(result, leader=leader)
        return self._wait_for_join(group, member)

    def _wait_for_join(self, group: Group, member: Member) -> Awaitable[JoinResult]:
        if member.join is None or member.join.done():
            member.join = asyncio.get_running_loop().create_future()
        future = member.join
        if group.state is not GroupState.PREPARING_REBALANCE:
            group.prepare_rebalance()
        self._maybe_complete_join(group)
        return future

    def _maybe_complete_join(self, group: Group) -> None:
        if group.join_ready(time.monotonic()):
            group.complete_join()
            if group.state is GroupState.EMPTY:
                self._store(group)

    # -- SyncGroup, Heartbeat, LeaveGroup -----------------------------------------------------
    def sync(self, request: SyncGroupRequest) -> SyncAnswer | Awaitable[SyncAnswer]:
        """Answer at once, or when the leader's SyncGroup brings the assignments."""
        group = self.groups.get(request.group_id)
        error = self._check_member(
            group, request.member_id, request.group_instance_id, request.generation_id
        )
        if error is not ErrorCode.NONE or group is None:
            return error, b""
        if request.protocol_type is not None and request.protocol_type != group.protocol_type:
            return ErrorCode.INCONSISTENT_GROUP_PROTOCOL, b""
        if request.protocol_name is not None and request.protocol_name != group.protocol_name:
            return ErrorCode.INCONSISTENT_GROUP_PROTOCOL, b""
        member = group.members[request.member_id]
        member.touch(time.monotonic())
        if group.state is GroupState.PREPARING_REBALANCE:
            return ErrorCode.REBALANCE_IN_PROGRESS, b""
        if group.state is GroupState.STABLE:
            return ErrorCode.NONE, member.assignment
        member.sync = future = asyncio.get_running_loop().create_future()
        if request.member_id == group.leader_id:
            group.complete_sync({a.member_id: a.assignment for a in request.assignments})
            self._store(group)
        return future

    def heartbeat(
        self, group_id: str, member_id: str, group_instance_id: str | None, generation_id: int
    ) -> ErrorCode:
        group = self.groups.get(group_id)
        error = self._check_member(group, member_id, group_instance_id, generation_id)
        if error is not ErrorCode.NONE or group is None:
            return error
        group.members[member_id].touch(time.monotonic())
        if group.state is GroupState.PREPARING_REBALANCE:
            return ErrorCode.REBALANCE_IN_PROGRESS
        return ErrorCode.NONE

    def leave(self, group_id: str, members: list[tuple[str, str | None]]) -> list[ErrorCode]:
        """Remove members (member id, group instance id); one error per member."""
        group = self.groups.get(group_id)
        errors = []
        for member_id, instance_id in members:
            if group is None:
                errors.append(ErrorCode.UNKNOWN_MEMBER_ID)
                continue
            leaving = member_id
            by_instance = group.member_by_instance(instance_id)
            if by_instance is not None:
                if member_id and member_id != by_instance.member_id:
                    errors.append(ErrorCode.FENCED_INSTANCE_ID)
                    continue
                leaving = by_instance.member_id
            if leaving not in group.members:
                errors.append(ErrorCode.UNKNOWN_MEMBER_ID)
                continue
            self._remove(group, leaving)
            errors.append(ErrorCode.NONE)
        return errors

    def _check_member(
        self, group: Group | None, member_id: str, instance_id: str | None, generation: int
    ) -> ErrorCode:
        if group is None or group.state is GroupState.DEAD:
            return ErrorCode.UNKNOWN_MEMBER_ID
        if group.is_fenced(member_id, instance_id):
            return ErrorCode.FENCED_INSTANCE_ID
        if member_id not in group.members or group.state is GroupState.EMPTY:
            return ErrorCode.UNKNOWN_MEMBER_ID
        if generation != group.generation_id:
            return ErrorCode.ILLEGAL_GENERATION
        return ErrorCode.NONE

    def _remove(self, group: Group, member_id: str) -> None:
        """Remove a member; a group that was (being) assigned rebalances without it."""
        group.remove_member(member_id)
        if group.state in (GroupState.STABLE, GroupState.COMPLETING_REBALANCE):
            group.prepare_rebalance()
        self._maybe_complete_join(group)

    async def _tick_loop(self) -> None:
        """Expire sessions and complete rebalances whose delay or timeout has passed."""
        while True:
            await asyncio.sleep(TICK_S)
            now = time.monotonic()
            for group in list(self.groups.values()):
                for member_id in group.expired_members(now):
                    if group.pending_members.pop(member_id, None) is None:
                        log.info("group %s: member %s session expired", group.group_id, member_id)
                        self._remove(group, member_id)
                self._maybe_complete_join(group)

    # -- offsets ------------------------------------------------------------------------------
    def validate_commit(
        self, group_id: str, generation: int, member_id: str, instance_id: str | None
    ) -> ErrorCode:
        """May this OffsetCommit (or TxnOffsetCommit v3+) write offsets for the group?

        Generation -1 with no member is a "simple" commit, allowed only while the group has no
        members. Group members commit with their generation, except while the group waits for
        the leader's assignments (REBALANCE_IN_PROGRESS).
        """
        group = self.groups.get(group_id)
        if group is None:
            return ErrorCode.NONE if generation < 0 else ErrorCode.ILLEGAL_GENERATION
        if group.is_fenced(member_id, instance_id):
            return ErrorCode.FENCED_INSTANCE_ID
        if generation < 0 and group.state is GroupState.EMPTY:
            return ErrorCode.NONE
        if member_id not in group.members:
            return ErrorCode.UNKNOWN_MEMBER_ID
        if generation != group.generation_id:
            return ErrorCode.ILLEGAL_GENERATION
        if group.state is GroupState.COMPLETING_REBALANCE:
            return ErrorCode.REBALANCE_IN_PROGRESS
        group.members[member_id].touch(time.monotonic())
        return ErrorCode.NONE

    def known_partition(self, tp: TopicPartition) -> bool:
        return self._ctx.topics.partition(tp[0], tp[1]) is not None

    async def stage_txn_offsets(
        self,
        producer_id: int,
        group_id: str,
        offsets: Mapping[TopicPartition, OffsetAndMetadata],
        *,
        producer_epoch: int = -1,
    ) -> dict[TopicPartition, ErrorCode]:
        """Write a transaction's offsets (TxnOffsetCommit), invisible until it commits.

        ``offsets`` maps (topic, partition) to the offset to commit. Returns an error per
        partition: UNKNOWN_TOPIC_OR_PARTITION for partitions that do not exist (not staged),
        NONE for the others, which are written durably (fsynced) before this returns. The
        group is created (Empty) if it does not exist. Call ``complete_txn_offsets`` when the
        transaction ends.
        """
        self.group(group_id)
        errors = dict.fromkeys(offsets, ErrorCode.NONE)
        staged = {}
        for tp, value in offsets.items():
            if self.known_partition(tp):
                staged[tp] = value
            else:
                errors[tp] = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        await self.offsets.stage(producer_id, producer_epoch, group_id, staged)
        return errors

    async def complete_txn_offsets(
        self, producer_id: int, group_id: str, commit: bool, *, producer_epoch: int = -1
    ) -> None:
        """End a transaction's offsets for one group: commit makes them the group's committed
        offsets, abort drops them. Writes a commit/abort marker to ``__consumer_offsets`` and
        returns after its fsync; a no-op if nothing is staged. Idempotent, so a transaction
        coordinator recovering after a crash may call it again.
        """
        await self.offsets.complete(producer_id, producer_epoch, group_id, commit=commit)

    # -- persistence --------------------------------------------------------------------------
    def _store(self, group: Group) -> None:
        members = [
            MemberMetadata(
                member_id=m.member_id,
                group_instance_id=m.group_instance_id,
                client_id=m.client_id,
                client_host=m.client_host,
                rebalance_timeout=m.rebalance_timeout_ms,
                session_timeout=m.session_timeout_ms,
                subscription=m.metadata(group.protocol_name),
                assignment=m.assignment,
            )
            for m in group.members.values()
        ]
        value = GroupMetadataValue(
            protocol_type=group.protocol_type or "",
            generation=group.generation_id,
            protocol=group.protocol_name,
            leader=group.leader_id,
            current_state_timestamp=now_ms(),
            members=members,
        )
        self.offsets.store_group(group.group_id, value)

    def _restore(self, group_id: str, value: GroupMetadataValue) -> Group:
        group = Group(group_id, self._ctx.config.group_initial_rebalance_delay_ms)
        group.generation_id = value.generation
        group.protocol_type = value.protocol_type or None
        group.protocol_name = value.protocol
        now = time.monotonic()
        for m in value.members:
            member = Member(
                member_id=m.member_id,
                group_instance_id=m.group_instance_id,
                session_timeout_ms=m.session_timeout,
                rebalance_timeout_ms=m.rebalance_timeout,
                protocol_type=value.protocol_type,
                protocols=[(value.protocol or "", m.subscription)],
                client_id=m.client_id,
                client_host=m.client_host,
                assignment=m.assignment,
            )
            member.touch(now)
            group.add_member(member)
        group.leader_id = value.leader if value.leader in group.members else group.leader_id
        group.state = GroupState.STABLE if group.members else GroupState.EMPTY
        return group


def _rebalance_timeout(request: JoinGroupRequest) -> int:
    """JoinGroup v0 has no rebalance timeout: Kafka uses the session timeout."""
    if request.rebalance_timeout_ms > 0:
        return request.rebalance_timeout_ms
    return request.session_timeout_ms


def _update_member(member: Member, request: JoinGroupRequest) -> None:
    client = REQUEST_CLIENT.get()
    member.client_id, member.client_host = client.client_id, client.host
    member.protocols = [(p.name, p.metadata) for p in request.protocols]
    member.session_timeout_ms = request.session_timeout_ms
    member.rebalance_timeout_ms = _rebalance_timeout(request)
