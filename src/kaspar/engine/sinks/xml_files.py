"""XML files as a batch sink (``df.write.xml``): Spark's layout, one part file and ``_SUCCESS``.

Steps:

1. Check the options (``rowTag`` is required, as Spark requires it) and the schema (a map has
   no XML form: Spark fails the write, and so does kaspar, before anything is written).
2. Apply the save mode to the target (``files.prepare_target``).
3. Run the query with each record's XML text computed in DuckDB (``engine/xml/writing_sql.py``)
   and ``COPY`` the texts, one a line, into a hidden temporary file.
4. Assemble ``part-00000-<uuid>-c000.xml`` (``.xml.gz`` with ``compression=gzip``): the
   declaration line, ``<rootTag>``, the records at one level of indentation, ``</rootTag>``
   with no newline after it (the file is copied in chunks). No rows: an empty part file.
5. Write ``_SUCCESS``.
"""

from __future__ import annotations

import gzip
import uuid
from pathlib import Path
from typing import IO, TYPE_CHECKING

from kaspar.engine import types as T
from kaspar.engine.plan import logical as L
from kaspar.engine.sinks.files import prepare_target
from kaspar.engine.xml.options import XmlOptions, xml_options
from kaspar.engine.xml.writing_sql import XmlSql, lit
from kaspar.errors import AnalysisException, IllegalArgumentException

if TYPE_CHECKING:
    from kaspar.engine.execution import Executor

_COMPRESSIONS = {"none": "", "uncompressed": "", "gzip": ".gz"}
_CHUNK = 1 << 20


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
    if partition_by:
        raise AnalysisException("partitionBy is not supported for xml yet", "UNSUPPORTED_FEATURE")
    schema = executor.schema(plan)
    for field in schema.fields:
        _check_types(field.dataType, field.name)
    if not prepare_target(target, mode):
        return
    target.mkdir(parents=True, exist_ok=True)
    body = target / f".xml-records-{uuid.uuid4()}.tmp"
    records = XmlSql(parsed).struct(parsed.row_tag, "", schema, 1)
    statement = (
        f"COPY (SELECT {records} AS xml FROM ({executor.sql(plan)})) TO {lit(str(body))} "  # noqa: S608
        "(FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\x01', NULLSTR '')"
    )
    executor.run_plan_statement(plan, statement)
    name = f"part-00000-{uuid.uuid4()}-c000.xml{_COMPRESSIONS[parsed.compression]}"
    try:
        _assemble(body, target / name, parsed)
    finally:
        body.unlink(missing_ok=True)
    (target / "_SUCCESS").touch()


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
