"""Client snippets: seed 001's confluent-kafka producer and consumer group, kafka-python, on kaspar.

`producer.py` and `consumer.py` are the seed's code; `kafka_python_snippets.py` is the same with
kafka-python. They name `localhost:9092` (where `kaspar broker` listens by default), so with a
broker there they run as they are. This script runs them against its own broker:

1. Create the topic `orders` with 2 partitions.
2. Start `consumer.py` twice: two members of the group `order-processor`, which split the two
   partitions between them. Wait until the group is stable with both members assigned.
3. Run `producer.py` (one order, with a delivery report), then produce 7 more orders keyed
   `order-2` .. `order-8` so that both partitions get some.
4. Wait until the consumers have printed every order, then interrupt them (Ctrl-C), which runs
   their `finally: consumer.close()`. Each order was received once, by the member that owns its
   partition.
5. Run `kafka_python_snippets.py`: kafka-python produces one more order with a delivery callback,
   and a consumer in its own group reads all 9 from the earliest offset.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `examples` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from confluent_kafka import ConsumerGroupState
from confluent_kafka.admin import AdminClient

from examples._platform import add_platform_arguments, create_topics, kafka_platform, produce

HERE = Path(__file__).resolve().parent
TOPIC, GROUP = "orders", "order-processor"
MORE_ORDERS = 7
WAIT_S = 30.0
RECEIVED = re.compile(r"Received: (.*) from partition (\d+)")


def snippet(name: str, bootstrap_servers: str) -> list[str]:
    """The command that runs a snippet file, its `localhost:9092` pointed at our broker."""
    code = (HERE / name).read_text().replace("localhost:9092", bootstrap_servers)
    return [sys.executable, "-c", code]


def wait_for_group(bootstrap_servers: str, members: int) -> None:
    """Wait until the group is stable with `members` members that each own a partition."""
    admin = AdminClient({"bootstrap.servers": bootstrap_servers})
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        group = admin.describe_consumer_groups([GROUP])[GROUP].result(timeout=WAIT_S)
        assigned = [m for m in group.members if m.assignment.topic_partitions]
        if group.state == ConsumerGroupState.STABLE and len(assigned) == members:
            return
        time.sleep(0.2)
    raise TimeoutError(f"group {GROUP} did not get {members} assigned members in {WAIT_S} s")


def received(output: str) -> list[tuple[str, int]]:
    return [(value, int(partition)) for value, partition in RECEIVED.findall(output)]


def run_consumer_group(bootstrap_servers: str) -> list[str]:
    """Steps 2-4: two seed consumers in one group, the seed producer, and what each received."""
    consumers = [
        subprocess.Popen(
            snippet("consumer.py", bootstrap_servers),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,  # Ctrl-C ends the seed's loop with a KeyboardInterrupt
            text=True,
        )
        for _ in range(2)
    ]
    try:
        wait_for_group(bootstrap_servers, members=2)
        producer = subprocess.run(
            snippet("producer.py", bootstrap_servers),
            capture_output=True,
            text=True,
            timeout=WAIT_S,
            check=True,
        )
        print(f"producer.py: {producer.stdout.strip()}")
        orders = [
            (f"order-{n}", json.dumps({"item": f"Part-{n}", "qty": 1}))
            for n in range(2, MORE_ORDERS + 2)
        ]
        produce(bootstrap_servers, TOPIC, orders)
        wait_for_offsets(bootstrap_servers, 1 + MORE_ORDERS)
    finally:
        for consumer in consumers:
            consumer.send_signal(signal.SIGINT)  # Ctrl-C: the snippet's `finally` closes it
    outputs = [consumer.communicate(timeout=WAIT_S) for consumer in consumers]
    for stdout, stderr in outputs:
        if not stdout.strip() or "KeyboardInterrupt" not in stderr:
            raise RuntimeError(f"a consumer ended unexpectedly:\n{stdout}\n{stderr}")
    return [stdout for stdout, _ in outputs]


def wait_for_offsets(bootstrap_servers: str, total: int) -> None:
    """Wait until the group has committed offsets past every order (auto commit, every 5 s)."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap_servers, "group.id": GROUP})
    try:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            committed = consumer.committed(
                [TopicPartition(TOPIC, 0), TopicPartition(TOPIC, 1)], timeout=WAIT_S
            )
            if sum(max(tp.offset, 0) for tp in committed) >= total:
                return
            time.sleep(0.2)
    finally:
        consumer.close()
    raise TimeoutError(f"group {GROUP} did not commit {total} records in {WAIT_S} s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_platform_arguments(parser)
    args = parser.parse_args(argv)
    with kafka_platform(args.bootstrap_servers, args.data_dir) as platform:
        bootstrap = platform.bootstrap_servers
        print(f"Kafka at {bootstrap}")
        create_topics(bootstrap, {TOPIC: 2})
        outputs = run_consumer_group(bootstrap)
        for member, output in enumerate(outputs, 1):
            partitions = sorted({partition for _, partition in received(output)})
            print(f"\nconsumer.py #{member} (group {GROUP}), partitions {partitions}:")
            print(output.strip())
        kafka_python = subprocess.run(
            snippet("kafka_python_snippets.py", bootstrap),
            capture_output=True,
            text=True,
            timeout=WAIT_S,
            check=True,
        )
        print("\nkafka_python_snippets.py:")
        print(kafka_python.stdout.strip())


if __name__ == "__main__":
    main()
