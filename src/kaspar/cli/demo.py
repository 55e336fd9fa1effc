"""`kaspar demo`: seed 001's pipeline end to end — Kafka -> Structured Streaming -> Delta Lake.

1. Start an embedded kaspar broker on a free loopback port (or use `--bootstrap-server`).
2. Create the topic `orders` with 3 partitions (kept if it already exists).
3. Produce `--records` JSON order events keyed by customer, with a progress bar.
4. Run the seed's streaming query with `kaspar.sql` (PySpark's API): read `orders` from Kafka,
   `from_json`, `groupBy("customerId").agg(sum("amount"))`, written to a Delta table in complete
   mode with a checkpoint, with live progress from `query.lastProgress`.
5. Read the events back with a plain Kafka consumer and check the Delta totals against them.
6. Print the totals, the offsets per partition, and where the Delta table is and how to read it.
"""

import contextlib
import json
import random
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import NewTopic  # type: ignore[attr-defined]  # re-exported
from rich.progress import Progress
from rich.table import Table

from kaspar.cli.broker import load_broker_class
from kaspar.cli.client_config import client_config, connect_admin, consumer_config
from kaspar.cli.errors import CliError
from kaspar.cli.terminal import stderr, stdout

TOPIC = "orders"
PARTITIONS = 3
CUSTOMERS = ("ada", "grace", "linus", "margaret", "ken", "barbara")
TIMEOUT = 10.0
READ_DEADLINE = 30.0


@dataclass
class OrderTotals:
    """What the demo read back: per customer and per partition."""

    orders: Counter[str] = field(default_factory=Counter)
    amount: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    per_partition: Counter[int] = field(default_factory=Counter)

    def add(self, partition: int, value: bytes) -> None:
        """Count one order event."""
        order = json.loads(value)
        self.orders[order["customerId"]] += 1
        self.amount[order["customerId"]] += order["amount"]
        self.per_partition[partition] += 1


def order_events(count: int, seed: int = 7) -> Iterator[tuple[str, bytes]]:
    """(customer, JSON order event) pairs: order_id, customer, amount, ts (epoch ms)."""
    rng = random.Random(seed)  # noqa: S311 (sample data, not cryptography)
    now_ms = int(time.time() * 1000)
    for number in range(count):
        customer = rng.choice(CUSTOMERS)
        order = {
            "order_id": f"order-{number + 1:06d}",
            "customerId": customer,
            "amount": round(rng.uniform(5, 250), 2),
            "ts": now_ms + number,
        }
        yield customer, json.dumps(order).encode()


@contextlib.contextmanager
def running_broker(data_dir: Path | None, bootstrap_servers: str | None) -> Iterator[str]:
    """Bootstrap servers of the broker the demo uses: an embedded one unless one is given."""
    if bootstrap_servers is not None:
        yield bootstrap_servers
        return
    assert data_dir is not None
    broker = load_broker_class()(data_dir, host="127.0.0.1", port=0)
    broker.start()
    try:
        stderr.print(f"started an embedded kaspar broker on {broker.bootstrap_servers}")
        yield broker.bootstrap_servers
    finally:
        broker.stop()


def ensure_topic(bootstrap: str) -> None:
    """Create `orders` unless it exists."""
    admin, metadata = connect_admin(bootstrap, TIMEOUT)
    if TOPIC in metadata.topics:
        return
    topic = NewTopic(TOPIC, num_partitions=PARTITIONS, replication_factor=1)
    admin.create_topics([topic], request_timeout=TIMEOUT)[TOPIC].result(timeout=TIMEOUT)


def log_end_offsets(bootstrap: str) -> dict[int, int]:
    """Log end offset (high watermark) of each partition of `orders`."""
    consumer = Consumer(consumer_config(bootstrap))
    try:
        partitions = consumer.list_topics(TOPIC, timeout=TIMEOUT).topics[TOPIC].partitions
        return {
            partition: consumer.get_watermark_offsets(
                TopicPartition(TOPIC, partition), timeout=TIMEOUT
            )[1]
            for partition in sorted(partitions)
        }
    finally:
        consumer.close()


