"""`kaspar consume`: print records to stdout, one per line, like kafka-console-consumer.

Without `--group` the partitions are assigned by hand (no consumer group is needed on the
broker). The command stops after `--max` records, or once every partition has reached the log
end offset it had at start and nothing new arrived for `--timeout` seconds.
"""

import sys
import time
from dataclasses import dataclass, field
from typing import Annotated, Any, BinaryIO

import typer
from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from kaspar.cli.client_config import (
    DEFAULT_BOOTSTRAP_SERVERS,
    DEFAULT_REQUEST_TIMEOUT,
    BootstrapServers,
    RequestTimeout,
    consumer_config,
    fetch_metadata,
    require_topic,
    unreachable,
)
from kaspar.cli.errors import CliError

POLL_SECONDS = 0.2
POLL_BATCH = 500


@dataclass
class CatchUp:
    """Which partitions have not yet reached the end of the log, and since when all is quiet.

    `pending` is None until partitions are assigned (group mode assigns them asynchronously).
    """

    pending: set[int] | None
    quiet_since: float = field(default_factory=time.monotonic)

    def caught_up(self, partition: int) -> None:
        """A partition reached the end of its log (or the end offset it had at start)."""
        if self.pending is not None and partition in self.pending:
            self.pending.discard(partition)
            self.quiet_since = time.monotonic()

    def idle_for(self, seconds: float) -> bool:
        """True once every partition is caught up and nothing arrived for `seconds`."""
        return self.pending == set() and time.monotonic() - self.quiet_since >= seconds


@dataclass(frozen=True)
class RecordFormat:
    """How a record becomes one output line."""

    print_key: bool
    key_separator: bytes

    def line(self, message: Any) -> bytes:
        """The record as `value\\n`, or `key<SEP>value\\n` with --print-key; null prints `null`."""
        value = message.value()
        text = b"null" if value is None else value
        if self.print_key:
            key = message.key()
            text = (b"null" if key is None else key) + self.key_separator + text
        return text + b"\n"


def check_options(
    from_beginning: bool, partition: int | None, offset: int | None, group: str | None
) -> None:
    """Reject option combinations that have no single meaning."""
    if offset is not None and partition is None:
        raise CliError("--offset needs --partition", exit_code=2)
    if offset is not None and from_beginning:
        raise CliError("--offset and --from-beginning exclude each other", exit_code=2)
    if group is not None and (partition is not None or offset is not None):
        raise CliError("--group cannot be combined with --partition or --offset", exit_code=2)


@dataclass(frozen=True)
class StartPosition:
    """Where a hand-assigned read starts."""

    from_beginning: bool
    offset: int | None
    bootstrap_servers: str
    timeout: float


def start_offset(consumer: Any, tp: TopicPartition, start: StartPosition) -> tuple[int, int]:
    """(start offset, log end offset at start) of one partition."""
    try:
        low, high = consumer.get_watermark_offsets(tp, timeout=start.timeout)
    except KafkaException as exc:
        raise unreachable(start.bootstrap_servers, start.timeout) from exc
    if start.offset is None:
        return (low if start.from_beginning else high), high
    if not low <= start.offset <= high:
        raise CliError(
            f"offset {start.offset} is outside partition {tp.partition}'s range {low}..{high}"
        )
    return start.offset, high


def assign_partitions(
    consumer: Any, topic: str, partitions: list[int], start: StartPosition
) -> CatchUp:
    """Assign partitions by hand at their start offsets; returns what must still be read."""
    assignment: list[TopicPartition] = []
    pending: set[int] = set()
    for partition in partitions:
        offset, end = start_offset(consumer, TopicPartition(topic, partition), start)
        assignment.append(TopicPartition(topic, partition, offset))
        if offset < end:
            pending.add(partition)
    consumer.assign(assignment)
    return CatchUp(pending)


def subscribe_group(consumer: Any, topic: str) -> CatchUp:
    """Join the consumer group; the partitions it is given count as pending once assigned."""
    catch_up = CatchUp(pending=None)

    def on_assign(_consumer: Any, partitions: list[TopicPartition]) -> None:
        catch_up.pending = {tp.partition for tp in partitions}
        catch_up.quiet_since = time.monotonic()

    consumer.subscribe([topic], on_assign=on_assign)
    return catch_up


