"""Classic consumer groups: FindCoordinator (10), JoinGroup (11), Heartbeat (12), LeaveGroup (13),
SyncGroup (14), DescribeGroups (15), ListGroups (16) and DeleteGroups (42).

The state machine lives in ``coordinator/group.py`` and ``coordinator/group_coordinator.py``;
these handlers only translate requests and answers. JoinGroup and SyncGroup usually answer later
(when the rebalance completes), so they may return an awaitable.
"""

from __future__ import annotations

from collections.abc import Awaitable

from kaspar.broker.context import BrokerContext
from kaspar.broker.coordinator.group import GroupState, JoinResult
from kaspar.broker.coordinator.group_coordinator import SyncAnswer
from kaspar.protocol.errors import ErrorCode
from kaspar.protocol.messages.delete_groups import (
    DeletableGroupResult,
    DeleteGroupsRequest,
    DeleteGroupsResponse,
)
from kaspar.protocol.messages.describe_groups import (
    DescribedGroup,
    DescribedGroupMember,
    DescribeGroupsRequest,
    DescribeGroupsResponse,
)
from kaspar.protocol.messages.find_coordinator import (
    Coordinator,
    FindCoordinatorRequest,
    FindCoordinatorResponse,
)
from kaspar.protocol.messages.heartbeat import HeartbeatRequest, HeartbeatResponse
from kaspar.protocol.messages.join_group import (
    JoinGroupRequest,
    JoinGroupResponse,
    JoinGroupResponseMember,
)
from kaspar.protocol.messages.leave_group import (
    LeaveGroupRequest,
    LeaveGroupResponse,
    MemberResponse,
)
from kaspar.protocol.messages.list_groups import ListedGroup, ListGroupsRequest, ListGroupsResponse
from kaspar.protocol.messages.sync_group import SyncGroupRequest, SyncGroupResponse

__all__ = [
    "handle_delete_groups",
    "handle_describe_groups",
    "handle_find_coordinator",
    "handle_heartbeat",
    "handle_join_group",
    "handle_leave_group",
    "handle_list_groups",
    "handle_sync_group",
]

GROUP_KEY = 0
TRANSACTION_KEY = 1
BATCHED_KEYS_VERSION = 4
LEAVE_BATCH_VERSION = 3
JOIN_NULLABLE_PROTOCOL_VERSION = 7


def handle_find_coordinator(
    ctx: BrokerContext, request: FindCoordinatorRequest, version: int
) -> FindCoordinatorResponse:
    """This single node coordinates every group (key type 0) and transactional id (1)."""
    error = ErrorCode.NONE
    if request.key_type not in (GROUP_KEY, TRANSACTION_KEY):
        error = ErrorCode.INVALID_REQUEST
    node = (-1, "", -1) if error else (ctx.node_id, ctx.host, ctx.port)
    if version < BATCHED_KEYS_VERSION:
        return FindCoordinatorResponse(
            error_code=error, node_id=node[0], host=node[1], port=node[2]
        )
    coordinators = [
        Coordinator(key=key, node_id=node[0], host=node[1], port=node[2], error_code=error)
        for key in request.coordinator_keys
    ]
    return FindCoordinatorResponse(coordinators=coordinators)


def handle_join_group(
    ctx: BrokerContext, request: JoinGroupRequest, version: int
) -> JoinGroupResponse | Awaitable[JoinGroupResponse]:
    result = ctx.groups.join(request, version)
    if isinstance(result, JoinResult):
        return _join_response(result, version)
    return _join_later(result, version)


async def _join_later(result: Awaitable[JoinResult], version: int) -> JoinGroupResponse:
    return _join_response(await result, version)


def _join_response(result: JoinResult, version: int) -> JoinGroupResponse:
    protocol_name = result.protocol_name
    if protocol_name is None and version < JOIN_NULLABLE_PROTOCOL_VERSION:
        protocol_name = ""
    return JoinGroupResponse(
        error_code=result.error,
        generation_id=result.generation_id,
        protocol_type=result.protocol_type,
        protocol_name=protocol_name,
        leader=result.leader,
        member_id=result.member_id,
        members=[
            JoinGroupResponseMember(member_id=m, group_instance_id=i, metadata=data)
            for m, i, data in result.members
        ],
    )


def handle_sync_group(
    ctx: BrokerContext, request: SyncGroupRequest, version: int
) -> SyncGroupResponse | Awaitable[SyncGroupResponse]:
    del version
    answer = ctx.groups.sync(request)
    if isinstance(answer, tuple):
        return _sync_response(ctx, request.group_id, answer)
    return _sync_later(ctx, request.group_id, answer)


