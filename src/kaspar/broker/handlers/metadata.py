"""Metadata (key 3) and DescribeCluster (key 60): a single node that leads every partition."""

from __future__ import annotations

import uuid

from kaspar.broker.context import BrokerContext
from kaspar.broker.topics import Topic, TopicError, validate_topic_name
from kaspar.protocol.errors import ErrorCode
from kaspar.protocol.messages.describe_cluster import (
    DescribeClusterBroker,
    DescribeClusterRequest,
    DescribeClusterResponse,
)
from kaspar.protocol.messages.metadata import (
    MetadataRequest,
    MetadataRequestTopic,
    MetadataResponse,
    MetadataResponseBroker,
    MetadataResponsePartition,
    MetadataResponseTopic,
)

__all__ = ["handle_describe_cluster", "handle_metadata"]

_NO_ID = uuid.UUID(int=0)
AUTO_CREATE_FROM_VERSION = 4  # before v4 metadata requests always allow auto-creation


def handle_metadata(ctx: BrokerContext, request: MetadataRequest, version: int) -> MetadataResponse:
    if request.topics is None or (version == 0 and not request.topics):
        topics = [_describe(ctx, t) for t in ctx.topics]
    else:
        allow_create = version < AUTO_CREATE_FROM_VERSION or request.allow_auto_topic_creation
        topics = [_lookup(ctx, wanted, allow_create=allow_create) for wanted in request.topics]
    broker = MetadataResponseBroker(node_id=ctx.node_id, host=ctx.host, port=ctx.port, rack=None)
    return MetadataResponse(
        brokers=[broker],
        cluster_id=ctx.cluster_id,
        controller_id=ctx.node_id,
        topics=topics,
    )


def _lookup(
    ctx: BrokerContext, wanted: MetadataRequestTopic, *, allow_create: bool
) -> MetadataResponseTopic:
    if wanted.name is None:
        topic = ctx.topics.by_id(wanted.topic_id)
        if topic is None:
            return MetadataResponseTopic(
                error_code=ErrorCode.UNKNOWN_TOPIC_ID, name=None, topic_id=wanted.topic_id
            )
        return _describe(ctx, topic)
    try:
        validate_topic_name(wanted.name)
    except TopicError as exc:
        return MetadataResponseTopic(error_code=exc.error_code, name=wanted.name)
    topic = ctx.topics.get(wanted.name)
    if topic is None and allow_create:
        topic = ctx.auto_create(wanted.name)
    if topic is None:
        return MetadataResponseTopic(
            error_code=ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name=wanted.name, topic_id=_NO_ID
        )
    return _describe(ctx, topic)


def _describe(ctx: BrokerContext, topic: Topic) -> MetadataResponseTopic:
    node = [ctx.node_id]
    partitions = [
        MetadataResponsePartition(
            error_code=ErrorCode.NONE,
            partition_index=index,
            leader_id=ctx.node_id,
            leader_epoch=0,
            replica_nodes=node,
            isr_nodes=node,
            offline_replicas=[],
        )
        for index in range(len(topic.partitions))
    ]
    return MetadataResponseTopic(
        error_code=ErrorCode.NONE,
        name=topic.name,
        topic_id=topic.topic_id,
        is_internal=topic.is_internal,
        partitions=partitions,
    )


def handle_describe_cluster(
    ctx: BrokerContext, request: DescribeClusterRequest, version: int
) -> DescribeClusterResponse:
    del request, version
    broker = DescribeClusterBroker(broker_id=ctx.node_id, host=ctx.host, port=ctx.port, rack=None)
    return DescribeClusterResponse(
        error_code=ErrorCode.NONE,
        cluster_id=ctx.cluster_id,
        controller_id=ctx.node_id,
        brokers=[broker],
    )
