"""CreateTopics (19), DeleteTopics (20) and CreatePartitions (37) on a single-node broker."""

from __future__ import annotations

import uuid
from collections import Counter

from kaspar.broker.context import BrokerContext
from kaspar.broker.handlers.configs import topic_config_entries
from kaspar.broker.topic_config import InvalidConfigError
from kaspar.broker.topics import TopicError
from kaspar.protocol.errors import ErrorCode
from kaspar.protocol.messages.create_partitions import (
    CreatePartitionsRequest,
    CreatePartitionsResponse,
    CreatePartitionsTopic,
    CreatePartitionsTopicResult,
)
from kaspar.protocol.messages.create_topics import (
    CreatableTopic,
    CreatableTopicConfigs,
    CreatableTopicResult,
    CreateTopicsRequest,
    CreateTopicsResponse,
)
from kaspar.protocol.messages.delete_topics import (
    DeletableTopicResult,
    DeleteTopicsRequest,
    DeleteTopicsResponse,
)

__all__ = ["handle_create_partitions", "handle_create_topics", "handle_delete_topics"]

_NO_ID = uuid.UUID(int=0)


def handle_create_topics(
    ctx: BrokerContext, request: CreateTopicsRequest, version: int
) -> CreateTopicsResponse:
    del version
    counts = Counter(t.name for t in request.topics)
    results = []
    for wanted in request.topics:
        if counts[wanted.name] > 1:
            msg = f"Create topics request from client contains duplicate topic {wanted.name!r}"
            results.append(_failed(wanted.name, ErrorCode.INVALID_REQUEST, msg))
        else:
            results.append(_create(ctx, wanted, validate_only=request.validate_only))
    return CreateTopicsResponse(topics=results)


def _partition_count(ctx: BrokerContext, wanted: CreatableTopic) -> int:
    """Resolve defaults and check replication against the one node there is."""
    if wanted.assignments:
        if wanted.num_partitions != -1 or wanted.replication_factor != -1:
            msg = "Both numPartitions or replicationFactor and replicasAssignments were set."
            raise TopicError(ErrorCode.INVALID_REQUEST, msg)
        for assignment in wanted.assignments:
            if assignment.broker_ids != [ctx.node_id]:
                msg = f"Replica assignment {assignment.broker_ids} names unknown brokers."
                raise TopicError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, msg)
        return len(wanted.assignments)
    replication = wanted.replication_factor
    if replication == -1:
        replication = ctx.config.default_replication_factor
    if replication < 1 or replication > 1:
        msg = f"Replication factor: {replication} larger than available brokers: 1."
        if replication < 1:
            msg = "Replication factor must be larger than 0, or -1 to use the default value."
        raise TopicError(ErrorCode.INVALID_REPLICATION_FACTOR, msg)
    partitions = wanted.num_partitions
    return ctx.config.num_partitions if partitions == -1 else partitions


def _create(
    ctx: BrokerContext, wanted: CreatableTopic, *, validate_only: bool
) -> CreatableTopicResult:
    overrides = {c.name: c.value for c in wanted.configs}
    try:
        count = _partition_count(ctx, wanted)
        if validate_only:
            ctx.topics.check_create(wanted.name, count, overrides)
            topic_id, clean = _NO_ID, {k: v for k, v in overrides.items() if v is not None}
        else:
            topic = ctx.topics.create(wanted.name, count, overrides)
            topic_id, clean = topic.topic_id, topic.overrides
    except TopicError as exc:
        return _failed(wanted.name, exc.error_code, exc.message)
    except InvalidConfigError as exc:
        return _failed(wanted.name, ErrorCode.INVALID_CONFIG, str(exc))
    configs = [
        CreatableTopicConfigs(
            name=e.name,
            value=e.value,
            read_only=e.read_only,
            config_source=e.source,
            is_sensitive=e.is_sensitive,
        )
        for e in topic_config_entries(ctx, clean, None)
    ]
    return CreatableTopicResult(
        name=wanted.name,
        topic_id=topic_id,
        error_code=ErrorCode.NONE,
        num_partitions=count,
        replication_factor=1,
        configs=configs,
    )


def _failed(name: str, code: ErrorCode, message: str) -> CreatableTopicResult:
    return CreatableTopicResult(name=name, error_code=code, error_message=message, configs=None)


def handle_delete_topics(
    ctx: BrokerContext, request: DeleteTopicsRequest, version: int
) -> DeleteTopicsResponse:
    wanted: list[tuple[str | None, uuid.UUID]] = (
        [(t.name, t.topic_id) for t in request.topics]
        if version >= 6
        else [(name, _NO_ID) for name in request.topic_names]
    )
    return DeleteTopicsResponse(responses=[_delete(ctx, name, tid) for name, tid in wanted])


def _delete(ctx: BrokerContext, name: str | None, topic_id: uuid.UUID) -> DeletableTopicResult:
    if name is None:
        topic = ctx.topics.by_id(topic_id)
        if topic is None:
            return DeletableTopicResult(
                name=None, topic_id=topic_id, error_code=ErrorCode.UNKNOWN_TOPIC_ID
            )
        name = topic.name
    if not ctx.config.delete_topic_enable:
        msg = "Topic deletion is disabled (delete.topic.enable=false)."
        return DeletableTopicResult(
            name=name, error_code=ErrorCode.TOPIC_DELETION_DISABLED, error_message=msg
        )
    try:
        topic = ctx.topics.delete(name)
    except TopicError as exc:
        return DeletableTopicResult(name=name, error_code=exc.error_code, error_message=exc.message)
    for log in topic.partitions:
        ctx.append_waiters.notify(log)
        ctx.producer_states.pop(log, None)
    return DeletableTopicResult(name=name, topic_id=topic.topic_id, error_code=ErrorCode.NONE)


def handle_create_partitions(
    ctx: BrokerContext, request: CreatePartitionsRequest, version: int
) -> CreatePartitionsResponse:
    del version
    return CreatePartitionsResponse(
        results=[
            _add(ctx, wanted, validate_only=request.validate_only) for wanted in request.topics
        ]
    )


def _add(
    ctx: BrokerContext, wanted: CreatePartitionsTopic, *, validate_only: bool
) -> CreatePartitionsTopicResult:
    if wanted.assignments is not None and any(
        a.broker_ids != [ctx.node_id] for a in wanted.assignments
    ):
        msg = "Replica assignments may only name this broker."
        return CreatePartitionsTopicResult(
            name=wanted.name, error_code=ErrorCode.INVALID_REPLICA_ASSIGNMENT, error_message=msg
        )
    try:
        ctx.topics.add_partitions(wanted.name, wanted.count, validate_only=validate_only)
    except TopicError as exc:
        return CreatePartitionsTopicResult(
            name=wanted.name, error_code=exc.error_code, error_message=exc.message
        )
    return CreatePartitionsTopicResult(name=wanted.name, error_code=ErrorCode.NONE)
