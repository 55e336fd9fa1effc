"""`kaspar produce`: one record per stdin line, through confluent-kafka's Producer."""

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any, BinaryIO

import typer
from confluent_kafka import Producer

from kaspar.cli.client_config import (
    DEFAULT_BOOTSTRAP_SERVERS,
    DEFAULT_REQUEST_TIMEOUT,
    BootstrapServers,
    RequestTimeout,
    client_config,
    fetch_metadata,
    parse_key_values,
    require_topic,
)
from kaspar.cli.errors import CliError
from kaspar.cli.terminal import status

DELIVERY_TIMEOUT_MS = 30_000


class Acks(StrEnum):
    """How many replicas must have a record before the broker acknowledges it."""

    all = "all"
    leader = "1"
    none = "0"


class Compression(StrEnum):
    """Kafka's `compression.type` values."""

    none = "none"
    gzip = "gzip"
    snappy = "snappy"
    lz4 = "lz4"
    zstd = "zstd"


@dataclass
class DeliveryTally:
    """Counts the delivery reports of one produce run and keeps the first few errors."""

    delivered: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def on_delivery(self, error: Any, message: Any) -> None:
        """confluent-kafka delivery callback."""
        if error is None:
            self.delivered += 1
            return
        self.failed += 1
        if len(self.errors) < 3:
            self.errors.append(f"partition {message.partition()}: {error.str()}")


def read_records(
    lines: Iterable[bytes], key_separator: bytes | None
) -> Iterator[tuple[bytes | None, bytes]]:
    """(key, value) per line; the key is the text before the first separator, if one is given."""
    for number, raw in enumerate(lines, start=1):
        line = raw.removesuffix(b"\n").removesuffix(b"\r")
        if key_separator is None:
            yield None, line
            continue
        key, sep, value = line.partition(key_separator)
        if not sep:
            raise CliError(f"line {number} has no key separator {key_separator.decode()!r}")
        yield key, value


def send(producer: Any, topic: str, record: tuple[bytes | None, bytes], **options: Any) -> None:
    """Queue one record, serving delivery reports while librdkafka's queue is full."""
    key, value = record
    while True:
        try:
            producer.produce(topic, value=value, key=key, **options)
        except BufferError:
            producer.poll(0.1)
        else:
            producer.poll(0)
            return


def produce(
    topic: Annotated[str, typer.Argument(help="Topic to write to.", show_default=False)],
    *,
    key_separator: Annotated[
        str | None, typer.Option("--key-separator", "-K", help="Read each line as key<SEP>value.")
    ] = None,
    partition: Annotated[
        int | None, typer.Option("--partition", "-p", min=0, help="Write to this partition.")
    ] = None,
    acks: Annotated[Acks, typer.Option("--acks")] = Acks.all,
    compression: Annotated[Compression, typer.Option("--compression")] = Compression.none,
    header: Annotated[
        list[str] | None, typer.Option("--header", "-H", help="key=value header on every record.")
    ] = None,
    bootstrap_server: BootstrapServers = DEFAULT_BOOTSTRAP_SERVERS,
    request_timeout: RequestTimeout = DEFAULT_REQUEST_TIMEOUT,
) -> None:
    """Produce one record per line read from stdin."""
    if key_separator == "":
        raise CliError("--key-separator must not be empty", exit_code=2)
    headers = list(parse_key_values(header, "--header").items())
    producer = Producer(
        client_config(
            bootstrap_server,
            acks=acks.value,
            **{"compression.type": compression.value, "message.timeout.ms": DELIVERY_TIMEOUT_MS},
        )
    )
    metadata = fetch_metadata(producer, bootstrap_server, request_timeout)
    partitions = require_topic(metadata, topic, bootstrap_server).partitions
    if partition is not None and partition not in partitions:
        raise CliError(f"topic {topic!r} has no partition {partition} ({len(partitions)} in all)")
    options: dict[str, Any] = {"headers": headers} if headers else {}
    if partition is not None:
        options["partition"] = partition
    tally = DeliveryTally()
    options["on_delivery"] = tally.on_delivery
    separator = key_separator.encode() if key_separator is not None else None
    try:
        for record in read_records(stdin_lines(), separator):
            send(producer, topic, record, **options)
    finally:
        producer.flush()
    report(tally, topic)


def stdin_lines() -> BinaryIO:
    """stdin as bytes, so values pass through unchanged whatever their encoding."""
    return sys.stdin.buffer


def report(tally: DeliveryTally, topic: str) -> None:
    """Say how many records were delivered; fail if any were not."""
    status(f"delivered {tally.delivered} record(s) to {topic!r}")
    if tally.failed:
        details = "; ".join(tally.errors)
        raise CliError(f"{tally.failed} record(s) were not delivered: {details}")
