"""Committed offsets of groups: OffsetCommit (8), OffsetFetch (9) and OffsetDelete (47).

OffsetCommit:

1. Check the committer (``GroupCoordinator.validate_commit``): a member of the current
   generation, or a "simple" commit (generation -1) to a group without members. On error every
   partition gets it.
2. Partitions that do not exist get UNKNOWN_TOPIC_OR_PARTITION, metadata over 4096 bytes
   OFFSET_METADATA_TOO_LARGE; the others are written to ``__consumer_offsets``.
3. Answer once the write is fsynced.
"""

from __future__ import annotations

from collections.abc import Awaitable

from kaspar.broker.context import BrokerContext, now_ms
from kaspar.broker.coordinator.group import GroupState, subscribed_topics
from kaspar.broker.coordinator.offsets import OffsetAndMetadata, TopicPartition
from kaspar.protocol.errors import ErrorCode
from kaspar.protocol.messages.offset_commit import (
    OffsetCommitRequest,
    OffsetCommitResponse,
    OffsetCommitResponsePartition,
    OffsetCommitResponseTopic,
)
from kaspar.protocol.messages.offset_delete import (
    OffsetDeleteRequest,
    OffsetDeleteResponse,
    OffsetDeleteResponsePartition,
    OffsetDeleteResponseTopic,
)
from kaspar.protocol.messages.offset_fetch import (
    OffsetFetchRequest,
    OffsetFetchRequestGroup,
    OffsetFetchResponse,
    OffsetFetchResponseGroup,
    OffsetFetchResponsePartition,
    OffsetFetchResponsePartitions,
    OffsetFetchResponseTopic,
    OffsetFetchResponseTopics,
)

__all__ = ["handle_offset_commit", "handle_offset_delete", "handle_offset_fetch"]

MAX_METADATA_BYTES = 4096
MULTI_GROUP_VERSION = 8
Errors = dict[TopicPartition, ErrorCode]


def handle_offset_commit(
    ctx: BrokerContext, request: OffsetCommitRequest, version: int
) -> Awaitable[OffsetCommitResponse] | OffsetCommitResponse:
    """Steps in the module docstring."""
    del version
    tps = [(t.name, p.partition_index) for t in request.topics for p in t.partitions]
    error = ctx.groups.validate_commit(  # step 1
        request.group_id,
        request.generation_id_or_member_epoch,
        request.member_id,
        request.group_instance_id,
    )
    if error is not ErrorCode.NONE:
        return _commit_response(dict.fromkeys(tps, error))
    ctx.groups.group(request.group_id)
    errors: Errors = {}
    offsets: dict[TopicPartition, OffsetAndMetadata] = {}
    timestamp = now_ms()
    for topic in request.topics:  # step 2
        for p in topic.partitions:
            tp = (topic.name, p.partition_index)
            metadata = p.committed_metadata or ""
            if not ctx.groups.known_partition(tp):
                errors[tp] = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            elif len(metadata.encode()) > MAX_METADATA_BYTES:
                errors[tp] = ErrorCode.OFFSET_METADATA_TOO_LARGE
            else:
                errors[tp] = ErrorCode.NONE
                offsets[tp] = OffsetAndMetadata(
                    p.committed_offset, p.committed_leader_epoch, metadata, timestamp
                )
    return _commit_later(ctx, request.group_id, offsets, errors)


async def _commit_later(
    ctx: BrokerContext,
    group_id: str,
    offsets: dict[TopicPartition, OffsetAndMetadata],
    errors: Errors,
) -> OffsetCommitResponse:
    await ctx.groups.offsets.commit(group_id, offsets)  # step 3
    return _commit_response(errors)


def _commit_response(errors: Errors) -> OffsetCommitResponse:
    topics: dict[str, list[OffsetCommitResponsePartition]] = {}
    for (topic, partition), error in errors.items():
        topics.setdefault(topic, []).append(
            OffsetCommitResponsePartition(partition_index=partition, error_code=error)
        )
    return OffsetCommitResponse(
        topics=[OffsetCommitResponseTopic(name=n, partitions=ps) for n, ps in topics.items()]
    )


