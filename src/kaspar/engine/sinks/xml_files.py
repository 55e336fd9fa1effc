"""XML files as a batch sink (``df.write.xml``): Spark's layout, one part file and ``_SUCCESS``.

Steps:

1. Check the options (``rowTag`` is required, as Spark requires it) and the schema (a map has
   no XML form: Spark fails the write, and so does kaspar, before anything is written).
2. Apply the save mode to the target (``files.prepare_target``).
3. Run the query with each record's XML text computed in DuckDB (``engine/xml/writing_sql.py``)
   and ``COPY`` the texts, one a line, into a hidden temporary file (with ``partitionBy``, one
   per partition directory; the partition columns are left out of the records).
4. Assemble ``part-00000-<uuid>-c000.xml`` (``.xml.gz`` with ``compression=gzip``): the
   declaration line, ``<rootTag>``, the records at one level of indentation, ``</rootTag>``
   with no newline after it (the file is copied in chunks); partition directories renamed to
   Spark's escaping. No rows: an empty part file.
5. Write ``_SUCCESS``.
"""

from __future__ import annotations

import gzip
import shutil
import uuid
from pathlib import Path
from typing import IO, TYPE_CHECKING

from kaspar.engine import types as T
from kaspar.engine.plan import logical as L
from kaspar.engine.sinks.files import prepare_target
from kaspar.engine.sinks.partition_paths import rename_partitions
from kaspar.engine.xml.options import XmlOptions, xml_options
from kaspar.engine.xml.writing_sql import XmlSql, lit, name_sql
from kaspar.errors import AnalysisException, IllegalArgumentException

if TYPE_CHECKING:
    from kaspar.engine.execution import Executor

_COMPRESSIONS = {"none": "", "uncompressed": "", "gzip": ".gz"}
_CHUNK = 1 << 20
_CSV_LINES = "FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\x01', NULLSTR ''"


def _check_types(dtype: T.DataType, name: str) -> None:
    if isinstance(dtype, T.MapType):
        raise AnalysisException(
            f"The XML datasource doesn't support the column `{name}` of the type \""
            f'{dtype.simpleString().upper()}".',
            "UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE",
        )
    if isinstance(dtype, T.ArrayType):
        _check_types(dtype.elementType, name)
    if isinstance(dtype, T.StructType):
        for f in dtype.fields:
            _check_types(f.dataType, name)


def write_xml(
    executor: Executor,
    plan: L.LogicalPlan,
    target: Path,
    *,
    mode: str,
    options: dict[str, str],
    partition_by: list[str],
) -> None:
    """Write ``plan``'s rows under ``target`` as XML (see the module docstring)."""
    parsed = xml_options(options, require_row_tag=True)
    if parsed.compression not in _COMPRESSIONS:
        raise IllegalArgumentException(
            f"Codec [{parsed.compression}] is not available. Known codecs are "
            "none, uncompressed, gzip."
        )
    schema = executor.schema(plan)
    for field in schema.fields:
        _check_types(field.dataType, field.name)
    if not prepare_target(target, mode):
        return
    target.mkdir(parents=True, exist_ok=True)
    wanted = {c.lower() for c in partition_by}
    data = T.StructType([f for f in schema.fields if f.name.lower() not in wanted])
    records = XmlSql(parsed).struct(parsed.row_tag, "", data, 1)
    body = target / f".xml-records-{uuid.uuid4()}"
    columns = "".join(f", {name_sql(c)}" for c in partition_by)
    layout = _CSV_LINES
    if partition_by:
        layout += f", PARTITION_BY ({columns.removeprefix(', ')}), FILENAME_PATTERN 'records-{{i}}'"
    statement = (
        f"COPY (SELECT {records} AS xml{columns} FROM ({executor.sql(plan)})) "  # noqa: S608
        f"TO {lit(str(body))} ({layout})"
    )
    executor.run_plan_statement(plan, statement)
    try:
        _assemble_all(body, target, parsed)
    finally:
        if body.is_dir():
            shutil.rmtree(body)
        body.unlink(missing_ok=True)
    rename_partitions(target, len(partition_by))
    (target / "_SUCCESS").touch()


def _assemble_all(body: Path, target: Path, options: XmlOptions) -> None:
    """Step 4 for each file DuckDB wrote (one, or one per partition directory)."""
    suffix = _COMPRESSIONS[options.compression]
    written = [body] if body.is_file() else sorted(f for f in body.rglob("*") if f.is_file())
    for records in written:
        folder = target / records.parent.relative_to(body) if records != body else target
        folder.mkdir(parents=True, exist_ok=True)
        _assemble(records, folder / f"part-00000-{uuid.uuid4()}-c000.xml{suffix}", options)


def _assemble(body: Path, path: Path, options: XmlOptions) -> None:
    """The part file: declaration and root tag, the records DuckDB wrote (one a line), the
    closing root tag after the last record's line, without its newline; no records: empty."""
    size = body.stat().st_size
    with _open(path) as out:
        if size == 0:
            return
        if options.declaration:
            out.write(f"<?xml {options.declaration}?>\n".encode())
        out.write(f"<{options.root_tag}>\n".encode())
        with body.open("rb") as records:
            left = size - 1  # the last record's newline
            while left > 0:
                chunk = records.read(min(left, _CHUNK))
                out.write(chunk)
                left -= len(chunk)
        out.write(f"\n</{options.root_tag.split()[0]}>".encode())


def _open(path: Path) -> IO[bytes] | gzip.GzipFile:
    if path.suffix == ".gz":
        return gzip.open(path, "wb")
    return path.open("wb")
