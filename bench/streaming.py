"""Structured Streaming benchmark: kaspar against PySpark local[2] and Quix Streams, same events.

    .venv/bin/python -m bench.streaming [--quick] [--events 1000000]
        [--engines kaspar,pyspark,quix] [--parts throughput,latency,state] [--json-out PATH]

1. Start an embedded kaspar broker (``kaspar.broker.Broker``, in this process; every engine
   runs in a worker process of its own). Produce the engine bench's events (``bench/
   engine_data.py``) to a topic, keyed by user, and split the same lines into JSON files.
2. Throughput: the four queries of ``bench/streaming_queries.py`` run with
   ``trigger(availableNow=True)`` into a ``foreachBatch`` sink, on kaspar (Kafka source,
   ``maxOffsetsPerTrigger = n / 10``), PySpark (file source, ``maxFilesPerTrigger=1`` over ten
   files) and Quix Streams (``bench/streaming_quix.py``, the topic from earliest). Round-robin:
   a warm-up run per engine on a small data set, then up to ``--repeats`` timed rounds; median
   events/s, ratios kaspar/PySpark and kaspar/Quix, and a warning where results differ.
3. Latency (kaspar; Quix for the rate test): per-batch overhead for one-record batches, and
   Kafka -> processed -> visible in the sink at 10,000 records/s (``bench/streaming_latency.py``).
4. State: ``groupBy(key).count()`` fed 10 million distinct keys a million per batch: per-batch
   time, state commit time, RSS, checkpoint size.
5. Print the tables and write the results as JSON under ``bench/results/``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from rich.console import Console

from bench import engine_data, streaming_data, streaming_report
from bench.streaming_queries import QUERIES
from bench.streaming_runner import Dataset, Run, Setup, Worker, compare_checksums, run_queries

RESULTS_DIR = Path(__file__).resolve().parent / "results"
ENGINES = ("kaspar", "pyspark", "quix")
PARTS = ("throughput", "latency", "state")
WARMUP_EVENTS = 20_000
QUIX_VENV = Path(tempfile.gettempdir()) / "kaspar-bench-streaming" / "quix-venv"
SINKS = ("foreachBatch", "memory", "delta")
BROKER_CONFIG = {"group.initial.rebalance.delay.ms": "0"}  # Quix joins a new group every run
LATENCY_RATE = 10_000


def quix_python(given: str | None) -> str | None:
    """The interpreter of the Quix Streams virtualenv (quixstreams pins an older confluent-kafka
    than kaspar's venv has, so it lives apart), or None."""
    candidates = [given, os.environ.get("KASPAR_BENCH_QUIX_PYTHON"), str(QUIX_VENV / "bin/python")]
    return next((c for c in candidates if c and Path(c).exists()), None)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.streaming",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="100k events, 1M state keys")
    parser.add_argument("--events", type=int, default=None, help="events (default 1,000,000)")
    parser.add_argument("--engines", default=",".join(ENGINES), help="from: " + ", ".join(ENGINES))
    parser.add_argument("--parts", default=",".join(PARTS), help="from: " + ", ".join(PARTS))
    parser.add_argument("--repeats", type=int, default=None, help="timed rounds (3; quick 1)")
    parser.add_argument(
        "--partitions", default="2", help="partitions of the topic; a list runs each (1,4)"
    )
    parser.add_argument(
        "--batches", default=str(streaming_data.BATCHES),
        help="micro-batches per run (maxOffsetsPerTrigger / maxFilesPerTrigger); 1 = all in "
        "one batch, as availableNow does without a limit; a list runs each (1,10)",
    )  # fmt: skip
    parser.add_argument(
        "--sinks", default="foreachBatch", help="from: " + ", ".join(SINKS) + "; a list runs each"
    )
    parser.add_argument("--queries", default=None, help="names from bench/streaming_queries.py")
    parser.add_argument("--state-keys", type=int, default=None, help="10,000,000; quick 1M")
    parser.add_argument("--latency-seconds", type=float, default=None, help="20; quick 5")
    parser.add_argument("--timeout", type=float, default=None, help="per run, s (600; quick 120)")
    parser.add_argument("--quix-python", default=None, help=f"default {QUIX_VENV}/bin/python")
    parser.add_argument("--data-dir", type=Path, default=engine_data.default_data_dir())
    parser.add_argument("--json-out", type=Path, default=None, help="results file")
    args = parser.parse_args(argv)
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    args.partitions = [int(p) for p in args.partitions.split(",")]
    args.batches = [int(b) for b in args.batches.split(",")]
    args.sinks = [k.strip() for k in args.sinks.split(",") if k.strip()]
    if bad := set(args.sinks) - set(SINKS):
        parser.error(f"unknown sink(s): {', '.join(sorted(bad))}; accepted: {', '.join(SINKS)}")
    names = [q.name for q in QUERIES]
    if args.queries is not None:
        args.queries = [q.strip() for q in args.queries.split(",") if q.strip()]
        if bad := set(args.queries) - set(names):
            parser.error(f"unknown query: {', '.join(sorted(bad))}; accepted: {', '.join(names)}")
    args.parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    if unknown := (set(args.engines) - set(ENGINES)) | (set(args.parts) - set(PARTS)):
        parser.error(f"unknown engine(s) or part(s): {', '.join(sorted(unknown))}")
    args.events = args.events or (100_000 if args.quick else 1_000_000)
    args.repeats = args.repeats or (1 if args.quick else 3)
    args.state_keys = args.state_keys or (1_000_000 if args.quick else 10_000_000)
    args.latency_seconds = args.latency_seconds or (5.0 if args.quick else 20.0)
    args.timeout = args.timeout or (120.0 if args.quick else 600.0)
    return args


def start_workers(args: argparse.Namespace, stack: ExitStack, log_dir: Path) -> list[Worker]:
    workers = []
    for engine in args.engines:
        if engine == "quix":
            python = quix_python(args.quix_python)
            if python is None:
                print(f"quix: no interpreter; create {QUIX_VENV} with quixstreams (see RESULTS.md)")
                continue
            command = [python, "-m", "bench.streaming_quix"]
        else:
            command = [sys.executable, "-m", "bench.streaming_worker", "--engine", engine]
        log = stack.enter_context((log_dir / f"streaming-{engine}.log").open("w"))
        worker = Worker(engine, command, log)
        stack.callback(worker.close)
        workers.append(worker)
        print(f"  {engine} worker: {worker.error or 'ready'}", flush=True)
    return workers


def prepare(
    args: argparse.Namespace, bootstrap: str
) -> tuple[Dataset, list[Dataset], dict[str, Any]]:
    """The warm-up and the measured data sets (one topic per partition count) and JSON files."""
    produced: dict[str, Any] = {}
    warm_events = engine_data.events_file(WARMUP_EVENTS, args.data_dir)
    topic = f"events-{WARMUP_EVENTS}"
    produced[topic] = streaming_data.produce_events(bootstrap, topic, warm_events, 2)
    warm = Dataset(WARMUP_EVENTS, topic, streaming_data.json_chunks(warm_events, WARMUP_EVENTS))
    events = engine_data.events_file(args.events, args.data_dir)
    chunks = streaming_data.json_chunks(events, args.events)
    measured = []
    for partitions in args.partitions:
        topic = f"events-{args.events}-p{partitions}"
        produced[topic] = streaming_data.produce_events(bootstrap, topic, events, partitions)
        measured.append(Dataset(args.events, topic, chunks, partitions))
    return warm, measured, produced


def latency_probes(
    args: argparse.Namespace, bootstrap: str, workers: dict[str, Worker]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    timeout = args.latency_seconds + 120
    if "kaspar" in workers:
        streaming_data.create_topic(bootstrap, "latency-single", 1)
        out["kaspar single-record batches"] = workers["kaspar"].request(
            timeout, op="latency_single", bootstrap=bootstrap, topic="latency-single",
            count=200, timeout_s=args.latency_seconds * 3,
        )  # fmt: skip
    for engine in ("kaspar", "quix"):
        if engine not in workers:
            continue
        topic = f"latency-rate-{engine}"
        streaming_data.create_topic(bootstrap, topic, 1)
        out[f"{engine} @ {LATENCY_RATE:,} records/s"] = workers[engine].request(
            timeout, op="latency_rate", bootstrap=bootstrap, topic=topic, rate=LATENCY_RATE,
            seconds=args.latency_seconds, warmup_s=3.0, timeout_s=60.0,
        )  # fmt: skip
    return out


def state_probe(args: argparse.Namespace, workers: dict[str, Worker]) -> dict[str, Any]:
    if "kaspar" not in workers:
        return {}
    timeout = max(args.timeout, args.state_keys / 10_000)
    return workers["kaspar"].request(
        timeout + 60, op="state", keys=args.state_keys, batch_keys=1_000_000, timeout_s=timeout
    )


def metadata(args: argparse.Namespace, workers: list[Worker]) -> dict[str, Any]:
    import duckdb
    import pyspark

    return {
        "benchmark": "streaming",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "events": args.events,
        "quick": args.quick,
        "repeats": args.repeats,
        "partitions": args.partitions,
        "batches": args.batches,
        "sinks": args.sinks,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "duckdb": duckdb.__version__,
        "pyspark": pyspark.__version__,
        "quixstreams": next(
            (w.info.get("quixstreams") for w in workers if w.engine == "quix"), None
        ),
    }


def run(args: argparse.Namespace, console: Console) -> dict[str, Any]:
    from kaspar.broker import Broker

    document: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-streaming-") as work, ExitStack() as stack:
        broker = Broker(Path(work) / "broker", config=BROKER_CONFIG).start()
        stack.callback(broker.stop)
        bootstrap = broker.bootstrap_servers
        with console.status("producing the events (event files cached)"):
            warm, measured_sets, produced = prepare(args, bootstrap)
        console.print(f"broker {bootstrap}; produced {produced}")
        log_dir = args.data_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        workers = start_workers(args, stack, log_dir)
        console.print(f"worker logs in {log_dir}")
        by_engine = {w.engine: w for w in workers}
        document["meta"] = metadata(args, workers)
        document["meta"]["produce"] = produced
        if "throughput" in args.parts:
            document["throughput"] = {}
            for data, batches, sink in itertools.product(measured_sets, args.batches, args.sinks):
                setup = Setup(sink, batches)
                measured = Run(bootstrap, args.timeout, args.repeats, args.timeout, setup=setup)
                measured.default_partitions = args.partitions == [2]
                run_queries(measured, workers, warm, data, args.queries)
                document["throughput"].update(measured.results)
            document["warnings"] = compare_checksums(document["throughput"])
        if "latency" in args.parts:
            document["latency"] = latency_probes(args, bootstrap, by_engine)
        if "state" in args.parts:
            document["state"] = state_probe(args, by_engine)
        document["meta"]["load_average_end"] = os.getloadavg()
    return document


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console()
    if not console.is_terminal:
        console.width = 140
    document = run(args, console)
    document["goals"] = streaming_report.goals(document)
    streaming_report.show(console, document, args.engines)
    out = args.json_out or RESULTS_DIR / f"streaming-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2, default=str) + "\n")
    console.print(f"results written to {out}")
    streaming_report.plot(document, out.with_suffix(".png"), console)
    return 0


if __name__ == "__main__":
    sys.exit(main())
