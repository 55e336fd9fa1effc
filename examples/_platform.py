"""Where an example's Kafka runs: an embedded kaspar broker, or the one `--bootstrap-servers` names.

Every example accepts the same options (`add_platform_arguments`):

* `--bootstrap-servers host:port`: use this running Kafka (Apache Kafka, kaspar, any other);
  without it the example starts a kaspar broker inside its own process, on 127.0.0.1.
* `--data-dir DIR`: where the embedded broker keeps its log and the pipeline writes its tables
  and checkpoints (default: a new temporary directory, kept so you can look at it afterwards).
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Platform:
    """The Kafka an example talks to, and the directory it writes to."""

    bootstrap_servers: str
    data_dir: Path
    embedded: bool


def add_platform_arguments(parser: argparse.ArgumentParser) -> None:
    """Add `--bootstrap-servers` and `--data-dir` to an example's command line."""
    parser.add_argument(
        "--bootstrap-servers",
        help="host:port of a running Kafka; without it an embedded kaspar broker is started",
    )
    parser.add_argument(
        "--data-dir", type=Path, help="directory for the broker log, tables and checkpoints"
    )


@contextlib.contextmanager
def kafka_platform(bootstrap_servers: str | None, data_dir: Path | None) -> Iterator[Platform]:
    """The given Kafka, or an embedded kaspar broker that stops when the block ends."""
    if data_dir is None:
        data_dir = Path(tempfile.mkdtemp(prefix="kaspar-example-"))
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    if bootstrap_servers:
        yield Platform(bootstrap_servers, data_dir, embedded=False)
        return
    from kaspar.broker import Broker

    with Broker(data_dir / "broker", host="127.0.0.1", port=0) as broker:
        yield Platform(broker.bootstrap_servers, data_dir, embedded=True)


def create_topics(bootstrap_servers: str, partitions: Mapping[str, int]) -> None:
    """Create each topic with its number of partitions, unless it exists."""
    admin = AdminClient({"bootstrap.servers": bootstrap_servers})
    existing = admin.list_topics(timeout=TIMEOUT_S).topics
    new = [
        NewTopic(name, num_partitions=n) for name, n in partitions.items() if name not in existing
    ]
    if not new:
        return
    for future in admin.create_topics(new, operation_timeout=TIMEOUT_S).values():
        future.result(timeout=TIMEOUT_S)


def produce(bootstrap_servers: str, topic: str, records: Iterable[tuple[str | None, str]]) -> int:
    """Produce (key, value) pairs with acks=all; returns how many, raises if any is lost."""
    producer = Producer({"bootstrap.servers": bootstrap_servers, "acks": "all"})
    failures: list[str] = []

    def on_delivery(error: object, _message: object) -> None:
        if error is not None:
            failures.append(str(error))

    count = 0
    for key, value in records:
        producer.produce(topic, key=key, value=value, on_delivery=on_delivery)
        producer.poll(0)
        count += 1
    if producer.flush(TIMEOUT_S) or failures:
        raise RuntimeError(f"records not delivered to {topic}: {failures[:3]}")
    return count