def produce_orders(bootstrap: str, count: int, progress: Progress) -> None:
    """Produce `count` order events keyed by customer; fail if any is not delivered."""
    producer = Producer(client_config(bootstrap, acks="all", **{"linger.ms": 5}))
    task = progress.add_task("producing orders", total=count)
    failures: list[str] = []

    def on_delivery(error: Any, _message: Any) -> None:
        if error is not None:
            failures.append(error.str())
        progress.advance(task)

    for customer, value in order_events(count):
        while True:
            try:
                producer.produce(TOPIC, value=value, key=customer, on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    producer.flush(READ_DEADLINE)
    if failures or len(producer):
        raise CliError(f"{len(failures) or len(producer)} order(s) not delivered: {failures[:1]}")


def read_orders(
    bootstrap: str, starts: dict[int, int], ends: dict[int, int], progress: Progress
) -> OrderTotals:
    """Read every partition from `starts` to `ends` and total the orders."""
    consumer = Consumer(consumer_config(bootstrap))
    totals = OrderTotals()
    positions = dict(starts)
    task = progress.add_task("reading orders back", total=sum(ends[p] - starts[p] for p in ends))
    consumer.assign([TopicPartition(TOPIC, p, offset) for p, offset in starts.items()])
    deadline = time.monotonic() + READ_DEADLINE
    try:
        while any(positions[p] < ends[p] for p in ends) and time.monotonic() < deadline:
            for message in consumer.consume(num_messages=500, timeout=0.2):
                partition, offset, value = message.partition(), message.offset(), message.value()
                if message.error() is not None or partition is None or offset is None:
                    continue
                positions[partition] = max(positions[partition], offset + 1)
                if offset < ends[partition]:  # records after `ends` belong to other producers
                    totals.add(partition, value or b"{}")
                    progress.advance(task)
    finally:
        consumer.close()
    if any(positions[p] < ends[p] for p in ends):
        raise CliError(f"read only up to offsets {positions} of {ends} in {READ_DEADLINE:g}s")
    return totals


def run_pipeline(bootstrap: str, workspace: Path, total: int, progress: Progress) -> Path:
    """Seed 001's streaming query, as the seed writes it, run until the topic is drained."""
    from kaspar.sql import SparkSession
    from kaspar.sql.functions import col, from_json
    from kaspar.sql.functions import sum as _sum
    from kaspar.sql.types import DoubleType, StringType, StructType

    spark = SparkSession.builder.appName("kaspar-demo").getOrCreate()
    orders = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", bootstrap)
        .option("subscribe", TOPIC)
        .option("startingOffsets", "earliest")
        .option("maxOffsetsPerTrigger", str(max(250, total // 4)))
        .load()
    )
    schema = StructType().add("customerId", StringType()).add("amount", DoubleType())
    parsed = orders.select(from_json(col("value").cast("string"), schema).alias("data")).select(
        "data.*"
    )
    totals = parsed.groupBy("customerId").agg(_sum("amount").alias("total"))
    table = workspace / "order_totals"
    query = (
        totals.writeStream.format("delta")
        .outputMode("complete")
        .option("checkpointLocation", str(workspace / "checkpoints" / "totals"))
        .trigger(availableNow=True)
        .start(str(table))
    )
    task = progress.add_task("streaming Kafka -> Delta", total=total)
    seen, rows = 0, 0
    while query.isActive or seen < len(query.recentProgress):
        batches = query.recentProgress
        for batch in batches[seen:]:
            rows += batch["numInputRows"]
            progress.update(
                task,
                advance=batch["numInputRows"],
                description=f"streaming Kafka -> Delta: {batch['batchId'] + 1} batches, "
                f"{rows:,} rows (last batch {batch['durationMs']['triggerExecution']} ms)",
            )
        seen = len(batches)
        query.awaitTermination(0.1)
    if query.exception() is not None:
        raise CliError(f"the streaming query failed: {query.exception()}")
    return table


def delta_totals(table: Path) -> dict[str, float]:
    from kaspar.sql import SparkSession

    spark = SparkSession.builder.getOrCreate()
    rows = spark.read.format("delta").load(str(table)).collect()
    return {row.customerId: row.total for row in rows}


def customer_table(totals: OrderTotals, delta: dict[str, float]) -> Table:
    """Orders and amount per customer: the Delta table next to a plain consumer's count."""
    table = Table(
        "customer", "orders", "total (Delta)", "total (consumer)", title="totals per customer"
    )
    for customer in sorted(totals.orders):
        amount = totals.amount[customer]
        table.add_row(
            customer,
            str(totals.orders[customer]),
            f"{delta.get(customer, 0.0):,.2f}",
            f"{amount:,.2f}",
        )
    all_amount = sum(totals.amount.values())
    table.add_row(
        "[bold]all[/]",
        f"[bold]{totals.orders.total()}[/]",
        f"[bold]{sum(delta.values()):,.2f}[/]",
        f"[bold]{all_amount:,.2f}[/]",
    )
    return table


def partition_table(starts: dict[int, int], ends: dict[int, int], totals: OrderTotals) -> Table:
    """Records read and offsets per partition."""
    table = Table("partition", "records read", "first offset", "log end offset", title=TOPIC)
    for partition in sorted(ends):
        read = totals.per_partition[partition]
        table.add_row(str(partition), str(read), str(starts[partition]), str(ends[partition]))
    return table


def demo(
    *,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", "-d", help="Broker data directory [default: a new temp dir]."),
    ] = None,
    records: Annotated[int, typer.Option("--records", "-n", min=1, max=1_000_000)] = 1000,
    bootstrap_server: Annotated[
        str | None,
        typer.Option(
            "--bootstrap-server", "-b", help="Use this running broker, not an embedded one."
        ),
    ] = None,
) -> None:
    """Seed 001's pipeline: broker, orders topic, Structured Streaming totals into Delta."""
    if data_dir is None:
        data_dir = Path(tempfile.mkdtemp(prefix="kaspar-demo-"))
    workspace = data_dir / "lake"
    with running_broker(data_dir, bootstrap_server) as bootstrap:
        ensure_topic(bootstrap)
        with Progress(console=stderr, transient=False) as progress:
            produce_orders(bootstrap, records, progress)
            ends = log_end_offsets(bootstrap)
            table = run_pipeline(bootstrap, workspace, sum(ends.values()), progress)
            totals = read_orders(bootstrap, dict.fromkeys(ends, 0), ends, progress)
    delta = delta_totals(table)
    stdout.print(customer_table(totals, delta))
    stdout.print(partition_table(dict.fromkeys(ends, 0), ends, totals))
    mismatched = [c for c in totals.amount if abs(delta.get(c, 0.0) - totals.amount[c]) > 1e-6]
    if mismatched or set(delta) != set(totals.amount):
        raise CliError(f"the Delta totals differ from the topic for {mismatched or 'customers'}")
    location = table.resolve()
    stdout.print(f"the Delta table of order totals is at {location}", soft_wrap=True)
    stdout.print("read it with PySpark's API on kaspar:")
    stdout.print(
        "  from kaspar.sql import SparkSession\n"
        "  spark = SparkSession.builder.getOrCreate()\n"
        f'  spark.read.format("delta").load("{location}").show()',
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    stdout.print(
        f'or with the deltalake package: DeltaTable("{location}").to_pandas()', soft_wrap=True
    )
    if bootstrap_server is None:
        stdout.print(
            f"the broker has stopped; its data lives in {data_dir.resolve()}", soft_wrap=True
        )
