"""Files as a streaming sink: ``writeStream.format("parquet").option("path", ...)``.

Spark's ``FileStreamSink``, append mode only. A batch is written in these steps (``add_batch``
follows them):

1. **Skip** it if the manifest (``<path>/_spark_metadata``, ``file_sink_log.py``) has this batch
   or a later one: a batch re-run after a crash writes nothing twice.
2. **Write** the rows under ``<path>/_temporary/<batch id>-<uuid>/`` with the batch writer
   (``engine/sinks/files.py``: DuckDB ``COPY`` for parquet, json and csv, pyarrow for ORC; text
   is written here), ``k=v`` partition directories included. Readers skip ``_`` names.
3. **Move** each file into place as Spark names them: ``part-<n>-<uuid>-c000.<ext>``, or
   ``k=v/part-<n>-<uuid>.c000.<ext>`` in a partition directory.
4. **Commit**: write ``_spark_metadata/<batch id>`` listing them (compacted every
   ``spark.sql.streaming.fileSink.log.compactInterval`` batches). Files of a batch that stopped
   between 3 and 4 sit in the directory but in no log entry, and readers never see them.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from kaspar.engine.plan import logical as L
from kaspar.engine.sinks.files import write_files
from kaspar.engine.streaming.sinks.file_sink_log import (
    DEFAULT_COMPACT_INTERVAL,
    file_sink_log,
    sink_file_status,
)
from kaspar.engine.streaming.sources.file_listing import hidden
from kaspar.engine.type_conversion import from_arrow
from kaspar.errors import AnalysisException, IllegalArgumentException, SparkRuntimeException

if TYPE_CHECKING:
    from kaspar.engine.execution import Executor

FORMATS = ("parquet", "json", "csv", "orc", "text")
EXTENSIONS = {
    "parquet": ".snappy.parquet",
    "json": ".json",
    "csv": ".csv",
    "orc": ".orc",
    "text": ".txt",
}


class FileStreamSink:
    """One output directory; batches are committed through its ``_spark_metadata`` log."""

    def __init__(  # noqa: PLR0917 - a sink's settings, all from writeStream
        self,
        executor: Executor,
        fmt: str,
        options: dict[str, str],
        partition_by: list[str],
        output_mode: str,
        compact_interval: int = DEFAULT_COMPACT_INTERVAL,
    ) -> None:
        if output_mode != "append":
            raise AnalysisException(
                f"Invalid streaming output mode: {output_mode}. This output mode is not "
                f"supported in Data Source {fmt}.",
                "STREAMING_OUTPUT_MODE.UNSUPPORTED_DATASOURCE",
            )
        given = options.get("path")
        if given is None:
            raise IllegalArgumentException("'path' is not specified.")
        self.path = Path(given.removeprefix("file://").removeprefix("file:")).absolute()
        self.description = f"FileSink[file:{self.path}]"
        self._executor = executor
        self._fmt = fmt
        self._options = options
        self._partition_by = partition_by
        self._log = file_sink_log(self.path, compact_interval)

    def add_batch(self, batch_id: int, table: pa.Table) -> None:
        """Steps 1-4 of the module docstring."""
        latest = self._log.latest_batch_id()
        if latest is not None and batch_id <= latest:
            return  # 1 committed before: skip
        job = uuid.uuid4()
        staging = self.path / "_temporary" / f"{batch_id}-{job}"
        try:
            if table.num_rows:
                self._write(table, staging)  # 2
            statuses = [sink_file_status(p) for p in self._move(staging, job)]  # 3
            if not self._log.add(batch_id, statuses):  # 4
                raise SparkRuntimeException(
                    f"Concurrent update to the log. Multiple streaming jobs detected for {batch_id}"
                )
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            if (self.path / "_temporary").is_dir() and not any(
                (self.path / "_temporary").iterdir()
            ):
                (self.path / "_temporary").rmdir()

    def _write(self, table: pa.Table, staging: Path) -> None:
        if self._fmt == "text":
            write_text(table, staging, self._partition_by)
            return
        names = tuple(table.column_names)
        renamed = table.rename_columns([f"c{i}" for i in range(table.num_columns)])
        write_files(
            self._executor,
            L.LocalRelation(renamed, names),
            staging,
            fmt=self._fmt,
            mode="append",
            options=self._options,
            partition_by=self._partition_by,
        )

    def _move(self, staging: Path, job: uuid.UUID) -> list[Path]:
        """Step 3: the staged files, renamed into the output directory."""
        if not staging.is_dir():
            return []
        staged = sorted(p for p in staging.rglob("*") if p.is_file() and not hidden(p.name))
        moved = []
        for n, source in enumerate(staged):
            directory = source.parent.relative_to(staging)
            separator = "." if directory.parts else "-"
            target = self.path / directory / f"part-{n:05d}-{job}{separator}c000"
            target = target.with_name(target.name + EXTENSIONS[self._fmt])
            target.parent.mkdir(parents=True, exist_ok=True)
            source.replace(target)
            moved.append(target)
        return moved

    def stop(self) -> None:
        pass


def write_text(table: pa.Table, directory: Path, partition_by: list[str]) -> None:
    """Spark's text writer: one line per row of a single string column (NULL: an empty line)."""
    if partition_by:
        raise AnalysisException(
            "partitionBy is not supported for the text sink yet", "UNSUPPORTED_FEATURE"
        )
    if table.num_columns != 1:
        raise AnalysisException(
            "Text data source supports only a single column, and you have "
            f"{table.num_columns} columns."
        )
    column = table.column(0)
    if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        raise AnalysisException(
            f"The Text datasource doesn't support the column `{table.column_names[0]}` of the "
            f'type "{_type_name(column.type)}".',
            "UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE",
        )
    directory.mkdir(parents=True, exist_ok=True)
    lines = ["" if v is None else v for v in column.to_pylist()]
    (directory / "part-text").write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def _type_name(arrow_type: pa.DataType) -> str:
    return from_arrow(arrow_type).simpleString().upper()
