"""`kaspar group list|describe|reset-offsets|delete`, like Kafka's kafka-consumer-groups tool.

Everything goes through confluent-kafka (AdminClient for groups and committed offsets, a
Consumer for log end offsets and timestamps), so it works against Apache Kafka too.
"""

from datetime import datetime
from typing import Annotated, Any

import typer
from confluent_kafka import (
    Consumer,
    ConsumerGroupTopicPartitions,
    KafkaException,
    TopicPartition,
)
from rich.table import Table

from kaspar.cli.client_config import (
    DEFAULT_BOOTSTRAP_SERVERS,
    DEFAULT_REQUEST_TIMEOUT,
    BootstrapServers,
    RequestTimeout,
    connect_admin,
    consumer_config,
)
from kaspar.cli.errors import CliError
from kaspar.cli.terminal import status, stdout

group_app = typer.Typer(
    help="List, describe, reset offsets of and delete consumer groups.", no_args_is_help=True
)

GroupId = Annotated[str, typer.Argument(help="Consumer group id.", show_default=False)]
INACTIVE_STATES = {"EMPTY", "DEAD", "UNKNOWN"}


def _result(future: Any, action: str, group: str, timeout: float) -> Any:
    try:
        return future.result(timeout=timeout)
    except KafkaException as exc:
        raise CliError(f"cannot {action} group {group!r}: {exc.args[0].str()}") from exc
    except TimeoutError as exc:
        raise CliError(f"cannot {action} group {group!r}: no answer in {timeout:g}s") from exc


def _state(value: Any) -> str:
    return str(getattr(value, "name", value)).upper()


@group_app.command("list")
def list_groups(
    *,
    bootstrap_server: BootstrapServers = DEFAULT_BOOTSTRAP_SERVERS,
    request_timeout: RequestTimeout = DEFAULT_REQUEST_TIMEOUT,
) -> None:
    """List consumer groups and their state."""
    admin, _ = connect_admin(bootstrap_server, request_timeout)
    listed = _result(admin.list_consumer_groups(request_timeout=request_timeout), "list", "*", 30)
    table = Table("group", "state", "type")
    for group in sorted(listed.valid, key=lambda g: g.group_id):
        kind = "simple" if group.is_simple_consumer_group else "consumer"
        table.add_row(group.group_id, _state(group.state), kind)
    stdout.print(table)


@group_app.command("describe")
def describe(
    group: GroupId,
    *,
    bootstrap_server: BootstrapServers = DEFAULT_BOOTSTRAP_SERVERS,
    request_timeout: RequestTimeout = DEFAULT_REQUEST_TIMEOUT,
) -> None:
    """Members, assignments, committed offsets, log end offsets and lag per partition."""
    admin, _ = connect_admin(bootstrap_server, request_timeout)
    description = _describe(admin, group, request_timeout)
    committed = _committed(admin, group, request_timeout)
    owners: dict[tuple[str, int], Any] = {}
    for member in description.members:
        for tp in member.assignment.topic_partitions if member.assignment else []:
            owners[(tp.topic, tp.partition)] = member
    members = len(description.members)
    stdout.print(
        f"[bold]{group}[/bold]  state: {_state(description.state)}  "
        f"assignor: {description.partition_assignor or '-'}  members: {members}",
        soft_wrap=True,
    )
    table = Table(
        "topic", "partition", "current offset", "log end offset", "lag", "member", "client", "host"
    )
    ends = _log_end_offsets(bootstrap_server, set(owners) | set(committed), request_timeout)
    total = 0
    for topic, partition in sorted(set(owners) | set(committed)):
        offset = committed.get((topic, partition), -1)
        end = ends.get((topic, partition), -1)
        lag = end - offset if offset >= 0 and end >= 0 else None
        total += lag or 0
        member = owners.get((topic, partition))
        table.add_row(
            topic,
            str(partition),
            str(offset) if offset >= 0 else "-",
            str(end) if end >= 0 else "-",
            "-" if lag is None else str(lag),
            member.member_id if member else "-",
            (member.client_id or "-") if member else "-",
            (member.host or "-") if member else "-",
        )
    stdout.print(table)
    stdout.print(f"total lag: {total}")


def _describe(admin: Any, group: str, timeout: float) -> Any:
    futures = admin.describe_consumer_groups([group], request_timeout=timeout)
    return _result(futures[group], "describe", group, timeout + 5)


def _committed(admin: Any, group: str, timeout: float) -> dict[tuple[str, int], int]:
    request = [ConsumerGroupTopicPartitions(group)]
    futures = admin.list_consumer_group_offsets(request, request_timeout=timeout)
    result = _result(futures[group], "fetch offsets of", group, timeout + 5)
    return {
        (tp.topic, tp.partition): tp.offset
        for tp in result.topic_partitions or []
        if tp.error is None
    }


def _log_end_offsets(
    bootstrap: str, partitions: set[tuple[str, int]], timeout: float
) -> dict[tuple[str, int], int]:
    consumer = Consumer(consumer_config(bootstrap))
    try:
        ends = {}
        for topic, partition in partitions:
            try:
                _, high = consumer.get_watermark_offsets(
                    TopicPartition(topic, partition), timeout=timeout
                )
            except KafkaException:
                high = -1
            ends[(topic, partition)] = high
        return ends
    finally:
        consumer.close()