def handle_error(error: KafkaError, partition: int, catch_up: CatchUp) -> None:
    """End-of-partition events mark progress; any other error ends the command."""
    if error.code() == KafkaError._PARTITION_EOF:
        catch_up.caught_up(partition)
    elif error.fatal() or not error.retriable():
        raise CliError(f"consume failed: {error.str()}")


@dataclass
class ReadLimits:
    """When reading stops."""

    max_records: int | None
    idle_timeout: float
    assign_timeout: float


def read_records(
    consumer: Any, catch_up: CatchUp, limits: ReadLimits, fmt: RecordFormat, out: BinaryIO
) -> int:
    """Write records to `out` until --max is reached or the log is caught up and quiet."""
    count, started = 0, time.monotonic()
    while limits.max_records is None or count < limits.max_records:
        left = POLL_BATCH if limits.max_records is None else limits.max_records - count
        messages = consumer.consume(num_messages=min(POLL_BATCH, left), timeout=POLL_SECONDS)
        for message in messages:
            error = message.error()
            if error is not None:
                handle_error(error, message.partition(), catch_up)
                continue
            out.write(fmt.line(message))
            count += 1
            catch_up.quiet_since = time.monotonic()
        out.flush()
        if catch_up.idle_for(limits.idle_timeout):
            break
        if catch_up.pending is None and time.monotonic() - started > limits.assign_timeout:
            raise CliError(f"no partitions were assigned within {limits.assign_timeout:g}s")
    return count


def consume(
    topic: Annotated[str, typer.Argument(help="Topic to read.", show_default=False)],
    *,
    from_beginning: Annotated[
        bool, typer.Option("--from-beginning", help="Start at the log start, not the end.")
    ] = False,
    max_records: Annotated[
        int | None, typer.Option("--max", "-n", min=1, help="Stop after this many records.")
    ] = None,
    partition: Annotated[int | None, typer.Option("--partition", "-p", min=0)] = None,
    offset: Annotated[
        int | None, typer.Option("--offset", "-o", min=0, help="Start offset (needs --partition).")
    ] = None,
    print_key: Annotated[bool, typer.Option("--print-key", help="Print key<SEP>value.")] = False,
    key_separator: Annotated[str, typer.Option("--key-separator", "-K")] = "\t",
    timeout: Annotated[
        float,
        typer.Option("--timeout", "-t", min=0, help="Stop when caught up and quiet this long."),
    ] = 5.0,
    group: Annotated[
        str | None, typer.Option("--group", "-g", help="Consume as a member of this group.")
    ] = None,
    bootstrap_server: BootstrapServers = DEFAULT_BOOTSTRAP_SERVERS,
    request_timeout: RequestTimeout = DEFAULT_REQUEST_TIMEOUT,
) -> None:
    """Print records of a topic to stdout, one per line."""
    check_options(from_beginning, partition, offset, group)
    consumer = Consumer(consumer_config(bootstrap_server, group, from_beginning))
    try:
        metadata = fetch_metadata(consumer, bootstrap_server, request_timeout)
        partitions = sorted(require_topic(metadata, topic, bootstrap_server).partitions)
        if partition is not None and partition not in partitions:
            raise CliError(f"topic {topic!r} has no partition {partition}")
        if group is None:
            chosen = partitions if partition is None else [partition]
            start = StartPosition(from_beginning, offset, bootstrap_server, request_timeout)
            catch_up = assign_partitions(consumer, topic, chosen, start)
        else:
            catch_up = subscribe_group(consumer, topic)
        limits = ReadLimits(max_records, timeout, assign_timeout=max(request_timeout, 30.0))
        fmt = RecordFormat(print_key, key_separator.encode())
        read_records(consumer, catch_up, limits, fmt, sys.stdout.buffer)
    except BrokenPipeError:
        pass  # the reader of our stdout went away (e.g. `| head`): stop quietly
    finally:
        consumer.close()
