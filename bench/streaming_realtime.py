"""End-to-end latency of ``trigger(realTime=...)``: Kafka -> query -> Kafka, per record.

```
.venv/bin/python -m bench.streaming_realtime                       # 10k events/s, 20 s each
.venv/bin/python -m bench.streaming_realtime --rate 10000 --seconds 20 --interval "5 seconds"
.venv/bin/python -m bench.streaming_realtime --seconds 5 --queries stateless --json-out /tmp/rt.json
```

A kaspar broker runs as its own process (``bench.launch``), and so does the query (this module
with ``--serve``: a real deployment's query does not share its interpreter, its GIL, with the
load generator). In the benchmark process a producer thread sends JSON events stamped with
``time.time_ns()`` at ``--rate`` per second (``linger.ms`` 1); the query parses them and
writes the event back to an output topic; a consumer thread (``read_uncommitted``, partition
assigned, no group join; ``fetch.wait.max.ms`` 1) stamps each record when ``poll`` hands it
over and records ``receive time - stamp``. (``consume(n, timeout)`` would not do: it returns
when ``n`` records are there or the timeout expires, so it stamps records up to the timeout
late.) Queries:

* **stateless**: ``from_json`` -> ``filter(amount >= 0)`` -> the event as ``value``;
* **dedup**: the same, then ``dropDuplicates(["seq"])`` (every event is new: state grows);
* **aggregation**: ``groupBy(user).agg(max(sent_ns))`` (update mode): the latency of an
  update is the time from the newest event of its group to the update's arrival.

The first ``--warmup`` seconds are left out. p50/p99/p999 in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from bench.launch import running
from bench.streaming_latency import ms_summary

SCHEMA = "sent_ns BIGINT, seq BIGINT, user STRING, amount DOUBLE"


def _producer_loop(servers: str, topic: str, rate: int, halt: threading.Event) -> None:
    producer = Producer({"bootstrap.servers": servers, "linger.ms": 1})
    sent, start = 0, time.perf_counter()
    while not halt.is_set():
        due = int((time.perf_counter() - start) * rate)
        while sent < due:
            event = {"sent_ns": time.time_ns(), "seq": sent, "user": f"u{sent % 1000}"}
            producer.produce(topic, json.dumps({**event, "amount": sent % 100}).encode())
            sent += 1
        producer.poll(0)
        time.sleep(0.0002)
    producer.flush(30)


STAGES = ("to_broker", "query", "to_consumer")


def _consumer_loop(
    servers: str, topic: str, skip_until_ns: int, out: dict[str, list[float]], halt: threading.Event
) -> None:
    """Latency per record into ``out["total"]``, and per stage from the broker's append times
    (topics with ``LogAppendTime``): producer -> input appended, -> output appended (the
    query: fetch, plan, sink), -> received by this consumer."""
    consumer = Consumer(
        {
            "bootstrap.servers": servers,
            "group.id": f"latency-{uuid.uuid4()}",
            "fetch.wait.max.ms": 1,
        }
    )
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    while not halt.is_set():
        first = consumer.poll(0.05)  # returns as soon as a record is there
        if first is None:
            continue
        now = time.time_ns()
        for message in [first, *consumer.consume(10_000, 0)]:  # what else is there already
            if message.error() is not None:
                continue
            event = json.loads(message.value())
            sent = int(event["sent_ns"])
            if sent < skip_until_ns:
                continue
            out["total"].append((now - sent) / 1e6)
            appended_in, appended_out = int(event["in_ms"]), message.timestamp()[1]
            for stage, ms in zip(
                STAGES,
                (appended_in - sent / 1e6, appended_out - appended_in, now / 1e6 - appended_out),
                strict=True,
            ):
                out[stage].append(ms)
    consumer.close()


def _query(spark: Any, kind: str, servers: str, source: str, target: str, ckpt: str) -> Any:
    from kaspar.sql import functions as F

    events = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", servers)
        .option("subscribe", source)
        .option("startingOffsets", "latest")
        .load()
        .select(
            F.from_json(F.col("value").cast("string"), SCHEMA).alias("e"),
            F.unix_millis("timestamp").alias("in_ms"),  # LogAppendTime: appended at
        )
        .select("e.*", "in_ms")
        .filter(F.col("amount") >= 0)
    )
    if kind == "dedup":
        events = events.dropDuplicates(["seq"])
    if kind == "aggregation":
        newest = [F.max("sent_ns").alias("sent_ns"), F.max("in_ms").alias("in_ms")]
        events = events.groupBy("user").agg(*newest)
    output = events.select(F.to_json(F.struct("sent_ns", "in_ms")).alias("value"))
    return (
        output.writeStream.format("kafka")
        .outputMode("update" if kind == "aggregation" else "append")
        .option("kafka.bootstrap.servers", servers)
        .option("topic", target)
        .option("checkpointLocation", ckpt)
        .trigger(realTime=ARGS.interval)
        .start()
    )


def serve(kind: str, servers: str, source: str, target: str, ckpt: str) -> None:
    """``--serve``: run the query in this process until stdin closes, then print its epochs."""
    from kaspar.sql import SparkSession

    spark = SparkSession.builder.getOrCreate()
    query = _query(spark, kind, servers, source, target, ckpt)
    print("ready", flush=True)
    sys.stdin.read()
    progress = query.recentProgress
    query.stop()
    epochs = {"epochs": len(progress), "input_rows": sum(p["numInputRows"] for p in progress)}
    print(json.dumps(epochs), flush=True)


def run_one(servers: str, kind: str, work: Path) -> dict[str, Any]:
    source, target = f"rt-in-{uuid.uuid4().hex[:8]}", f"rt-out-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": servers})
    config = {"message.timestamp.type": "LogAppendTime"}
    if ARGS.flush_ms is not None:  # Kafka's own behaviour: acks=all does not wait for fsync
        config["flush.ms"] = str(ARGS.flush_ms)
    topics = [NewTopic(t, 1, 1, config=config) for t in (source, target)]
    for future in admin.create_topics(topics).values():
        future.result(30)
    ckpt = str(work / f"ckpt-{kind}")
    command = [*_SERVE, "--interval", ARGS.interval, "--serve", kind, servers, source, target, ckpt]
    query = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert query.stdout is not None and query.stdin is not None
    if query.stdout.readline().strip() != "ready":
        raise RuntimeError(f"the query process failed (exit code {query.wait(60)})")
    time.sleep(2)  # the query found the topic and its end
    halt = threading.Event()
    latencies: dict[str, list[float]] = {name: [] for name in ("total", *STAGES)}
    skip = time.time_ns() + int(ARGS.warmup * 1e9)
    threads = [
        threading.Thread(target=_producer_loop, args=(servers, source, ARGS.rate, halt)),
        threading.Thread(target=_consumer_loop, args=(servers, target, skip, latencies, halt)),
    ]
    for thread in threads:
        thread.start()
    time.sleep(ARGS.seconds + ARGS.warmup)
    halt.set()
    for thread in threads:
        thread.join(60)
    epochs, _ = query.communicate("", timeout=120)
    stages = {name: ms_summary(latencies[name]) for name in STAGES}
    summary = {"latency": ms_summary(latencies["total"]), "stages": stages}
    return {"query": kind, **summary, **json.loads(epochs)}


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, running("kaspar", Path(folder)) as broker:
        results = [run_one(broker.bootstrap_servers, kind, Path(folder)) for kind in ARGS.queries]
    document = {"rate": ARGS.rate, "seconds": ARGS.seconds, "results": results}
    print(json.dumps(document, indent=2))
    if ARGS.json_out is not None:
        ARGS.json_out.write_text(json.dumps(document, indent=2) + "\n")


PARSER = argparse.ArgumentParser(description=__doc__.splitlines()[0])
PARSER.add_argument("--rate", type=int, default=10_000)
PARSER.add_argument("--seconds", type=float, default=20.0)
PARSER.add_argument("--warmup", type=float, default=3.0)
PARSER.add_argument("--interval", default="5 seconds")
PARSER.add_argument("--queries", nargs="+", default=["stateless", "dedup", "aggregation"])
PARSER.add_argument("--json-out", type=Path, default=None, help="also write the results here")
PARSER.add_argument(
    "--flush-ms",
    type=int,
    default=None,
    help="topic flush.ms: fsync at most this often, acks=all not waiting for it (default: "
    "kaspar's group commit, acks=all answered once fsynced)",
)
PARSER.add_argument("--serve", nargs=5, metavar=("KIND", "SERVERS", "SOURCE", "TARGET", "CKPT"))
ARGS = PARSER.parse_args([])
_SERVE = [sys.executable, "-m", "bench.streaming_realtime"]

if __name__ == "__main__":
    ARGS = PARSER.parse_args()
    if ARGS.serve:
        serve(*ARGS.serve)
    else:
        main()