@group_app.command("reset-offsets")
def reset_offsets(
    *,
    group: Annotated[str, typer.Option("--group", "-g", help="Consumer group id.")],
    topic: Annotated[
        list[str] | None,
        typer.Option("--topic", "-t", help="Topic to reset (repeatable); default: all committed."),
    ] = None,
    to_earliest: Annotated[bool, typer.Option("--to-earliest")] = False,
    to_latest: Annotated[bool, typer.Option("--to-latest")] = False,
    to_offset: Annotated[int | None, typer.Option("--to-offset")] = None,
    to_datetime: Annotated[
        str | None, typer.Option("--to-datetime", help="ISO 8601, e.g. 2024-01-31T12:00:00Z.")
    ] = None,
    to_timestamp: Annotated[
        int | None, typer.Option("--to-timestamp", help="Milliseconds since the epoch.")
    ] = None,
    execute: Annotated[
        bool, typer.Option("--execute", help="Apply the plan (default: dry run).")
    ] = False,
    bootstrap_server: BootstrapServers = DEFAULT_BOOTSTRAP_SERVERS,
    request_timeout: RequestTimeout = DEFAULT_REQUEST_TIMEOUT,
) -> None:
    """Move a group's committed offsets; the group must have no active members."""
    target = _target(to_earliest, to_latest, to_offset, to_datetime, to_timestamp)
    admin, metadata = connect_admin(bootstrap_server, request_timeout)
    description = _describe(admin, group, request_timeout)
    if _state(description.state) not in INACTIVE_STATES or description.members:
        raise CliError(
            f"cannot reset offsets of group {group!r}: it has {len(description.members)} active "
            "member(s); stop its consumers first"
        )
    committed = _committed(admin, group, request_timeout)
    partitions = _partitions(metadata, topic, committed)
    plan = _plan(bootstrap_server, partitions, target, request_timeout)
    table = Table("topic", "partition", "current offset", "new offset")
    for (name, partition), new in sorted(plan.items()):
        current = committed.get((name, partition), -1)
        table.add_row(name, str(partition), str(current) if current >= 0 else "-", str(new))
    stdout.print(table)
    if not execute:
        status("dry run: nothing changed (add --execute to apply)")
        return
    request = [
        ConsumerGroupTopicPartitions(
            group, [TopicPartition(t, p, offset) for (t, p), offset in sorted(plan.items())]
        )
    ]
    futures = admin.alter_consumer_group_offsets(request, request_timeout=request_timeout)
    _result(futures[group], "reset offsets of", group, request_timeout + 5)
    status(f"reset {len(plan)} partition(s) of group {group!r}")


def _target(
    earliest: bool, latest: bool, offset: int | None, when: str | None, timestamp: int | None
) -> tuple[str, int]:
    """The one reset target the user chose: (kind, value)."""
    chosen = [
        (name, value)
        for name, value, given in (
            ("earliest", 0, earliest),
            ("latest", 0, latest),
            ("offset", offset or 0, offset is not None),
            ("timestamp", timestamp or 0, timestamp is not None),
            ("timestamp", _parse_datetime(when) if when else 0, when is not None),
        )
        if given
    ]
    if len(chosen) != 1:
        raise CliError(
            "choose exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, "
            "--to-timestamp",
            exit_code=2,
        )
    return chosen[0]


def _parse_datetime(text: str) -> int:
    try:
        return int(datetime.fromisoformat(text).timestamp() * 1000)
    except ValueError as exc:
        raise CliError(
            f"--to-datetime expects ISO 8601 (2024-01-31T12:00:00Z), got {text!r}"
        ) from exc


def _partitions(
    metadata: Any, topics: list[str] | None, committed: dict[tuple[str, int], int]
) -> list[tuple[str, int]]:
    if not topics:
        return sorted(committed)
    partitions = []
    for name in topics:
        topic_metadata = metadata.topics.get(name)
        if topic_metadata is None or topic_metadata.error is not None:
            raise CliError(f"topic {name!r} does not exist")
        partitions += [(name, p) for p in sorted(topic_metadata.partitions)]
    return partitions


def _plan(
    bootstrap: str, partitions: list[tuple[str, int]], target: tuple[str, int], timeout: float
) -> dict[tuple[str, int], int]:
    """The new offset of every partition, kept inside the log (as Kafka's tool does)."""
    kind, value = target
    consumer = Consumer(consumer_config(bootstrap))
    try:
        plan = {}
        for name, partition in partitions:
            tp = TopicPartition(name, partition)
            low, high = consumer.get_watermark_offsets(tp, timeout=timeout)
            if kind == "earliest":
                plan[(name, partition)] = low
            elif kind == "latest":
                plan[(name, partition)] = high
            elif kind == "offset":
                plan[(name, partition)] = min(max(value, low), high)
            else:
                found = consumer.offsets_for_times(
                    [TopicPartition(name, partition, value)], timeout
                )
                offset = found[0].offset
                plan[(name, partition)] = high if offset < 0 else offset
        return plan
    finally:
        consumer.close()


@group_app.command("delete")
def delete(
    group: GroupId,
    *,
    bootstrap_server: BootstrapServers = DEFAULT_BOOTSTRAP_SERVERS,
    request_timeout: RequestTimeout = DEFAULT_REQUEST_TIMEOUT,
) -> None:
    """Delete a group without members, and its committed offsets."""
    admin, _ = connect_admin(bootstrap_server, request_timeout)
    futures = admin.delete_consumer_groups([group], request_timeout=request_timeout)
    _result(futures[group], "delete", group, request_timeout + 5)
    status(f"deleted group {group!r}")
