"""One classic consumer group: its members, generation and rebalance state machine.

States, in Kafka's words::

    Empty --join--> PreparingRebalance --all joined / timeout--> CompletingRebalance
    CompletingRebalance --leader's SyncGroup--> Stable
    Stable / CompletingRebalance --join with new metadata, leave, session expiry--> Preparing...
    PreparingRebalance --no member left--> Empty;  Empty --DeleteGroups--> Dead

A rebalance (``prepare_rebalance`` .. ``complete_join``):

1. Enter PreparingRebalance; pending SyncGroups of the old generation get REBALANCE_IN_PROGRESS.
   Heartbeats answer REBALANCE_IN_PROGRESS, so members send JoinGroup again.
2. Wait until every known member has rejoined, but at least ``group.initial.rebalance.delay.ms``
   for a group that was Empty (each new member extends it), and at most the largest rebalance
   timeout of the members.
3. Remove dynamic members that did not rejoin; if none is left the group becomes Empty.
4. Bump the generation, pick the protocol most members prefer among those all support, keep the
   leader if it rejoined (else the first member), enter CompletingRebalance.
5. Answer every JoinGroup; the leader's answer lists the members and their metadata.
6. The leader's SyncGroup carries the assignments; every member's SyncGroup is answered with its
   own, and the group is Stable.
"""

from __future__ import annotations

import asyncio
import enum
import struct
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TypeVar

from kaspar.protocol.codec import DecodeError, decode
from kaspar.protocol.errors import ErrorCode
from kaspar.protocol.messages.consumer_protocol_assignment import ConsumerProtocolAssignment
from kaspar.protocol.messages.consumer_protocol_subscription import ConsumerProtocolSubscription

__all__ = [
    "Group",
    "GroupState",
    "JoinResult",
    "Member",
    "assigned_partitions",
    "subscribed_topics",
]

Protocols = list[tuple[str, bytes]]
T = TypeVar("T")


class GroupState(enum.StrEnum):
    """The classic group states, spelled as DescribeGroups and ListGroups report them."""

    EMPTY = "Empty"
    PREPARING_REBALANCE = "PreparingRebalance"
    COMPLETING_REBALANCE = "CompletingRebalance"
    STABLE = "Stable"
    DEAD = "Dead"


@dataclass(frozen=True, slots=True)
class JoinResult:
    """What a JoinGroup is answered with once the rebalance completes."""

    error: ErrorCode
    member_id: str = ""
    generation_id: int = -1
    protocol_type: str | None = None
    protocol_name: str | None = None
    leader: str = ""
    members: list[tuple[str, str | None, bytes]] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Member:
    """A group member; ``join``/``sync`` hold the member's unanswered JoinGroup/SyncGroup."""

    member_id: str
    group_instance_id: str | None
    session_timeout_ms: int
    rebalance_timeout_ms: int
    protocol_type: str
    protocols: Protocols
    client_id: str = ""
    client_host: str = ""
    assignment: bytes = b""
    session_deadline: float = 0.0
    join: asyncio.Future[JoinResult] | None = None
    sync: asyncio.Future[tuple[ErrorCode, bytes]] | None = None

    def touch(self, now: float) -> None:
        """A heartbeat (or any group request): the session lasts another session timeout."""
        self.session_deadline = now + self.session_timeout_ms / 1000

    def metadata(self, protocol: str | None) -> bytes:
        return next((data for name, data in self.protocols if name == protocol), b"")

    def answer_join(self, result: JoinResult) -> None:
        if self.join is not None and not self.join.done():
            self.join.set_result(result)
        self.join = None

    def answer_sync(self, error: ErrorCode, assignment: bytes = b"") -> None:
        if self.sync is not None and not self.sync.done():
            self.sync.set_result((error, assignment))
        self.sync = None