async def _sync_later(
    ctx: BrokerContext, group_id: str, answer: Awaitable[SyncAnswer]
) -> SyncGroupResponse:
    return _sync_response(ctx, group_id, await answer)


def _sync_response(ctx: BrokerContext, group_id: str, answer: SyncAnswer) -> SyncGroupResponse:
    error, assignment = answer
    group = ctx.groups.groups.get(group_id)
    known = error is ErrorCode.NONE and group is not None
    return SyncGroupResponse(
        error_code=error,
        protocol_type=group.protocol_type if known and group else None,
        protocol_name=group.protocol_name if known and group else None,
        assignment=assignment,
    )


def handle_heartbeat(
    ctx: BrokerContext, request: HeartbeatRequest, version: int
) -> HeartbeatResponse:
    del version
    error = ctx.groups.heartbeat(
        request.group_id, request.member_id, request.group_instance_id, request.generation_id
    )
    return HeartbeatResponse(error_code=error)


def handle_leave_group(
    ctx: BrokerContext, request: LeaveGroupRequest, version: int
) -> LeaveGroupResponse:
    if version < LEAVE_BATCH_VERSION:
        errors = ctx.groups.leave(request.group_id, [(request.member_id, None)])
        return LeaveGroupResponse(error_code=errors[0])
    identities = [(m.member_id, m.group_instance_id) for m in request.members]
    errors = ctx.groups.leave(request.group_id, identities)
    return LeaveGroupResponse(
        error_code=ErrorCode.NONE,
        members=[
            MemberResponse(member_id=m, group_instance_id=i, error_code=e)
            for (m, i), e in zip(identities, errors, strict=True)
        ],
    )


def handle_list_groups(
    ctx: BrokerContext, request: ListGroupsRequest, version: int
) -> ListGroupsResponse:
    del version
    wanted = {state.lower() for state in request.states_filter}
    groups = [
        ListedGroup(
            group_id=group.group_id,
            protocol_type=group.protocol_type or "",
            group_state=group.state.value,
            group_type="classic",
        )
        for group in ctx.groups.groups.values()
        if not wanted or group.state.value.lower() in wanted
    ]
    return ListGroupsResponse(error_code=ErrorCode.NONE, groups=groups)


def handle_describe_groups(
    ctx: BrokerContext, request: DescribeGroupsRequest, version: int
) -> DescribeGroupsResponse:
    """Members always; their metadata and assignment only once the group is Stable (Kafka)."""
    del version
    described = []
    for group_id in request.groups:
        group = ctx.groups.groups.get(group_id)
        if group is None:
            described.append(DescribedGroup(group_id=group_id, group_state=GroupState.DEAD.value))
            continue
        stable = group.state is GroupState.STABLE
        members = [
            DescribedGroupMember(
                member_id=m.member_id,
                group_instance_id=m.group_instance_id,
                client_id=m.client_id,
                client_host=m.client_host,
                member_metadata=m.metadata(group.protocol_name) if stable else b"",
                member_assignment=m.assignment if stable else b"",
            )
            for m in group.members.values()
        ]
        described.append(
            DescribedGroup(
                group_id=group_id,
                group_state=group.state.value,
                protocol_type=group.protocol_type or "",
                protocol_data=(group.protocol_name or "") if stable else "",
                members=members,
            )
        )
    return DescribeGroupsResponse(groups=described)


def handle_delete_groups(
    ctx: BrokerContext, request: DeleteGroupsRequest, version: int
) -> Awaitable[DeleteGroupsResponse]:
    del version
    return _delete_groups(ctx, request.groups_names)


async def _delete_groups(ctx: BrokerContext, names: list[str]) -> DeleteGroupsResponse:
    """Only groups without members are deleted; their offsets go with them."""
    results = []
    for group_id in names:
        group = ctx.groups.groups.get(group_id)
        if not group_id:
            error = ErrorCode.INVALID_GROUP_ID
        elif group is None:
            error = ErrorCode.GROUP_ID_NOT_FOUND
        elif group.members or group.state is not GroupState.EMPTY:
            error = ErrorCode.NON_EMPTY_GROUP
        else:
            error = ErrorCode.NONE
            group.state = GroupState.DEAD
            del ctx.groups.groups[group_id]
            await ctx.groups.offsets.delete_group(group_id)
        results.append(DeletableGroupResult(group_id=group_id, error_code=error))
    return DeleteGroupsResponse(results=results)
