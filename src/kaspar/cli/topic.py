"""`kaspar topic create|list|describe|delete`, through confluent-kafka's AdminClient."""

from typing import Annotated, Any

import typer
from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import (  # type: ignore[attr-defined]  # re-exported, no __all__
    AdminClient,
    ConfigResource,
    ConfigSource,
    NewTopic,
    ResourceType,
)
from rich.table import Table

from kaspar.cli.client_config import (
    DEFAULT_BOOTSTRAP_SERVERS,
    DEFAULT_REQUEST_TIMEOUT,
    BootstrapServers,
    ConfigOption,
    RequestTimeout,
    connect_admin,
    consumer_config,
    parse_key_values,
    require_topic,
)
from kaspar.cli.errors import CliError
from kaspar.cli.terminal import status, stdout

topic_app = typer.Typer(help="Create, list, describe and delete topics.", no_args_is_help=True)

TopicName = Annotated[str, typer.Argument(help="Topic name.", show_default=False)]


def await_result(future: Any, action: str, topic: str, bootstrap: str, timeout: float) -> None:
    """Wait for one admin future, turning Kafka errors into a one-line message."""
    try:
        future.result(timeout=timeout)
    except KafkaException as exc:
        error: KafkaError = exc.args[0]
        reason = error.str()
        if error.code() == KafkaError._TRANSPORT:
            reason = f"the broker at {bootstrap} dropped the connection ({reason})"
        raise CliError(f"cannot {action} topic {topic!r}: {reason}") from exc
    except TimeoutError as exc:  # concurrent.futures.TimeoutError is TimeoutError on 3.11
        reason = f"no answer from {bootstrap} within {timeout:g}s"
        raise CliError(f"cannot {action} topic {topic!r}: {reason}") from exc


@topic_app.command("create")
def create(
    name: TopicName,
    *,
    partitions: Annotated[int, typer.Option("--partitions", "-p", min=1)] = 1,
    replication_factor: Annotated[int, typer.Option("--replication-factor", "-r", min=1)] = 1,
    config: ConfigOption = None,
    if_not_exists: Annotated[
        bool, typer.Option("--if-not-exists", help="Succeed if the topic already exists.")
    ] = False,
    bootstrap_server: BootstrapServers = DEFAULT_BOOTSTRAP_SERVERS,
    request_timeout: RequestTimeout = DEFAULT_REQUEST_TIMEOUT,
) -> None:
    """Create a topic."""
    configs = parse_key_values(config, "--config")
    admin, metadata = connect_admin(bootstrap_server, request_timeout)
    if name in metadata.topics and if_not_exists:
        status(f"topic {name!r} already exists")
        return
    new_topic = NewTopic(
        name, num_partitions=partitions, replication_factor=replication_factor, config=configs
    )
    futures = admin.create_topics([new_topic], request_timeout=request_timeout)
    try:
        await_result(futures[name], "create", name, bootstrap_server, request_timeout)
    except CliError:
        if if_not_exists and name in admin.list_topics(timeout=request_timeout).topics:
            status(f"topic {name!r} already exists")
            return
        raise
    status(f"created topic {name!r} with {partitions} partition(s)")


@topic_app.command("list")
def list_topics(
    *,
    internal: Annotated[
        bool, typer.Option("--internal", help="Also list internal topics (names with __).")
    ] = False,
    bootstrap_server: BootstrapServers = DEFAULT_BOOTSTRAP_SERVERS,
    request_timeout: RequestTimeout = DEFAULT_REQUEST_TIMEOUT,
) -> None:
    """List topic names, one per line."""
    _, metadata = connect_admin(bootstrap_server, request_timeout)
    for name in sorted(metadata.topics):
        if internal or not name.startswith("__"):
            stdout.print(name, markup=False, soft_wrap=True)


@topic_app.command("delete")
def delete(
    name: TopicName,
    *,
    bootstrap_server: BootstrapServers = DEFAULT_BOOTSTRAP_SERVERS,
    request_timeout: RequestTimeout = DEFAULT_REQUEST_TIMEOUT,
) -> None:
    """Delete a topic and its data."""
    admin, metadata = connect_admin(bootstrap_server, request_timeout)
    require_topic(metadata, name, bootstrap_server)
    futures = admin.delete_topics([name], request_timeout=request_timeout)
    await_result(futures[name], "delete", name, bootstrap_server, request_timeout)
    status(f"deleted topic {name!r}")


@topic_app.command("describe")
def describe(
    name: TopicName,
    *,
    bootstrap_server: BootstrapServers = DEFAULT_BOOTSTRAP_SERVERS,
    request_timeout: RequestTimeout = DEFAULT_REQUEST_TIMEOUT,
) -> None:
    """Show partitions (leader, log start and end offsets) and configs of a topic."""
    admin, metadata = connect_admin(bootstrap_server, request_timeout)
    topic_metadata = require_topic(metadata, name, bootstrap_server)
    stdout.print(f"[bold]{name}[/bold]  partitions: {len(topic_metadata.partitions)}")
    stdout.print(partition_table(name, topic_metadata, bootstrap_server, request_timeout))
    stdout.print(config_table(admin, name, request_timeout))


def partition_table(name: str, topic_metadata: Any, bootstrap: str, timeout: float) -> Table:
    """Partition, leader, replicas and the log start/end offsets (watermarks) of each partition."""
    table = Table("partition", "leader", "replicas", "log start offset", "log end offset")
    consumer = Consumer(consumer_config(bootstrap))
    try:
        for partition_id in sorted(topic_metadata.partitions):
            partition = topic_metadata.partitions[partition_id]
            try:
                low, high = consumer.get_watermark_offsets(
                    TopicPartition(name, partition_id), timeout=timeout
                )
                offsets = (str(low), str(high))
            except KafkaException as exc:
                offsets = ("?", f"? ({exc.args[0].str()})")
            replicas = ",".join(str(r) for r in partition.replicas)
            table.add_row(str(partition_id), str(partition.leader), replicas, *offsets)
    finally:
        consumer.close()
    return table


def config_table(admin: AdminClient, name: str, timeout: float) -> Table | str:
    """Topic configs from DescribeConfigs; non-default values are listed first, marked `*`."""
    resource = ConfigResource(ResourceType.TOPIC, name)
    try:
        entries = admin.describe_configs([resource], request_timeout=timeout)[resource].result(
            timeout=timeout
        )
    except (KafkaException, TimeoutError) as exc:
        return f"configs: unavailable ({exc})"
    table = Table("", "config", "value", "source", title="configs (* = not the default)")
    ordered = sorted(entries.values(), key=lambda entry: (entry.is_default, entry.name))
    for entry in ordered:
        value = "(sensitive)" if entry.is_sensitive else str(entry.value)
        source = ConfigSource(entry.source).name.lower()
        table.add_row("" if entry.is_default else "*", entry.name, value, source)
    return table
