"""Tables, goal check and plot of a streaming benchmark result (``bench.streaming``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

GOAL_VS_PYSPARK = 1.5  # issue 11
GOAL_GROUP_BY_EPS = 1_000_000
GOAL_WORD_COUNT_EPS = 800_000
GOAL_VS_QUIX = 1.0
GOAL_BATCH_MS = 5.0
GOAL_P99_MS = 50.0


def _eps(document: dict[str, Any], scenario: str, engine: str) -> float | None:
    value = document.get("throughput", {}).get(scenario, {}).get(engine, {}).get("events_per_s")
    return float(value) if value else None


def ratio(document: dict[str, Any], scenario: str, other: str) -> float | None:
    kaspar, theirs = _eps(document, scenario, "kaspar"), _eps(document, scenario, other)
    return kaspar / theirs if kaspar and theirs else None


def fmt_ratio(value: float | None, goal: float) -> str:
    if value is None:
        return "-"
    return f"[{'green' if value >= goal else 'red'}]{value:.2f}x[/]"


def throughput_table(document: dict[str, Any], engines: list[str]) -> Table:
    n = document["meta"]["events"]
    results = document.get("throughput", {})
    table = Table(title=f"{n:,} events, availableNow (events/s, median)", title_justify="left")
    errors = []
    table.add_column("query")
    for engine in engines:
        table.add_column(engine, justify="right")
    table.add_column("kaspar/pyspark", justify="right")
    table.add_column("kaspar/quix", justify="right")
    for scenario in results:
        name = scenario.rpartition(" @ ")[0]
        row = [name]
        for engine in engines:
            measured = results.get(scenario, {}).get(engine, {})
            if "error" in measured:
                errors.append(f"{engine} {name}: {measured['error'][:240]}")
            mark = "" if measured.get("agrees", True) else " [red]≠[/]"
            eps = measured.get("events_per_s")
            row.append(f"{eps:,.0f}{mark}" if eps else "[red]error[/]" if measured else "-")
        row.append(fmt_ratio(ratio(document, scenario, "pyspark"), GOAL_VS_PYSPARK))
        row.append(fmt_ratio(ratio(document, scenario, "quix"), GOAL_VS_QUIX))
        table.add_row(*row)
    table.caption, table.caption_justify = "\n".join(errors) or None, "left"
    return table


def stages_table(document: dict[str, Any]) -> Table:
    """kaspar's time per stage (ms, summed over the batches) and peak memory of each engine."""
    table = Table(title="time per stage (kaspar, ms) and peak RSS (MB)", title_justify="left")
    columns = ("getBatch", "addBatch", "state.commitTimeMs", "walCommit", "commitOffsets",
               "triggerExecution")  # fmt: skip
    table.add_column("scenario")
    for column in columns:
        table.add_column(column, justify="right")
    for engine in ("kaspar", "pyspark", "quix"):
        table.add_column(f"{engine} RSS", justify="right")
    for scenario, by_engine in document.get("throughput", {}).items():
        stages = by_engine.get("kaspar", {}).get("stages_ms", {})
        cells = [f"{stages[c]:,.0f}" if c in stages else "-" for c in columns]
        peaks = [by_engine.get(e, {}).get("peak_rss_mb") for e in ("kaspar", "pyspark", "quix")]
        table.add_row(
            scenario.rpartition(" @ ")[0], *cells, *(f"{p:,.0f}" if p else "-" for p in peaks)
        )
    return table


def _ms(summary: dict[str, Any] | None, key: str) -> str:
    value = (summary or {}).get(key)
    return f"{value:.1f}" if isinstance(value, int | float) else "-"


def latency_table(document: dict[str, Any]) -> Table:
    table = Table(title="latency (ms)", title_justify="left")
    for column in ("probe", "measure", "p50", "p99", "p999", "max", "count"):
        table.add_column(column, justify="left" if column in ("probe", "measure") else "right")
    errors = []
    for probe, result in document.get("latency", {}).items():
        if "error" in result:
            errors.append(f"{probe}: {result['error'][:240]}")
            continue
        for measure in ("produce_to_sink", "trigger_execution", "latency"):
            if measure not in result:
                continue
            summary = result[measure]
            cells = [_ms(summary, k) for k in ("p50_ms", "p99_ms", "p999_ms", "max_ms")]
            table.add_row(probe, measure, *cells, str(summary.get("count", "-")))
    table.caption, table.caption_justify = "\n".join(errors) or None, "left"
    return table


