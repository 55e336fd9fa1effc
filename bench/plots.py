"""PNG plots of a suite run (``python -m bench`` or ``python -m bench plot RESULTS.json``).

* one bar chart per throughput table: scenarios on the x axis, one bar per engine;
* one chart per latency table: a panel per probe, percentiles on the x axis, one bar per engine,
  log scale (p50 and max differ by orders of magnitude);
* ``ratios.png``: every throughput ratio kaspar/peer of the run, one horizontal bar each, log
  scale with 1x marked.

matplotlib is imported here only, lazily, with the Agg backend (no display needed).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.suite_tables import Table, tables

COLOURS = {
    "kaspar": "#2a7ab0",
    "tansu": "#e69f00",
    "kafka": "#555555",
    "pyspark": "#d55e00",
    "duckdb": "#009e73",
    "quix": "#cc79a7",
}
DPI = 100


def _pyplot() -> Any:
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _bars(axes: Any, labels: list[str], table: Table, rows: list[Any]) -> None:
    width = 0.8 / max(1, len(table.engines))
    for index, engine in enumerate(table.engines):
        offset = (index - (len(table.engines) - 1) / 2) * width
        values = [row.values.get(engine) or 0.0 for row in rows]
        axes.bar(
            [i + offset for i in range(len(rows))],
            values,
            width,
            label=engine,
            color=COLOURS.get(engine),
        )
    wrapped = [textwrap.fill(label, 24) for label in labels]
    rotate = len(rows) > 4
    axes.set_xticks(
        range(len(rows)), wrapped, rotation=20 if rotate else 0, ha="right" if rotate else "center"
    )


def throughput_figure(table: Table, title: str) -> Any:
    plt = _pyplot()
    width = max(6.0, 1.1 * len(table.rows) + 2)
    figure, axes = plt.subplots(figsize=(width, 4))
    _bars(axes, [row.scenario for row in table.rows], table, list(table.rows))
    better = "higher" if table.higher_is_better else "lower"
    axes.set_ylabel(f"{table.unit} ({better} is better)")
    if table.unit.endswith("/s"):
        axes.yaxis.set_major_formatter("{x:,.0f}")
    axes.set_title(textwrap.fill(title, int(width * 10)), fontsize=10)
    axes.legend(fontsize=8)
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    return figure


def latency_figure(table: Table, title: str) -> Any:
    plt = _pyplot()
    groups = list(dict.fromkeys(row.group for row in table.rows))
    figure, panels = plt.subplots(
        1, len(groups), figsize=(3.6 * len(groups) + 1, 3.8), squeeze=False, sharey=True
    )
    for axes, group in zip(panels[0], groups, strict=True):
        rows = [row for row in table.rows if row.group == group]
        _bars(axes, [row.scenario.removeprefix(group).strip() for row in rows], table, rows)
        axes.set_yscale("log")
        axes.set_title(group, fontsize=9)
        axes.grid(axis="y", alpha=0.3, which="both")
    panels[0][0].set_ylabel(f"{table.unit} (lower is better)")
    panels[0][0].legend(fontsize=8)
    figure.suptitle(textwrap.fill(title, 110), fontsize=10)
    figure.tight_layout()
    return figure


def ratios_figure(pairs: list[tuple[str, float]], title: str) -> Any:
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(10, 0.28 * len(pairs) + 1.4))
    labels = [label for label, _ in pairs]
    values = [value for _, value in pairs]
    colours = ["#2a7ab0" if round(v, 2) >= 1 else "#d55e00" for v in values]
    axes.barh(range(len(pairs)), values, color=colours)
    for index, value in enumerate(values):
        axes.annotate(f" {value:.2f}x", (value, index), va="center", fontsize=6)
    axes.set_yticks(range(len(pairs)), labels, fontsize=7)
    axes.invert_yaxis()
    axes.set_xscale("log")
    axes.set_xlim(min(min(values) / 1.5, 0.5), max(max(values) * 2.5, 2.0))
    axes.axvline(1.0, color="black", linewidth=0.8)
    axes.set_xlabel("kaspar throughput / peer throughput (log scale; above 1x kaspar is faster)")
    axes.set_title(title, fontsize=9)
    axes.grid(axis="x", alpha=0.3, which="both")
    figure.tight_layout()
    return figure


def throughput_ratios(document: Mapping[str, Any]) -> list[tuple[str, float]]:
    pairs = []
    for record in document["benchmarks"]:
        for table in tables(record):
            if not table.higher_is_better:
                continue
            for row in table.rows:
                for peer in table.peers:
                    ratio = table.ratio(row, peer)
                    if ratio is not None and math.isfinite(ratio):
                        pairs.append((f"{record['name']}: {row.scenario} vs {peer}", ratio))
    return pairs


def _suffix(document: Mapping[str, Any]) -> str:
    meta = document["meta"]
    mode = "quick mode, shared machine" if meta.get("quick") else "full run"
    return f"{meta.get('started', '')[:10]}, {meta.get('commit', '?')}, {mode}"


def draw(document: Mapping[str, Any], plots_dir: Path) -> dict[str, Path]:
    """Write every plot of the run into ``plots_dir``; returns table key -> PNG path."""
    plt = _pyplot()
    plots_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    suffix = _suffix(document)
    for record in document["benchmarks"]:
        for table in tables(record):
            if sum(v is not None for row in table.rows for v in row.values.values()) < 2:
                continue  # a single number is no picture
            title = f"{record['name']}: {table.title} ({suffix})"
            figure = latency_figure(table, title) if table.is_latency else None
            figure = figure or throughput_figure(table, title)
            written[table.key] = plots_dir / f"{table.key}.png"
            figure.savefig(written[table.key], dpi=DPI)
            plt.close(figure)
    if pairs := throughput_ratios(document):
        figure = ratios_figure(pairs, f"kaspar against its peers, same run\n({suffix})")
        written["ratios"] = plots_dir / "ratios.png"
        figure.savefig(written["ratios"], dpi=DPI)
        plt.close(figure)
    return written