def handle_offset_fetch(
    ctx: BrokerContext, request: OffsetFetchRequest, version: int
) -> OffsetFetchResponse:
    """Committed offsets of the asked partitions (all committed ones for null topics); -1 for
    partitions without a commit. v8+ asks for several groups at once."""
    stable = request.require_stable
    if version < MULTI_GROUP_VERSION:
        wanted = None
        if request.topics is not None:
            wanted = [(t.name, p) for t in request.topics for p in t.partition_indexes]
        fetched = _fetch(ctx, request.group_id, wanted, stable)
        topics: dict[str, list[OffsetFetchResponsePartition]] = {}
        for (name, partition), (offset, epoch, metadata, error) in fetched.items():
            topics.setdefault(name, []).append(
                OffsetFetchResponsePartition(
                    partition_index=partition,
                    committed_offset=offset,
                    committed_leader_epoch=epoch,
                    metadata=metadata,
                    error_code=error,
                )
            )
        return OffsetFetchResponse(
            topics=[OffsetFetchResponseTopic(name=n, partitions=ps) for n, ps in topics.items()],
            error_code=ErrorCode.NONE,
        )
    return OffsetFetchResponse(groups=[_fetch_group(ctx, g, stable) for g in request.groups])


def _fetch_group(
    ctx: BrokerContext, group: OffsetFetchRequestGroup, stable: bool
) -> OffsetFetchResponseGroup:
    group_id = group.group_id
    wanted = None
    if group.topics is not None:
        wanted = [(t.name, p) for t in group.topics for p in t.partition_indexes]
    topics: dict[str, list[OffsetFetchResponsePartitions]] = {}
    for (name, partition), (offset, epoch, metadata, error) in _fetch(
        ctx, group_id, wanted, stable
    ).items():
        topics.setdefault(name, []).append(
            OffsetFetchResponsePartitions(
                partition_index=partition,
                committed_offset=offset,
                committed_leader_epoch=epoch,
                metadata=metadata,
                error_code=error,
            )
        )
    return OffsetFetchResponseGroup(
        group_id=group_id,
        topics=[OffsetFetchResponseTopics(name=n, partitions=ps) for n, ps in topics.items()],
        error_code=ErrorCode.NONE,
    )


def _fetch(
    ctx: BrokerContext, group_id: str, wanted: list[TopicPartition] | None, stable: bool
) -> dict[TopicPartition, tuple[int, int, str, ErrorCode]]:
    store = ctx.groups.offsets
    if wanted is None:
        wanted = sorted(store.committed(group_id))
    fetched = {}
    for tp in wanted:
        if stable and store.has_pending(group_id, tp):
            fetched[tp] = (-1, -1, "", ErrorCode.UNSTABLE_OFFSET_COMMIT)
            continue
        committed = store.get(group_id, tp)
        if committed is None:
            fetched[tp] = (-1, -1, "", ErrorCode.NONE)
        else:
            value = (committed.offset, committed.leader_epoch, committed.metadata, ErrorCode.NONE)
            fetched[tp] = value
    return fetched


def handle_offset_delete(
    ctx: BrokerContext, request: OffsetDeleteRequest, version: int
) -> Awaitable[OffsetDeleteResponse] | OffsetDeleteResponse:
    """Delete committed offsets of topics the group does not consume at the moment."""
    del version
    group = ctx.groups.groups.get(request.group_id)
    if group is None:
        return OffsetDeleteResponse(error_code=ErrorCode.GROUP_ID_NOT_FOUND)
    active = group.state is not GroupState.EMPTY
    if active and group.protocol_type != "consumer":
        return OffsetDeleteResponse(error_code=ErrorCode.NON_EMPTY_GROUP)
    subscribed: set[str] = set()
    if active:
        for member in group.members.values():
            subscribed |= subscribed_topics(member, group.protocol_name)
    errors: Errors = {}
    for topic in request.topics:
        for p in topic.partitions:
            tp = (topic.name, p.partition_index)
            if topic.name in subscribed:
                errors[tp] = ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC
            elif not ctx.groups.known_partition(tp):
                errors[tp] = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            else:
                errors[tp] = ErrorCode.NONE
    return _delete_later(ctx, request.group_id, errors)


async def _delete_later(ctx: BrokerContext, group_id: str, errors: Errors) -> OffsetDeleteResponse:
    deletable = [tp for tp, error in errors.items() if error is ErrorCode.NONE]
    await ctx.groups.offsets.delete(group_id, deletable)
    topics: dict[str, list[OffsetDeleteResponsePartition]] = {}
    for (name, partition), error in errors.items():
        topics.setdefault(name, []).append(
            OffsetDeleteResponsePartition(partition_index=partition, error_code=error)
        )
    return OffsetDeleteResponse(
        error_code=ErrorCode.NONE,
        topics=[OffsetDeleteResponseTopic(name=n, partitions=ps) for n, ps in topics.items()],
    )
