"""``spark.read.json(df)``: JSON records held in a DataFrame's string column.

Spark parses an RDD or Dataset of strings, one record per string, with the same inference
and options as files. Here the strings are written once, one per line (DuckDB writes them as
text), to a directory the reader then scans as JSON lines. A raw line break is only
whitespace between JSON tokens (inside a string it must be escaped), so it becomes a space
and each record stays on its line. The directories live in a scratch folder removed when the
process exits.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from kaspar.engine import types as T
from kaspar.errors import AnalysisException

if TYPE_CHECKING:
    from kaspar.sql.dataframe import DataFrame

_SCRATCH: list[Path] = []


def _scratch() -> Path:
    if not _SCRATCH:
        folder = Path(tempfile.mkdtemp(prefix="kaspar-json-strings-"))
        atexit.register(shutil.rmtree, folder, True)
        _SCRATCH.append(folder)
    return _SCRATCH[0]


def json_lines_dir(df: DataFrame) -> str:
    """A directory of JSON-lines text holding the records of ``df``'s one string column."""
    from kaspar.sql import functions as F

    fields = df.schema.fields
    if len(fields) != 1 or not isinstance(fields[0].dataType, T.StringType):
        raise AnalysisException(
            "spark.read.json takes a DataFrame of one string column, got "
            f"{df.schema.simpleString()}.",
            "INVALID_JSON_SCHEMA",
        )
    record = F.col(fields[0].name)
    lines = df.where(record.isNotNull()).select(F.regexp_replace(record, "[\r\n]", " "))
    target = _scratch() / uuid.uuid4().hex
    lines.write.text(str(target))
    return str(target)
