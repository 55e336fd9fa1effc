"""How the CLI connects to a broker: the shared options and confluent-kafka client configs.

The CLI is a Kafka client like any other, so every command that talks to a broker works
against Apache Kafka too.
"""

import logging
import uuid
from typing import Annotated, Any

import typer
from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import AdminClient

from kaspar.cli.errors import CliError

BOOTSTRAP_SERVERS_ENV = "KASPAR_BOOTSTRAP_SERVERS"
DEFAULT_BOOTSTRAP_SERVERS = "localhost:9092"
DEFAULT_REQUEST_TIMEOUT = 10.0

BootstrapServers = Annotated[
    str,
    typer.Option(
        "--bootstrap-server",
        "-b",
        envvar=BOOTSTRAP_SERVERS_ENV,
        help="Broker address host:port (comma-separated for several).",
    ),
]
ServiceBootstrapServers = Annotated[
    str,
    typer.Option(
        "--bootstrap-servers",
        "-b",
        envvar=BOOTSTRAP_SERVERS_ENV,
        help="Kafka brokers host:port (comma-separated), kaspar or Apache Kafka.",
    ),
]
"""The Kafka a service (registry, REST proxy) keeps its state in and serves."""
RequestTimeout = Annotated[
    float,
    typer.Option("--request-timeout", min=0.1, help="Seconds to wait for the broker."),
]
ConfigOption = Annotated[
    list[str] | None,
    typer.Option("--config", "-c", help="key=value, may be repeated."),
]

# librdkafka logs connection failures itself; the CLI reports them as one clear line instead.
_client_log = logging.getLogger("kaspar.cli.librdkafka")
_client_log.addHandler(logging.NullHandler())
_client_log.propagate = False


def parse_key_values(pairs: list[str] | None, option: str) -> dict[str, str]:
    """Parse repeated `key=value` options, naming the option and the expected form on error."""
    parsed: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CliError(f"{option} expects key=value, got {pair!r}", exit_code=2)
        parsed[key.strip()] = value
    return parsed


def client_config(bootstrap_servers: str, **settings: Any) -> dict[str, Any]:
    """A confluent-kafka config for `bootstrap_servers` with librdkafka's own logging muted."""
    return {"bootstrap.servers": bootstrap_servers, "logger": _client_log, **settings}


def consumer_config(
    bootstrap_servers: str, group_id: str | None = None, from_beginning: bool = False
) -> dict[str, Any]:
    """A consumer config; without a group, a throwaway group id that never commits offsets.

    librdkafka insists on a `group.id` even for consumers that only assign partitions by hand.
    """
    return client_config(
        bootstrap_servers,
        **{
            "group.id": group_id or f"kaspar-cli-{uuid.uuid4().hex[:12]}",
            "enable.auto.commit": group_id is not None,
            "enable.partition.eof": True,
            "auto.offset.reset": "earliest" if from_beginning else "latest",
        },
    )


def unreachable(bootstrap_servers: str, timeout: float) -> CliError:
    """The error every command reports when no broker answers."""
    return CliError(f"cannot reach broker at {bootstrap_servers} within {timeout:g}s")


def fetch_metadata(
    client: AdminClient | Producer | Consumer, bootstrap: str, timeout: float
) -> Any:
    """Cluster metadata (topics, partitions, leaders), or a clear error if no broker answers."""
    try:
        return client.list_topics(timeout=timeout)
    except KafkaException as exc:
        raise unreachable(bootstrap, timeout) from exc


def connect_admin(bootstrap_servers: str, timeout: float) -> tuple[AdminClient, Any]:
    """An AdminClient and the cluster metadata it fetched to prove the broker is reachable."""
    admin = AdminClient(client_config(bootstrap_servers))
    return admin, fetch_metadata(admin, bootstrap_servers, timeout)


def require_topic(metadata: Any, topic: str, bootstrap_servers: str) -> Any:
    """The metadata of `topic`, or an error saying it does not exist."""
    topic_metadata = metadata.topics.get(topic)
    if topic_metadata is None or topic_metadata.error is not None:
        raise CliError(
            f"topic {topic!r} does not exist on {bootstrap_servers} "
            f"(create it with: kaspar topic create {topic})"
        )
    return topic_metadata
