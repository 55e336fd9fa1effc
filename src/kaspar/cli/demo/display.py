"""How a `Sample` looks: a rich live view on a terminal, a plain line in a log.

The live view has the topics (records in, rate), the queries (batches, records processed,
last batch duration, lag) and the latest results of the three pipelines side by side.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from kaspar.cli.demo.monitor import Sample, lag, total

QUERY_TOPICS = {
    "order_totals": ["orders"],
    "sensor_averages": ["sensors"],
    "route_feedback": ["feedback-slack", "feedback-twitter"],
    "notify": ["negative-feedback", "positive-feedback"],
}
QUERY_SHOWS = {
    "order_totals": "orders → Delta",
    "sensor_averages": "sensors → Delta",
    "route_feedback": "feedback → alerts",
    "notify": "alerts → webhook",
}
SIDE_BY_SIDE_WIDTH = 120


def topics_table(sample: Sample) -> Table:
    table = Table("topic", "records", "per second", title="topics", title_justify="left")
    for topic in sample.ends:
        rate = sample.rates.get(topic)
        table.add_row(
            topic, f"{total(sample.ends, topic):,}", "" if rate is None else f"{rate:,.0f}"
        )
    return table


def queries_table(sample: Sample) -> Table:
    table = Table(
        "query", "reads → writes", "batches", "records", "rows/s", "last batch", "lag",
        title="streaming queries", title_justify="left",
    )  # fmt: skip
    for name, stats in sample.queries.items():
        duration = "" if stats.last_duration_ms is None else f"{stats.last_duration_ms:,} ms"
        behind = lag(stats, QUERY_TOPICS.get(name, []), sample.ends)
        table.add_row(
            name,
            Text(QUERY_SHOWS.get(name, ""), style="dim"),
            f"{stats.batches:,}",
            f"{stats.input_rows:,}",
            f"{stats.processed_rows_per_second:,.0f}",
            duration,
            f"{behind:,}",
        )
    return table


def results_table(sample: Sample) -> Table:
    totals = Table("customer", "total", title="top customers (Delta)", title_justify="left")
    for customer, amount in sample.totals:
        totals.add_row(customer, f"{amount:,.2f}")
    windows = Table(
        "sensor",
        "window",
        "avg °C",
        "readings",
        title="latest windows (Delta)",
        title_justify="left",
    )
    for row in sample.windows:
        span = f"{row['window_start']:%H:%M:%S}-{row['window_end']:%H:%M:%S}"
        windows.add_row(
            row["sensorId"], span, f"{row['avg_temperature']:.2f}", str(row["readings"])
        )
    grid = Table.grid(padding=(0, 2))
    grid.add_row(totals, windows)
    return grid


def alerts_table(sample: Sample, skipped: str) -> RenderableType:
    if skipped:
        return Text(skipped, style="yellow")
    title = f"latest alerts ({sample.alert_count} sent)"
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True, min_width=len("#negative-feedback"))
    table.add_column(no_wrap=True, overflow="ellipsis")
    for alert in sample.alerts:
        style = "red" if alert["channel"] == "#negative-feedback" else "green"
        table.add_row(Text(alert["channel"], style=style), alert["text"])
    return Group(Text(title, style="italic"), table)


def live_view(
    sample: Sample, duration_s: float | None, bootstrap: str, skipped: str, width: int
) -> Group:
    """The whole live display for one sample."""
    until = "Ctrl-C to stop" if duration_s is None else f"of {duration_s:g} s, Ctrl-C to stop"
    header = Text(f"kaspar demo · Kafka at {bootstrap} · {sample.elapsed_s:.0f} s {until}")
    topics, queries = topics_table(sample), queries_table(sample)
    if width >= SIDE_BY_SIDE_WIDTH:
        grid = Table.grid(padding=(0, 2))
        grid.add_row(topics, queries)
        return Group(header, grid, results_table(sample), alerts_table(sample, skipped))
    return Group(header, topics, queries, results_table(sample), alerts_table(sample, skipped))


def plain_line(sample: Sample) -> str:
    """One line per sample, for a log: records in, processed and lag per query, alerts."""
    records_in = ", ".join(f"{topic} {total(sample.ends, topic)}" for topic in sample.ends)
    parts = [f"{sample.elapsed_s:5.0f}s in: {records_in}"]
    for name, stats in sample.queries.items():
        behind = lag(stats, QUERY_TOPICS.get(name, []), sample.ends)
        parts.append(f"{name}: {stats.input_rows} rows, {stats.batches} batches, lag {behind}")
    if "notify" in sample.queries:
        parts.append(f"alerts: {sample.alert_count}")
    return " | ".join(parts)
