"""v3 consumer groups: groups, their consumers, and lag (per partition and summed up).

Lag is the log end offset (ListOffsets latest) minus the group's committed offset, for every
partition the group has committed; the consumer is the member the partition is assigned to now
(empty when none is).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from confluent_kafka.admin import ConsumerGroupDescription, MemberDescription  # type: ignore[attr-defined]
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from kaspar.rest.proxy import RestProxy, blocking, int_param
from kaspar.rest.v3_admin import links_for
from kaspar.rest.v3_resources import Body, Links, collection, resource
from kaspar.service.errors import ApiError


async def _describe(proxy: RestProxy, group: str) -> ConsumerGroupDescription:
    description = await blocking(proxy.cluster.describe_group, group)
    if str(getattr(description.state, "name", description.state)) == "DEAD":
        raise ApiError(404, 40405, f"Consumer group {group} not found")
    return description


def group_body(links: Links, group: ConsumerGroupDescription) -> Body:
    gid = group.group_id
    state = getattr(group.state, "name", str(group.state))
    group_type = getattr(group.type, "name", "CLASSIC")
    coordinator = group.coordinator.id if group.coordinator is not None else None
    return resource(
        "KafkaConsumerGroup",
        links.url("consumer-groups", gid),
        links.crn(("consumer-group", gid)),
        cluster_id=links.cluster_id,
        consumer_group_id=gid,
        is_simple=bool(group.is_simple_consumer_group),
        partition_assignor=group.partition_assignor or "",
        state=state,
        type="CLASSIC" if group_type == "UNKNOWN" else group_type,
        is_mixed_consumer_group=False,
        coordinator=links.related("brokers", coordinator),
        consumers=links.related("consumer-groups", gid, "consumers"),
        lag_summary=links.related("consumer-groups", gid, "lag-summary"),
    )


def consumer_body(links: Links, group: str, member: MemberDescription) -> Body:
    return resource(
        "KafkaConsumer",
        links.url("consumer-groups", group, "consumers", member.member_id),
        links.crn(("consumer-group", group), ("consumer", member.member_id)),
        cluster_id=links.cluster_id,
        consumer_group_id=group,
        consumer_id=member.member_id,
        instance_id=member.group_instance_id,
        client_id=member.client_id,
        assignments=links.related(
            "consumer-groups", group, "consumers", member.member_id, "assignments"
        ),
    )


def assignment_body(links: Links, group: str, member: MemberDescription, tp: Any) -> Body:
    consumer = member.member_id
    return resource(
        "KafkaConsumerAssignment",
        links.url(
            "consumer-groups",
            group,
            "consumers",
            consumer,
            "assignments",
            tp.topic,
            "partitions",
            tp.partition,
        ),
        links.crn(("consumer-group", group), ("consumer", consumer))
        + f"/assignment=topic={tp.topic}/partition={tp.partition}",
        cluster_id=links.cluster_id,
        consumer_group_id=group,
        consumer_id=consumer,
        topic_name=tp.topic,
        partition_id=tp.partition,
        partition=links.related("topics", tp.topic, "partitions", tp.partition),
        lag=links.related("consumer-groups", group, "lags", tp.topic, "partitions", tp.partition),
    )


async def _member(request: Request) -> tuple[Links, str, MemberDescription]:
    proxy, links = await links_for(request)
    group = await _describe(proxy, request.path_params["group"])
    for member in group.members:
        if member.member_id == request.path_params["consumer_id"]:
            return links, group.group_id, member
    raise ApiError(404, 404, f"Consumer {request.path_params['consumer_id']} not found")


async def list_assignments(request: Request) -> JSONResponse:
    links, group, member = await _member(request)
    data = [assignment_body(links, group, member, tp) for tp in member.assignment.topic_partitions]
    url = links.url("consumer-groups", group, "consumers", member.member_id, "assignments")
    return JSONResponse(collection("KafkaConsumerAssignmentList", url, data))


async def get_assignment(request: Request) -> JSONResponse:
    links, group, member = await _member(request)
    topic, partition = request.path_params["topic_name"], int_param(request, "partition_id")
    for tp in member.assignment.topic_partitions:
        if (tp.topic, tp.partition) == (topic, partition):
            return JSONResponse(assignment_body(links, group, member, tp))
    raise ApiError(404, 404, f"{topic}-{partition} is not assigned to {member.member_id}")


async def list_groups(request: Request) -> JSONResponse:
    proxy, links = await links_for(request)
    data = [
        group_body(links, await _describe(proxy, g))
        for g in await blocking(proxy.cluster.list_groups)
    ]
    return JSONResponse(collection("KafkaConsumerGroupList", links.url("consumer-groups"), data))


async def get_group(request: Request) -> JSONResponse:
    proxy, links = await links_for(request)
    return JSONResponse(group_body(links, await _describe(proxy, request.path_params["group"])))


async def list_consumers(request: Request) -> JSONResponse:
    proxy, links = await links_for(request)
    group = await _describe(proxy, request.path_params["group"])
    data = [consumer_body(links, group.group_id, m) for m in group.members]
    url = links.url("consumer-groups", group.group_id, "consumers")
    return JSONResponse(collection("KafkaConsumerList", url, data))


async def get_consumer(request: Request) -> JSONResponse:
    links, group, member = await _member(request)
    return JSONResponse(consumer_body(links, group, member))


@dataclass(frozen=True)
class PartitionLag:
    topic: str
    partition: int
    current_offset: int
    log_end_offset: int
    member: MemberDescription | None

    @property
    def lag(self) -> int:
        return max(self.log_end_offset - self.current_offset, 0)


async def _lags(proxy: RestProxy, group_id: str) -> list[PartitionLag]:
    group = await _describe(proxy, group_id)
    committed = await blocking(proxy.cluster.committed, group_id)
    ends = await blocking(proxy.cluster.end_offsets, [(tp.topic, tp.partition) for tp in committed])
    owners = {
        (tp.topic, tp.partition): member
        for member in group.members
        for tp in member.assignment.topic_partitions
    }
    lags = [
        PartitionLag(
            tp.topic,
            tp.partition,
            tp.offset,
            ends[(tp.topic, tp.partition)],
            owners.get((tp.topic, tp.partition)),
        )
        for tp in committed
    ]
    return sorted(lags, key=lambda lag: (lag.topic, lag.partition))


def lag_body(links: Links, group: str, lag: PartitionLag) -> Body:
    member = lag.member
    return resource(
        "KafkaConsumerLag",
        links.url("consumer-groups", group, "lags", lag.topic, "partitions", lag.partition),
        links.crn(("consumer-group", group), ("lag", lag.topic), ("partition", lag.partition)),
        cluster_id=links.cluster_id,
        consumer_group_id=group,
        topic_name=lag.topic,
        partition_id=lag.partition,
        current_offset=lag.current_offset,
        log_end_offset=lag.log_end_offset,
        lag=lag.lag,
        consumer_id=member.member_id if member else "",
        instance_id=member.group_instance_id if member else None,
        client_id=member.client_id if member else "",
    )


async def list_lags(request: Request) -> JSONResponse:
    proxy, links = await links_for(request)
    group = request.path_params["group"]
    data = [lag_body(links, group, lag) for lag in await _lags(proxy, group)]
    return JSONResponse(
        collection("KafkaConsumerLagList", links.url("consumer-groups", group, "lags"), data)
    )


async def get_lag(request: Request) -> JSONResponse:
    proxy, links = await links_for(request)
    group, topic = request.path_params["group"], request.path_params["topic_name"]
    partition = int_param(request, "partition_id")
    for lag in await _lags(proxy, group):
        if (lag.topic, lag.partition) == (topic, partition):
            return JSONResponse(lag_body(links, group, lag))
    raise ApiError(404, 404, f"No committed offset of {group} for {topic}-{partition}")


async def lag_summary(request: Request) -> JSONResponse:
    proxy, links = await links_for(request)
    group = request.path_params["group"]
    lags = await _lags(proxy, group)
    if not lags:
        raise ApiError(404, 404, f"Consumer group {group} has no committed offsets")
    worst = max(lags, key=lambda lag: lag.lag)
    member = worst.member
    consumer_id = member.member_id if member else ""
    body = resource(
        "KafkaConsumerGroupLagSummary",
        links.url("consumer-groups", group, "lag-summary"),
        links.crn(("consumer-group", group)) + "/lag-summary",
        cluster_id=links.cluster_id,
        consumer_group_id=group,
        max_lag_consumer_id=consumer_id,
        max_lag_instance_id=member.group_instance_id if member else None,
        max_lag_client_id=member.client_id if member else "",
        max_lag_topic_name=worst.topic,
        max_lag_partition_id=worst.partition,
        max_lag=worst.lag,
        total_lag=sum(lag.lag for lag in lags),
        max_lag_consumer=links.related("consumer-groups", group, "consumers", consumer_id),
        max_lag_partition=links.related("topics", worst.topic, "partitions", worst.partition),
    )
    return JSONResponse(body)


def routes() -> list[BaseRoute]:
    base = "/v3/clusters/{cluster_id}/consumer-groups"
    group = base + "/{group}"
    return [
        Route(base, list_groups),
        Route(group, get_group),
        Route(group + "/consumers", list_consumers),
        Route(group + "/consumers/{consumer_id}", get_consumer),
        Route(group + "/consumers/{consumer_id}/assignments", list_assignments),
        Route(
            group + "/consumers/{consumer_id}/assignments/{topic_name}/partitions/{partition_id}",
            get_assignment,
        ),
        Route(group + "/lags", list_lags),
        Route(group + "/lags/{topic_name}/partitions/{partition_id}", get_lag),
        Route(group + "/lag-summary", lag_summary),
    ]
