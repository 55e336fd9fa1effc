"""Files as a batch sink: parquet, json and csv written by one DuckDB ``COPY`` statement.

ORC (which DuckDB cannot write) is written by pyarrow from the plan's Arrow result.

Save modes follow Spark: ``error``/``errorifexists`` fail on an existing path, ``ignore`` does
nothing, ``overwrite`` replaces the directory, ``append`` adds new part files. A ``_SUCCESS``
marker is written last, as Spark's file committer does.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pyarrow import orc
from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.plan import logical as L
from kaspar.engine.sinks.partition_paths import rename_partitions
from kaspar.engine.sources.files import truthy
from kaspar.errors import AnalysisException

if TYPE_CHECKING:
    from kaspar.engine.execution import Executor

FILE_FORMATS = ("parquet", "json", "csv", "orc", "text")
# A format whose rows Spark writes as text lines of its own (JSON with Jackson's notation, CSV
# with the writer's quoting and date formats): (executor, plan, options, partition columns) ->
# the plan of one string column ``value`` (its name the CSV header) beside the partition
# columns. The SQL layer registers them (``kaspar.sql._text_formats``), because the text is
# built by its ``to_json`` / ``to_csv``; the engine only writes the lines.
LineRenderer = Callable[["Executor", L.LogicalPlan, dict[str, str], list[str]], L.LogicalPlan]
LINE_RENDERERS: dict[str, LineRenderer] = {}

_EXTENSIONS = {f: f".{f}" for f in ("json", "csv", "orc")} | {
    "parquet": ".snappy.parquet",
    "text": ".txt",
}


def prepare_target(target: Path, mode: str) -> bool:
    """Apply the save mode to an existing path; False when there is nothing to write."""
    if not target.exists():
        return True
    if mode in ("error", "errorifexists"):
        raise AnalysisException(
            f"[PATH_ALREADY_EXISTS] Path file:{target} already exists.", "PATH_ALREADY_EXISTS"
        )
    if mode == "ignore":
        return False
    if mode == "overwrite":
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    return True


def write_files(
    executor: Executor,
    plan: L.LogicalPlan,
    target: Path,
    *,
    fmt: str,
    mode: str,
    options: dict[str, str],
    partition_by: list[str],
) -> None:
    """Write ``plan``'s rows under ``target`` (a directory of part files)."""
    if not prepare_target(target, mode):
        return
    target.mkdir(parents=True, exist_ok=True)
    sql = executor.sql(plan)
    dest = target if partition_by else target / f"part-00000-{uuid.uuid4()}-c000{_EXTENSIONS[fmt]}"
    if fmt == "orc":
        if partition_by:
            raise AnalysisException(
                "partitionBy is not supported for orc yet", "UNSUPPORTED_FEATURE"
            )
        orc.write_table(executor.execute(plan), str(dest))
        (target / "_SUCCESS").touch()
        return
    renderer = LINE_RENDERERS.get(fmt)
    if renderer is not None:
        plan = renderer(executor, plan, options, partition_by)
        sql = executor.sql(plan)
        header = fmt == "csv" and truthy(options.get("header", "false"))
        copy_options = _lines_options(header, partition_by)
    elif fmt == "text":
        _check_text_columns(executor, plan)
        copy_options = _copy_options(fmt, options, partition_by)
    else:
        copy_options = _copy_options(fmt, options, partition_by)
    if partition_by:
        copy_options += ", OVERWRITE_OR_IGNORE true"
    statement = f"COPY ({sql}) TO {exp.Literal.string(str(dest)).sql()} ({copy_options})"
    executor.run_plan_statement(plan, statement)
    rename_partitions(target, len(partition_by))
    (target / "_SUCCESS").touch()


def _check_text_columns(executor: Executor, plan: L.LogicalPlan) -> None:
    """Spark's text source writes exactly one string column."""
    schema = executor.schema(plan)
    if len(schema.fields) != 1:
        raise AnalysisException(
            "Text data source supports only a single column, and you have "
            f"{len(schema.fields)} columns.",
            "_LEGACY_ERROR_TEMP_1290",
        )
    if not isinstance(schema.fields[0].dataType, T.StringType):
        raise AnalysisException(
            f"The Text data source doesn't support the column `{schema.fields[0].name}` of the "
            f'type "{schema.fields[0].dataType.simpleString().upper()}".',
            "UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE",
        )


def _lines_options(header: bool, partition_by: list[str]) -> str:
    """Each value as it is on its own line (the header: the value column's name)."""
    parts = [
        "FORMAT csv",
        f"HEADER {'true' if header else 'false'}",
        "QUOTE ''",
        "ESCAPE ''",
        "DELIMITER '\x01'",
        "NULLSTR ''",
    ]
    return ", ".join(parts + _partition_options(partition_by))


def _partition_options(partition_by: list[str]) -> list[str]:
    if not partition_by:
        return []
    cols = ", ".join(exp.to_identifier(c, quoted=True).sql() for c in partition_by)
    return [f"PARTITION_BY ({cols})", f"FILENAME_PATTERN 'part-{{i}}-{uuid.uuid4()}'"]


def _copy_options(fmt: str, opts: dict[str, str], partition_by: list[str]) -> str:
    if fmt == "text":  # each value as it is on its own line: CSV without quotes or escapes
        line_sep = opts.get("lineSep", "\n")
        if line_sep != "\n":
            raise AnalysisException("text: only lineSep \\n is written", "UNSUPPORTED_FEATURE")
        return "FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\x01', NULLSTR ''"
    parts = [{"parquet": "FORMAT parquet", "json": "FORMAT json", "csv": "FORMAT csv"}[fmt]]
    if fmt == "csv":
        parts.append(f"HEADER {'true' if truthy(opts.get('header', 'false')) else 'false'}")
        sep = opts.get("sep", opts.get("delimiter", ","))
        parts.append("DELIMITER " + exp.Literal.string(sep).sql())
        if "nullvalue" in opts:
            parts.append("NULLSTR " + exp.Literal.string(opts["nullvalue"]).sql())
    return ", ".join(parts + _partition_options(partition_by))