def state_table(document: dict[str, Any]) -> Table:
    state = document.get("state", {})
    table = Table(title=f"state: groupBy(key).count(), {state.get('keys', 0):,} keys")
    table.title_justify = "left"
    columns = ("batch", "rows", "wall s", "trigger ms", "state commit ms", "state rows",
               "state MB", "RSS MB", "checkpoint MB")  # fmt: skip
    for column in columns:
        table.add_column(column, justify="right")
    for index, batch in enumerate(state.get("batches", [])[1:]):
        if "error" in batch:
            table.caption = f"{batch['error']}: {batch.get('exception')}"
            break
        operator = (batch.get("stateOperators") or [{}])[0]
        durations = batch.get("durationMs") or {}
        table.add_row(
            str(index),
            f"{batch['rows']:,}",
            f"{batch['wall_s']:.2f}",
            str(durations.get("triggerExecution", "-")),
            str(operator.get("commitTimeMs", "-")),
            f"{operator.get('numRowsTotal', 0):,}" if operator else "-",
            f"{operator.get('memoryUsedBytes', 0) / 2**20:,.0f}" if operator else "-",
            f"{batch['rss_mb'].get('VmRSS', 0):,.0f}",
            f"{batch['checkpoint_mb']:,.0f}",
        )
    if "error" in state:
        table.caption = state["error"][:600]
    return table


def goals(document: dict[str, Any]) -> dict[str, Any]:
    scenarios = list(document.get("throughput", {}))
    vs_pyspark = [r for s in scenarios if (r := ratio(document, s, "pyspark")) is not None]
    vs_quix = [r for s in scenarios if (r := ratio(document, s, "quix")) is not None]
    latency = document.get("latency", {})
    single = latency.get("kaspar single-record batches", {}).get("produce_to_sink", {})
    rate = next((v for k, v in latency.items() if k.startswith("kaspar @")), {})

    def kaspar_eps(query: str) -> float | None:
        found = [_eps(document, s, "kaspar") for s in scenarios if s.startswith(query)]
        return min((f for f in found if f), default=None)

    return {
        "min kaspar groupBy events/s (goal >= 1.0M)": kaspar_eps("groupBy sum/count"),
        "min kaspar word count lines/s (goal >= 0.8M)": kaspar_eps("word count"),
        "min kaspar/pyspark throughput (goal >= 1.5x)": min(vs_pyspark, default=None),
        "min kaspar/quix throughput (goal >= 1x)": min(vs_quix, default=None),
        "one-record batch, produce -> sink p50 ms (goal < 5)": single.get("p50_ms"),
        "p99 Kafka -> sink ms at 10,000/s (goal < 50)": rate.get("latency", {}).get("p99_ms"),
    }


def show(console: Console, document: dict[str, Any], engines: list[str]) -> None:
    for warning in document.get("warnings", []):
        console.print(f"[bold yellow]warning: results differ:[/] {warning}")
    if "throughput" in document:
        console.print(throughput_table(document, engines))
        console.print(stages_table(document))
    if "latency" in document:
        console.print(latency_table(document))
    if "state" in document:
        console.print(state_table(document))
    console.print(document["goals"])


def plot(document: dict[str, Any], path: Path, console: Console) -> None:
    """Events/s per query and engine as a bar chart, if matplotlib is installed."""
    try:
        import matplotlib as mpl

        mpl.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        console.print("matplotlib is not installed: no plot")
        return
    n = document["meta"]["events"]
    engines = ("kaspar", "pyspark", "quix")
    scenarios = list(document.get("throughput", {}))
    figure, axes = plt.subplots(figsize=(max(7, 1.4 * len(scenarios)), 3.6))
    width = 0.27
    for offset, engine in enumerate(engines):
        values = [_eps(document, s, engine) or 0 for s in scenarios]
        axes.bar(
            [i + (offset - 1) * width for i in range(len(scenarios))], values, width, label=engine
        )
    labels = [s.rpartition(" @ ")[0].replace(" [", "\n[") for s in scenarios]
    axes.set_xticks(range(len(scenarios)), labels, fontsize=7)
    axes.set_ylabel("events/s")
    axes.set_title(f"Structured Streaming, {n:,} events, availableNow")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    console.print(f"plot written to {path}")
