"""The classic group protocol at the wire level: raw requests to a real broker.

The broker starts with ``group.initial.rebalance.delay.ms=0`` so that a rebalance completes as
soon as every member has joined.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from kaspar.broker import Broker
from kaspar.protocol.codec import encode
from kaspar.protocol.errors import ErrorCode
from kaspar.protocol.messages.consumer_protocol_subscription import ConsumerProtocolSubscription
from kaspar.protocol.messages.create_topics import CreatableTopic, CreateTopicsRequest
from kaspar.protocol.messages.delete_groups import DeleteGroupsRequest
from kaspar.protocol.messages.describe_groups import DescribeGroupsRequest
from kaspar.protocol.messages.find_coordinator import FindCoordinatorRequest
from kaspar.protocol.messages.heartbeat import HeartbeatRequest
from kaspar.protocol.messages.join_group import JoinGroupRequest, JoinGroupRequestProtocol
from kaspar.protocol.messages.leave_group import LeaveGroupRequest, MemberIdentity
from kaspar.protocol.messages.list_groups import ListGroupsRequest
from kaspar.protocol.messages.offset_commit import (
    OffsetCommitRequest,
    OffsetCommitRequestPartition,
    OffsetCommitRequestTopic,
)
from kaspar.protocol.messages.offset_delete import (
    OffsetDeleteRequest,
    OffsetDeleteRequestPartition,
    OffsetDeleteRequestTopic,
)
from kaspar.protocol.messages.offset_fetch import OffsetFetchRequest, OffsetFetchRequestTopic
from kaspar.protocol.messages.sync_group import SyncGroupRequest, SyncGroupRequestAssignment
from tests.integration.conftest import RawClient

JOIN_V = 7


@pytest.fixture(scope="module")
def group_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    broker = Broker(
        tmp_path_factory.mktemp("groups"), config={"group.initial.rebalance.delay.ms": "0"}
    )
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def client(group_broker: Broker) -> Iterator[RawClient]:
    raw = RawClient(group_broker.bootstrap_servers)
    yield raw
    raw.close()


@pytest.fixture
def topic(client: RawClient) -> str:
    name = f"groups-{uuid.uuid4().hex[:8]}"
    request = CreateTopicsRequest(
        topics=[CreatableTopic(name=name, num_partitions=2, replication_factor=1)], timeout_ms=5000
    )
    assert client.request(request, 5).topics[0].error_code == 0
    return name


def subscription(*topics: str) -> bytes:
    return b"\x00\x00" + encode(ConsumerProtocolSubscription(topics=list(topics)), 0)


def join(
    client: RawClient,
    group: str,
    member_id: str = "",
    *,
    instance: str | None = None,
    topics: tuple[str, ...] = ("t",),
    session_ms: int = 10_000,
    version: int = JOIN_V,
) -> Any:
    request = JoinGroupRequest(
        group_id=group,
        session_timeout_ms=session_ms,
        rebalance_timeout_ms=10_000,
        member_id=member_id,
        group_instance_id=instance,
        protocol_type="consumer",
        protocols=[JoinGroupRequestProtocol(name="range", metadata=subscription(*topics))],
    )
    return client.request(request, version)


def join_new(client: RawClient, group: str, **kwargs: Any) -> Any:
    """The v4+ flow: MEMBER_ID_REQUIRED, then join again with the given member id."""
    first = join(client, group, **kwargs)
    assert first.error_code == ErrorCode.MEMBER_ID_REQUIRED
    assert first.member_id
    return join(client, group, first.member_id, **kwargs)


def sync(client: RawClient, group: str, member: str, generation: int, assign: bool) -> Any:
    assignments = [SyncGroupRequestAssignment(member_id=member, assignment=b"x")] if assign else []
    request = SyncGroupRequest(
        group_id=group, generation_id=generation, member_id=member, assignments=assignments
    )
    return client.request(request, 5)


def heartbeat(client: RawClient, group: str, member: str, generation: int, **kw: Any) -> int:
    request = HeartbeatRequest(group_id=group, generation_id=generation, member_id=member, **kw)
    return int(client.request(request, 4).error_code)


def commit(client: RawClient, group: str, topic: str, offsets: dict[int, int], **kw: Any) -> Any:
    request = OffsetCommitRequest(
        group_id=group,
        generation_id_or_member_epoch=kw.get("generation", -1),
        member_id=kw.get("member", ""),
        topics=[
            OffsetCommitRequestTopic(
                name=topic,
                partitions=[
                    OffsetCommitRequestPartition(partition_index=p, committed_offset=o)
                    for p, o in offsets.items()
                ],
            )
        ],
    )
    response = client.request(request, 8)
    return {p.partition_index: p.error_code for t in response.topics for p in t.partitions}


def fetch(client: RawClient, group: str, topic: str | None, version: int = 7) -> dict[Any, int]:
    topics = (
        None if topic is None else [OffsetFetchRequestTopic(name=topic, partition_indexes=[0, 1])]
    )
    response = client.request(OffsetFetchRequest(group_id=group, topics=topics), version)
    return {
        (t.name, p.partition_index): p.committed_offset
        for t in response.topics
        for p in t.partitions
    }


def stable_group(client: RawClient, group: str, **kwargs: Any) -> Any:
    joined = join_new(client, group, **kwargs)
    assert joined.error_code == 0
    assert joined.leader == joined.member_id
    assert sync(client, group, joined.member_id, joined.generation_id, True).assignment == b"x"
    return joined


def test_find_coordinator_answers_this_node_for_groups_and_transactions(
    client: RawClient, group_broker: Broker
) -> None:
    for version in range(4):
        for key_type in (0, 1) if version else (0,):
            request = FindCoordinatorRequest(key="g", key_type=key_type)
            response = client.request(request, version)
            assert (response.error_code, response.port) == (0, group_broker.port)
    response = client.request(FindCoordinatorRequest(key_type=1, coordinator_keys=["a", "b"]), 4)
    assert [(c.key, c.error_code, c.port) for c in response.coordinators] == [
        ("a", 0, group_broker.port),
        ("b", 0, group_broker.port),
    ]


def test_join_errors(client: RawClient) -> None:
    assert join(client, "").error_code == ErrorCode.INVALID_GROUP_ID
    assert join(client, "g", session_ms=1000).error_code == ErrorCode.INVALID_SESSION_TIMEOUT
    assert join(client, "no-such-group", "m-1").error_code == ErrorCode.UNKNOWN_MEMBER_ID
    group = f"g-{uuid.uuid4().hex[:6]}"
    member = stable_group(client, group)
    other = JoinGroupRequest(
        group_id=group,
        session_timeout_ms=10_000,
        protocol_type="consumer",
        protocols=[JoinGroupRequestProtocol(name="roundrobin", metadata=b"")],
    )
    assert client.request(other, 3).error_code == ErrorCode.INCONSISTENT_GROUP_PROTOCOL
    assert heartbeat(client, group, member.member_id, 99) == ErrorCode.ILLEGAL_GENERATION
    assert heartbeat(client, group, "stranger", member.generation_id) == ErrorCode.UNKNOWN_MEMBER_ID


def test_second_member_triggers_rebalance(group_broker: Broker, client: RawClient) -> None:
    group = f"g-{uuid.uuid4().hex[:6]}"
    first = stable_group(client, group)
    second_client = RawClient(group_broker.bootstrap_servers)
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(join_new, second_client, group)
        deadline = time.monotonic() + 10
        while heartbeat(client, group, first.member_id, first.generation_id) == 0:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert heartbeat(client, group, first.member_id, first.generation_id) == 27
        rejoined = join(client, group, first.member_id)
        second = pending.result(timeout=10)
    second_client.close()
    assert rejoined.generation_id == second.generation_id == first.generation_id + 1
    assert rejoined.leader == first.member_id
    assert {m.member_id for m in rejoined.members} == {first.member_id, second.member_id}
    assert second.members == []


def test_describe_list_leave_and_delete(client: RawClient, topic: str) -> None:
    group = f"g-{uuid.uuid4().hex[:6]}"
    member = stable_group(client, group, topics=(topic,))
    described = client.request(DescribeGroupsRequest(groups=[group, "nope"]), 5).groups
    assert (described[0].group_state, described[0].protocol_data) == ("Stable", "range")
    assert [m.member_id for m in described[0].members] == [member.member_id]
    assert described[0].members[0].member_assignment == b"x"
    assert described[1].group_state == "Dead"
    listed = client.request(ListGroupsRequest(states_filter=["stable"]), 4).groups
    assert (group, "consumer", "Stable") in [
        (g.group_id, g.protocol_type, g.group_state) for g in listed
    ]
    assert commit(
        client, group, topic, {0: 5}, generation=member.generation_id, member=member.member_id
    ) == {0: 0}
    deleted = client.request(DeleteGroupsRequest(groups_names=[group, "nope"]), 2).results
    assert [r.error_code for r in deleted] == [
        ErrorCode.NON_EMPTY_GROUP,
        ErrorCode.GROUP_ID_NOT_FOUND,
    ]
    leave = LeaveGroupRequest(group_id=group, members=[MemberIdentity(member_id=member.member_id)])
    assert client.request(leave, 4).members[0].error_code == 0
    assert client.request(DescribeGroupsRequest(groups=[group]), 5).groups[0].group_state == "Empty"
    assert client.request(DeleteGroupsRequest(groups_names=[group]), 2).results[0].error_code == 0
    assert fetch(client, group, topic) == {(topic, 0): -1, (topic, 1): -1}
    assert group not in [g.group_id for g in client.request(ListGroupsRequest(), 4).groups]


def test_offsets_commit_fetch_and_errors(client: RawClient, topic: str) -> None:
    group = f"g-{uuid.uuid4().hex[:6]}"
    assert fetch(client, group, topic) == {(topic, 0): -1, (topic, 1): -1}
    assert commit(client, group, topic, {0: 3, 1: 4}) == {0: 0, 1: 0}
    assert commit(client, group, "no-such-topic", {0: 1}) == {
        0: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    }
    assert commit(client, group, topic, {7: 1}) == {7: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION}
    assert fetch(client, group, topic) == {(topic, 0): 3, (topic, 1): 4}
    assert fetch(client, group, None) == {(topic, 0): 3, (topic, 1): 4}
    assert fetch(client, group, topic, version=1) == {(topic, 0): 3, (topic, 1): 4}
    assert commit(client, group, topic, {0: 1}, generation=5, member="m") == {
        0: ErrorCode.UNKNOWN_MEMBER_ID
    }


def test_offset_delete(client: RawClient, topic: str) -> None:
    group = f"g-{uuid.uuid4().hex[:6]}"
    member = stable_group(client, group, topics=(topic,))
    commit(
        client, group, topic, {0: 2, 1: 2}, generation=member.generation_id, member=member.member_id
    )
    request = OffsetDeleteRequest(
        group_id=group,
        topics=[
            OffsetDeleteRequestTopic(
                name=topic, partitions=[OffsetDeleteRequestPartition(partition_index=0)]
            )
        ],
    )
    response = client.request(request, 0)
    assert response.topics[0].partitions[0].error_code == ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC
    client.request(LeaveGroupRequest(group_id=group, member_id=member.member_id), 1)
    response = client.request(request, 0)
    assert response.topics[0].partitions[0].error_code == 0
    assert fetch(client, group, topic) == {(topic, 0): -1, (topic, 1): 2}
    missing = OffsetDeleteRequest(group_id="no-such-group", topics=request.topics)
    assert client.request(missing, 0).error_code == ErrorCode.GROUP_ID_NOT_FOUND


def test_static_member_rejoins_without_rebalance_and_fences_old_id(
    group_broker: Broker, client: RawClient
) -> None:
    group = f"g-{uuid.uuid4().hex[:6]}"
    first = join(client, group, instance="instance-1")  # static: no MEMBER_ID_REQUIRED
    assert first.error_code == 0
    sync(client, group, first.member_id, first.generation_id, True)

    again = join(client, group, instance="instance-1")

    assert again.error_code == 0
    assert again.member_id != first.member_id
    assert again.generation_id == first.generation_id
    stable = sync(client, group, again.member_id, again.generation_id, False)
    assert (stable.error_code, stable.assignment) == (0, b"x")
    fenced = heartbeat(
        client, group, first.member_id, first.generation_id, group_instance_id="instance-1"
    )
    assert fenced == ErrorCode.FENCED_INSTANCE_ID
    assert heartbeat(client, group, again.member_id, again.generation_id) == 0
    old_join = join(client, group, first.member_id, instance="instance-1")
    assert old_join.error_code == ErrorCode.FENCED_INSTANCE_ID


def test_expired_session_removes_member(client: RawClient) -> None:
    group = f"g-{uuid.uuid4().hex[:6]}"
    member = stable_group(client, group, session_ms=6000)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        described = client.request(DescribeGroupsRequest(groups=[group]), 5).groups[0]
        if described.group_state == "Empty":
            break
        time.sleep(0.25)
    assert client.request(DescribeGroupsRequest(groups=[group]), 5).groups[0].members == []
    assert heartbeat(client, group, member.member_id, member.generation_id) == 25


def test_offsets_and_groups_survive_restart(tmp_path: Path) -> None:
    config = {"group.initial.rebalance.delay.ms": "0"}
    broker = Broker(tmp_path, config=config).start()
    raw = RawClient(broker.bootstrap_servers)
    create = CreateTopicsRequest(
        topics=[CreatableTopic(name="t", num_partitions=2, replication_factor=1)], timeout_ms=5000
    )
    raw.request(create, 5)
    member = stable_group(raw, "kept", topics=("t",))
    commit(
        raw, "kept", "t", {0: 11, 1: 12}, generation=member.generation_id, member=member.member_id
    )
    commit(raw, "simple", "t", {0: 7})
    raw.close()
    port = broker.port
    broker.stop()

    restarted = Broker(tmp_path, port=port, config=config).start()
    raw = RawClient(restarted.bootstrap_servers)
    try:
        assert fetch(raw, "kept", "t") == {("t", 0): 11, ("t", 1): 12}
        assert fetch(raw, "simple", "t") == {("t", 0): 7, ("t", 1): -1}
        assert heartbeat(raw, "kept", member.member_id, member.generation_id) == 0
        described = raw.request(DescribeGroupsRequest(groups=["kept", "simple"]), 5).groups
        assert [(g.group_state, len(g.members)) for g in described] == [("Stable", 1), ("Empty", 0)]
    finally:
        raw.close()
        restarted.stop()


def test_describe_groups_shows_client_id_and_host(group_broker: Any) -> None:
    from confluent_kafka import Consumer
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": group_broker.bootstrap_servers})
    admin.create_topics([NewTopic("who-is-there-topic", 1, 1)])["who-is-there-topic"].result(10)
    consumer = Consumer(
        {
            "bootstrap.servers": group_broker.bootstrap_servers,
            "group.id": "who-is-there",
            "client.id": "billing-worker-1",
            "session.timeout.ms": 6000,
        }
    )
    try:
        consumer.subscribe(["who-is-there-topic"])
        deadline = time.monotonic() + 30
        while not consumer.assignment() and time.monotonic() < deadline:
            consumer.poll(0.2)
        description = admin.describe_consumer_groups(["who-is-there"])["who-is-there"].result(10)
        (member,) = description.members
        assert member.client_id == "billing-worker-1"
        assert member.host == "/127.0.0.1"
    finally:
        consumer.close()
