"""Comparison tables from the benchmarks' own JSON results: what the report and plots show.

Each benchmark writes its results in its own shape; ``TABLES[name](result)`` turns one into
:class:`Table` s of rows x engines (kaspar first), so the ratios against every peer are
computed in one place: ``kaspar / peer`` of the measured value, for throughput (higher is
better: above 1x kaspar is faster) and for times and latencies alike (lower is better: below
1x kaspar is faster).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bench.suite import ENGINE_ORDER

PERCENTILES = (("p50", "p50_ms"), ("p99", "p99_ms"), ("p999", "p999_ms"), ("max", "max_ms"))


@dataclass(frozen=True)
class Row:
    """One measured quantity per engine; latency rows share a ``group`` (the probe)."""

    scenario: str
    values: Mapping[str, float | None]
    group: str = ""


@dataclass(frozen=True)
class Table:
    key: str  # the plot's file name: <benchmark>-<what>
    title: str
    unit: str
    higher_is_better: bool
    engines: tuple[str, ...]
    rows: tuple[Row, ...]
    errors: tuple[str, ...] = field(default=())

    @property
    def peers(self) -> tuple[str, ...]:
        return tuple(e for e in self.engines if e != "kaspar")

    @property
    def is_latency(self) -> bool:
        return any(row.group for row in self.rows)

    def ratio(self, row: Row, peer: str) -> float | None:
        ours, theirs = row.values.get("kaspar"), row.values.get(peer)
        return ours / theirs if ours and theirs else None


def ordered(engines: Iterable[str]) -> tuple[str, ...]:
    present = set(engines)
    return tuple(e for e in ENGINE_ORDER if e in present) + tuple(
        sorted(present - set(ENGINE_ORDER))
    )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def by_engine_table(
    key: str,
    title: str,
    unit: str,
    results: Mapping[str, Mapping[str, Mapping[str, Any]]],
    metric: str,
    *,
    higher_is_better: bool = True,
) -> Table | None:
    """``results[scenario][engine][metric]`` as a table; None when nothing was measured."""
    rows, errors, engines = [], [], set()
    for scenario, per_engine in results.items():
        values = {e: _number(m.get(metric)) for e, m in per_engine.items() if isinstance(m, dict)}
        errors += [f"{e} {scenario}: {str(m['error'])[:200]}" for e, m in _errors(per_engine)]
        if any(v is not None for v in values.values()):
            rows.append(Row(scenario, values))
            engines |= {e for e, v in values.items() if v is not None}
    if not rows:
        return None
    return Table(key, title, unit, higher_is_better, ordered(engines), tuple(rows), tuple(errors))


def _errors(per_engine: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
    return ((e, m) for e, m in per_engine.items() if isinstance(m, dict) and "error" in m)


def latency_table(
    key: str, title: str, probes: Mapping[str, Mapping[str, Mapping[str, Any]]]
) -> Table | None:
    """``probes[group][engine]`` = a summary with p50_ms..max_ms: one row per percentile."""
    rows, engines = [], set()
    for group, per_engine in probes.items():
        for label, metric in PERCENTILES:
            values = {e: _number(s.get(metric)) for e, s in per_engine.items()}
            if any(v is not None for v in values.values()):
                rows.append(Row(f"{group} {label}", values, group))
                engines |= {e for e, v in values.items() if v is not None}
    if not rows:
        return None
    return Table(key, title, "ms", False, ordered(engines), tuple(rows))


def broker(result: Mapping[str, Any]) -> list[Table | None]:
    results = result.get("results", {})
    flows = {s: v for s, v in results.items() if not s.startswith("latency")}
    latencies = {s: v for s, v in results.items() if s.startswith("latency")}
    return [
        by_engine_table("broker-throughput", "produce and consume", "records/s", flows,
                        "records_per_s"),
        latency_table("broker-latency", "end-to-end latency", latencies),
    ]  # fmt: skip


GROUP_METRICS = {
    "plain_records_per_s": "idempotent produce, acks=all",
    "txn_records_per_s": "transactional produce, commit every 1,000",
    "rebalance_median_s": "rebalance, median round",
    "rebalance_max_s": "rebalance, slowest round",
}


def broker_groups(result: Mapping[str, Any]) -> list[Table | None]:
    def pick(*metrics: str) -> dict[str, dict[str, Any]]:
        return {GROUP_METRICS[m]: {b: {"v": r.get(m)} for b, r in result.items()} for m in metrics}

    return [
        by_engine_table("broker_groups-produce", "idempotent and transactional produce",
                        "records/s", pick("plain_records_per_s", "txn_records_per_s"), "v"),
        by_engine_table("broker_groups-rebalance", "a 4th member joins a group of 3", "s",
                        pick("rebalance_median_s", "rebalance_max_s"), "v",
                        higher_is_better=False),
    ]  # fmt: skip


def compaction(result: Mapping[str, Any]) -> list[Table | None]:
    cleaned = {"log cleaner": {"kaspar": result.get("results", {})}}
    return [by_engine_table("compaction", "log cleaner speed", "MB/s", cleaned, "mb_per_s")]


def _engine_scenarios(results: Mapping[str, Any], metric: str) -> dict[str, Any]:
    return {
        _readable(s): v
        for s, v in results.items()
        if any(isinstance(m, dict) and metric in m for m in v.values())
    }


def _readable(scenario: str) -> str:
    """``word count @ 200000`` -> ``word count @ 200,000``."""
    name, _, size = scenario.rpartition(" @ ")
    return f"{name} @ {int(size):,}" if name and size.isdigit() else scenario


def engine(result: Mapping[str, Any]) -> list[Table | None]:
    results = result.get("results", {})
    return [
        by_engine_table("engine-throughput", "events/s per query", "events/s",
                        _engine_scenarios(results, "events_per_s"), "events_per_s"),
        by_engine_table("engine-overhead", "fixed overhead per query", "ms",
                        _engine_scenarios(results, "median_ms"), "median_ms",
                        higher_is_better=False),
    ]  # fmt: skip


def read(result: Mapping[str, Any]) -> list[Table | None]:
    results = result.get("results", {})
    return [by_engine_table("read-throughput", "read + filter + groupBy", "rows/s", results,
                            "rows_per_s")]  # fmt: skip


def streaming(result: Mapping[str, Any]) -> list[Table | None]:
    results = {_readable(s): v for s, v in result.get("throughput", {}).items()}
    return [by_engine_table("streaming-throughput", "availableNow, events/s per query",
                            "events/s", results, "events_per_s")]  # fmt: skip


def streaming_latency(result: Mapping[str, Any]) -> list[Table | None]:
    probes: dict[str, dict[str, Any]] = {}
    for probe, measured in result.get("latency", {}).items():
        engine_name, _, rest = probe.partition(" ")
        if "produce_to_sink" in measured:
            probes.setdefault("one-record batch: produce -> sink", {})[engine_name] = measured[
                "produce_to_sink"
            ]
        if "latency" in measured:
            probes.setdefault(f"Kafka -> sink {rest}", {})[engine_name] = measured["latency"]
    return [
        latency_table("streaming-latency", "Kafka -> processed -> sink", probes),
        state_table(result.get("state", {})),
    ]


def state_table(state: Mapping[str, Any]) -> Table | None:
    """kaspar alone: each batch of ``groupBy(key).count()`` as the state grows."""
    rows = []
    measured = [b for b in state.get("batches", []) if "wall_s" in b]
    for index, batch in enumerate(measured):
        operator = (batch.get("stateOperators") or [{}])[0]
        keys = operator.get("numRowsTotal")
        label = f"batch {index}: {batch.get('rows', 0):,} rows" + (
            f", {keys:,} keys in state" if isinstance(keys, int) else ""
        )
        rows.append(Row(label, {"kaspar": _number(batch.get("wall_s"))}))
    title = f"groupBy(key).count() over {state.get('keys', 0):,} keys, time per batch"
    return Table("streaming-state", title, "s", False, ("kaspar",), tuple(rows)) if rows else None


def streaming_batch_overhead(result: Mapping[str, Any]) -> list[Table | None]:
    probes: dict[str, dict[str, Any]] = {}
    for engine_name, runs in result.items():
        for run, summary in runs.items():
            probes.setdefault(run, {})[engine_name] = {
                "p50_ms": summary.get("median_ms"),
                "p99_ms": summary.get("p99_ms"),
            }
    return [latency_table("streaming_batch_overhead", "one-row micro-batch, time per batch",
                          probes)]  # fmt: skip


def streaming_realtime(result: Mapping[str, Any]) -> list[Table | None]:
    probes = {
        f"{run['query']} @ {result.get('rate', 0):,}/s": {"kaspar": run.get("latency", {})}
        for run in result.get("results", [])
    }
    return [latency_table("streaming_realtime", "Kafka -> query -> Kafka, realTime", probes)]


REGISTRY_SCENARIOS = {
    "register": "register a new schema (one client)",
    "lookup_by_id": "GET /schemas/ids/{id}",
    "lookup_by_schema": "POST /subjects/{s} (lookup)",
    "re_register": "POST /subjects/{s}/versions, known schema",
    "latest": "GET /subjects/{s}/versions/latest",
}


def registry(result: Mapping[str, Any]) -> list[Table | None]:
    scenarios = {
        name: {"kaspar": result[key]}
        for key, name in REGISTRY_SCENARIOS.items()
        if isinstance(result.get(key), dict)
    }
    title = "registry requests/s (ab -k -c 16; median of the ab runs)"
    return [by_engine_table("registry-requests", title, "requests/s", scenarios, "requests_per_s")]


TABLES: dict[str, Callable[[Mapping[str, Any]], list[Table | None]]] = {
    "broker": broker,
    "broker_groups": broker_groups,
    "compaction": compaction,
    "engine": engine,
    "read": read,
    "streaming": streaming,
    "streaming_latency": streaming_latency,
    "streaming_batch_overhead": streaming_batch_overhead,
    "streaming_realtime": streaming_realtime,
    "registry": registry,
}


def tables(record: Mapping[str, Any]) -> list[Table]:
    """The tables of one benchmark record of a suite run (none if it left no results)."""
    extract = TABLES.get(record["name"])
    if extract is None or not isinstance(record.get("result"), dict):
        return []
    return [t for t in extract(record["result"]) if t is not None]