class Group:
    """The state machine of one group (steps in the module docstring)."""

    def __init__(self, group_id: str, initial_delay_ms: int) -> None:
        self.group_id = group_id
        self.initial_delay_ms = initial_delay_ms
        self.state = GroupState.EMPTY
        self.generation_id = 0
        self.protocol_type: str | None = None
        self.protocol_name: str | None = None
        self.leader_id: str | None = None
        self.members: dict[str, Member] = {}
        self.static_members: dict[str, str] = {}
        self.pending_members: dict[str, float] = {}
        self.state_timestamp = int(time.time() * 1000)
        self._join_not_before = 0.0
        self._join_deadline = 0.0

    # -- membership ---------------------------------------------------------------------------
    def add_member(self, member: Member) -> None:
        if not self.members:
            self.protocol_type = member.protocol_type
        self.members[member.member_id] = member
        self.pending_members.pop(member.member_id, None)
        if member.group_instance_id is not None:
            self.static_members[member.group_instance_id] = member.member_id
        if self.leader_id is None:
            self.leader_id = member.member_id
        if (
            self.state is GroupState.PREPARING_REBALANCE
            and time.monotonic() < self._join_not_before
        ):
            self._extend_initial_delay()

    def remove_member(self, member_id: str) -> None:
        """Drop a member; its unanswered requests get UNKNOWN_MEMBER_ID."""
        member = self.members.pop(member_id, None)
        if member is None:
            return
        member.answer_join(JoinResult(ErrorCode.UNKNOWN_MEMBER_ID, member_id))
        member.answer_sync(ErrorCode.UNKNOWN_MEMBER_ID)
        instance = member.group_instance_id
        if instance is not None and self.static_members.get(instance) == member_id:
            del self.static_members[instance]
        if self.leader_id == member_id:
            self.leader_id = next(iter(self.members), None)

    def replace_static_member(self, old: Member, new_member_id: str) -> Member:
        """A static member rejoined with a new member id: fence the old id, keep its place."""
        old.answer_join(JoinResult(ErrorCode.FENCED_INSTANCE_ID, old.member_id))
        old.answer_sync(ErrorCode.FENCED_INSTANCE_ID)
        del self.members[old.member_id]
        old.member_id = new_member_id
        self.members[new_member_id] = old
        if old.group_instance_id is not None:
            self.static_members[old.group_instance_id] = new_member_id
        if self.leader_id not in self.members:
            self.leader_id = new_member_id
        return old

    def member_by_instance(self, group_instance_id: str | None) -> Member | None:
        if group_instance_id is None:
            return None
        member_id = self.static_members.get(group_instance_id)
        return None if member_id is None else self.members.get(member_id)

    def is_fenced(self, member_id: str, group_instance_id: str | None) -> bool:
        """A static member whose id was taken over by a newer instance (FENCED_INSTANCE_ID)."""
        if group_instance_id is None:
            return False
        current = self.static_members.get(group_instance_id)
        return current is not None and current != member_id

    # -- protocols ----------------------------------------------------------------------------
    def supports(self, protocol_type: str, protocols: Protocols) -> bool:
        """May a member with these protocols join (else INCONSISTENT_GROUP_PROTOCOL)?"""
        if not self.members:
            return bool(protocol_type) and bool(protocols)
        names = {name for name, _ in protocols}
        return protocol_type == self.protocol_type and bool(names & self.candidate_protocols())

    def candidate_protocols(self) -> set[str]:
        sets = [{name for name, _ in m.protocols} for m in self.members.values()]
        return set.intersection(*sets) if sets else set()

    def select_protocol(self) -> str | None:
        """Each member votes for its preferred protocol among those every member supports."""
        candidates = self.candidate_protocols()
        votes: Counter[str] = Counter()
        for member in self.members.values():
            vote = next((name for name, _ in member.protocols if name in candidates), None)
            if vote is not None:
                votes[vote] += 1
        return votes.most_common(1)[0][0] if votes else None

    # -- rebalance ----------------------------------------------------------------------------
    def prepare_rebalance(self) -> None:
        """Step 1 of a rebalance (module docstring)."""
        if self.state is GroupState.COMPLETING_REBALANCE:
            for member in self.members.values():
                member.answer_sync(ErrorCode.REBALANCE_IN_PROGRESS)
        now = time.monotonic()
        was_empty = self.state is GroupState.EMPTY
        timeouts = [m.rebalance_timeout_ms for m in self.members.values()] or [0]
        self._join_deadline = now + max(timeouts) / 1000
        self._join_not_before = now + self.initial_delay_ms / 1000 if was_empty else now
        self._set_state(GroupState.PREPARING_REBALANCE)

    def _extend_initial_delay(self) -> None:
        extended = time.monotonic() + self.initial_delay_ms / 1000
        self._join_not_before = min(extended, self._join_deadline)

    def all_joined(self) -> bool:
        return not self.pending_members and all(
            member.join is not None for member in self.members.values()
        )

    def join_ready(self, now: float) -> bool:
        """Step 2: may the rebalance complete now?"""
        if self.state is not GroupState.PREPARING_REBALANCE:
            return False
        if now >= self._join_deadline:
            return True
        return now >= self._join_not_before and self.all_joined()

    def complete_join(self) -> None:
        """Steps 3-5 of a rebalance (module docstring)."""
        for member in list(self.members.values()):
            if member.join is None and member.group_instance_id is None:
                self.remove_member(member.member_id)
        self.generation_id += 1
        if not self.members:
            self.protocol_name = None
            self._set_state(GroupState.EMPTY)
            return
        self.protocol_name = self.select_protocol()
        if self.leader_id not in self.members or self.members[self.leader_id].join is None:
            joined = [m.member_id for m in self.members.values() if m.join is not None]
            self.leader_id = joined[0] if joined else next(iter(self.members))
        self._set_state(GroupState.COMPLETING_REBALANCE)
        now = time.monotonic()
        for member in self.members.values():
            member.touch(now)
            member.answer_join(self.join_result(member, leader_view=True))

    def join_result(self, member: Member, *, leader_view: bool) -> JoinResult:
        """The JoinGroup answer for ``member`` in the current generation."""
        members = []
        if leader_view and member.member_id == self.leader_id:
            members = [
                (m.member_id, m.group_instance_id, m.metadata(self.protocol_name))
                for m in self.members.values()
            ]
        return JoinResult(
            error=ErrorCode.NONE,
            member_id=member.member_id,
            generation_id=self.generation_id,
            protocol_type=self.protocol_type,
            protocol_name=self.protocol_name,
            leader=self.leader_id or "",
            members=members,
        )

    def complete_sync(self, assignments: dict[str, bytes]) -> None:
        """Step 6: the leader's assignments reach every member; the group is Stable."""
        for member in self.members.values():
            member.assignment = assignments.get(member.member_id, b"")
        self._set_state(GroupState.STABLE)
        for member in self.members.values():
            member.answer_sync(ErrorCode.NONE, member.assignment)

    def expired_members(self, now: float) -> list[str]:
        """Members (and MEMBER_ID_REQUIRED ids) whose session ran out while not waiting on us."""
        expired = [
            m.member_id
            for m in self.members.values()
            if m.join is None and m.sync is None and now >= m.session_deadline
        ]
        expired += [mid for mid, deadline in self.pending_members.items() if now >= deadline]
        return expired

    def _set_state(self, state: GroupState) -> None:
        self.state = state
        self.state_timestamp = int(time.time() * 1000)


def _decode_embedded(cls: type[T], data: bytes) -> T | None:
    """Decode a consumer protocol blob: int16 version, then the struct (newer versions clamp)."""
    if len(data) < 2:
        return None
    (version,) = struct.unpack_from(">h", data)
    try:
        return decode(cls, min(max(version, 0), 3), data, 2)[0]
    except (DecodeError, ValueError):
        return None


def subscribed_topics(member: Member, protocol: str | None) -> set[str]:
    """The topics a consumer-protocol member subscribes to."""
    subscription = _decode_embedded(ConsumerProtocolSubscription, member.metadata(protocol))
    return set(subscription.topics) if subscription else set()


def assigned_partitions(assignment: bytes) -> list[tuple[str, int]]:
    """The partitions in a consumer-protocol assignment."""
    decoded = _decode_embedded(ConsumerProtocolAssignment, assignment)
    if decoded is None:
        return []
    return [(tp.topic, p) for tp in decoded.assigned_partitions for p in tp.partitions]
