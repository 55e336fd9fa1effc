"""DescribeConfigs (32), AlterConfigs (33) and IncrementalAlterConfigs (44).

Topic configs are Kafka's (see ``topic_config.py``). The broker resource is described from the
settings it was started with; changing broker settings at runtime is refused with a message
saying how to set them (``kaspar broker --config``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kaspar.broker.context import BrokerContext
from kaspar.broker.topic_config import ConfigEntry, InvalidConfigError, describe
from kaspar.protocol.errors import ErrorCode
from kaspar.protocol.messages.alter_configs import (
    AlterConfigsRequest,
    AlterConfigsResourceResponse,
    AlterConfigsResponse,
)
from kaspar.protocol.messages.describe_configs import (
    DescribeConfigsRequest,
    DescribeConfigsResourceResult,
    DescribeConfigsResponse,
    DescribeConfigsResult,
)
from kaspar.protocol.messages.incremental_alter_configs import (
    AlterConfigsResourceResponse as IncrementalResourceResponse,
)
from kaspar.protocol.messages.incremental_alter_configs import (
    IncrementalAlterConfigsRequest,
    IncrementalAlterConfigsResponse,
)

__all__ = [
    "handle_alter_configs",
    "handle_describe_configs",
    "handle_incremental_alter_configs",
    "topic_config_entries",
]

TOPIC = 2
BROKER = 4
STATIC_BROKER_CONFIG = 4
DEFAULT_CONFIG = 5
SET, DELETE, APPEND, SUBTRACT = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class _Outcome:
    error_code: ErrorCode
    message: str | None = None


def topic_config_entries(
    ctx: BrokerContext, overrides: Mapping[str, str | None], keys: Iterable[str] | None
) -> list[ConfigEntry]:
    entries = describe(overrides, ctx.topics.broker_defaults)
    if keys is None:
        return entries
    wanted = set(keys)
    return [e for e in entries if e.name in wanted]


def _broker_entries(ctx: BrokerContext) -> list[DescribeConfigsResourceResult]:
    cfg = ctx.config
    settings = {
        "auto.create.topics.enable": str(cfg.auto_create_topics_enable).lower(),
        "num.partitions": str(cfg.num_partitions),
        "default.replication.factor": str(cfg.default_replication_factor),
        "delete.topic.enable": str(cfg.delete_topic_enable).lower(),
        "socket.request.max.bytes": str(cfg.socket_request_max_bytes),
        "log.retention.check.interval.ms": str(cfg.log_retention_check_interval_ms),
        "broker.id": str(ctx.node_id),
        "node.id": str(ctx.node_id),
    }
    return [
        DescribeConfigsResourceResult(
            name=name,
            value=value,
            read_only=True,
            is_default=False,
            config_source=STATIC_BROKER_CONFIG,
            is_sensitive=False,
            documentation=None,
        )
        for name, value in sorted(settings.items())
    ]


def handle_describe_configs(
    ctx: BrokerContext, request: DescribeConfigsRequest, version: int
) -> DescribeConfigsResponse:
    del version
    results = []
    for resource in request.resources:
        result = DescribeConfigsResult(
            error_code=ErrorCode.NONE,
            error_message=None,
            resource_type=resource.resource_type,
            resource_name=resource.resource_name,
        )
        if resource.resource_type == BROKER:
            configs = _broker_entries(ctx)
            if resource.configuration_keys is not None:
                configs = [c for c in configs if c.name in resource.configuration_keys]
            results.append(_replace_configs(result, configs))
            continue
        topic = ctx.topics.get(resource.resource_name) if resource.resource_type == TOPIC else None
        if topic is None:
            code = (
                ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
                if resource.resource_type == TOPIC
                else ErrorCode.INVALID_REQUEST
            )
            msg = f"Unknown resource {resource.resource_name!r} of type {resource.resource_type}"
            results.append(_error_result(result, code, msg))
            continue
        entries = topic_config_entries(ctx, topic.overrides, resource.configuration_keys)
        configs = [
            DescribeConfigsResourceResult(
                name=e.name,
                value=e.value,
                read_only=e.read_only,
                is_default=e.is_default,
                config_source=e.source,
                is_sensitive=e.is_sensitive,
                config_type=e.config_type,
                documentation=e.documentation if request.include_documentation else None,
            )
            for e in entries
        ]
        results.append(_replace_configs(result, configs))
    return DescribeConfigsResponse(results=results)


def _replace_configs(
    result: DescribeConfigsResult, configs: list[DescribeConfigsResourceResult]
) -> DescribeConfigsResult:
    return DescribeConfigsResult(
        error_code=result.error_code,
        error_message=result.error_message,
        resource_type=result.resource_type,
        resource_name=result.resource_name,
        configs=configs,
    )


def _error_result(
    result: DescribeConfigsResult, code: ErrorCode, msg: str
) -> DescribeConfigsResult:
    return DescribeConfigsResult(
        error_code=code,
        error_message=msg,
        resource_type=result.resource_type,
        resource_name=result.resource_name,
    )


def _alter(
    ctx: BrokerContext,
    resource_type: int,
    name: str,
    overrides: Mapping[str, str] | None,
    *,
    validate_only: bool,
) -> _Outcome:
    if resource_type == BROKER:
        msg = "Broker settings are static in kaspar; set them with `kaspar broker --config k=v`."
        return _Outcome(ErrorCode.INVALID_REQUEST, msg)
    if resource_type != TOPIC:
        return _Outcome(ErrorCode.INVALID_REQUEST, f"Unsupported resource type {resource_type}")
    if name not in ctx.topics:
        return _Outcome(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"Topic {name!r} does not exist")
    if overrides is None:
        return _Outcome(ErrorCode.INVALID_CONFIG, "invalid operation")
    try:
        ctx.topics.set_overrides(name, overrides, validate_only=validate_only)
    except InvalidConfigError as exc:
        return _Outcome(ErrorCode.INVALID_CONFIG, str(exc))
    return _Outcome(ErrorCode.NONE)


def handle_alter_configs(
    ctx: BrokerContext, request: AlterConfigsRequest, version: int
) -> AlterConfigsResponse:
    del version
    responses = []
    for resource in request.resources:
        overrides = {c.name: c.value for c in resource.configs if c.value is not None}
        outcome = _alter(
            ctx,
            resource.resource_type,
            resource.resource_name,
            overrides,
            validate_only=request.validate_only,
        )
        responses.append(
            AlterConfigsResourceResponse(
                error_code=outcome.error_code,
                error_message=outcome.message,
                resource_type=resource.resource_type,
                resource_name=resource.resource_name,
            )
        )
    return AlterConfigsResponse(responses=responses)


def _apply_operations(
    current: Mapping[str, str], operations: Iterable[tuple[str, int, str | None]]
) -> dict[str, str] | None:
    """Apply SET/DELETE/APPEND/SUBTRACT to a topic's overrides; None if an operation is invalid."""
    result = dict(current)
    for name, operation, value in operations:
        if operation == SET and value is not None:
            result[name] = value
        elif operation == DELETE:
            result.pop(name, None)
        elif operation in (APPEND, SUBTRACT) and value is not None:
            items = [v for v in result.get(name, "").split(",") if v]
            change = [v.strip() for v in value.split(",") if v.strip()]
            if operation == APPEND:
                items += [v for v in change if v not in items]
            else:
                items = [v for v in items if v not in change]
            result[name] = ",".join(items)
        else:
            return None
    return result


def handle_incremental_alter_configs(
    ctx: BrokerContext, request: IncrementalAlterConfigsRequest, version: int
) -> IncrementalAlterConfigsResponse:
    del version
    responses = []
    for resource in request.resources:
        topic = ctx.topics.get(resource.resource_name)
        current = topic.overrides if topic is not None else {}
        ops = [(c.name, c.config_operation, c.value) for c in resource.configs]
        overrides = _apply_operations(current, ops)
        outcome = _alter(
            ctx,
            resource.resource_type,
            resource.resource_name,
            overrides,
            validate_only=request.validate_only,
        )
        responses.append(
            IncrementalResourceResponse(
                error_code=outcome.error_code,
                error_message=outcome.message,
                resource_type=resource.resource_type,
                resource_name=resource.resource_name,
            )
        )
    return IncrementalAlterConfigsResponse(responses=responses)
