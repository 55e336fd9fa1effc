"""XML files as a batch sink (``df.write.xml``): Spark's layout, one part file and ``_SUCCESS``.

Steps:

1. Check the options (``rowTag`` is required, as Spark requires it) and the schema (a map has
   no XML form: Spark fails the write, and so does kaspar, before anything is written).
2. Apply the save mode to the target (``files.prepare_target``).
3. Run the query and write its Arrow batches, one record at a time (``engine/xml/writing.py``),
   into ``part-00000-<uuid>-c000.xml`` (``.xml.gz`` with ``compression=gzip``): the
   declaration line, ``<rootTag>``, the records at one level of indentation, ``</rootTag>``
   with no newline after it. No rows: an empty part file.
4. Write ``_SUCCESS``.
"""

from __future__ import annotations

import gzip
import uuid
from pathlib import Path
from typing import IO, TYPE_CHECKING

import pyarrow as pa

from kaspar.engine import types as T
from kaspar.engine.plan import logical as L
from kaspar.engine.sinks.files import prepare_target
from kaspar.engine.sources.xml_scan import session_zone
from kaspar.engine.xml.options import xml_options
from kaspar.engine.xml.writing import XmlWriter
from kaspar.errors import AnalysisException, IllegalArgumentException

if TYPE_CHECKING:
    from kaspar.engine.execution import Executor

_COMPRESSIONS = {"none": "", "uncompressed": "", "gzip": ".gz"}


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
    table = executor.execute(plan)
    target.mkdir(parents=True, exist_ok=True)
    writer = XmlWriter(parsed, session_zone(executor))
    name = f"part-00000-{uuid.uuid4()}-c000.xml{_COMPRESSIONS[parsed.compression]}"
    path = target / name
    with _open(path) as out:
        _write_document(out, writer, table.to_batches(), schema)
    (target / "_SUCCESS").touch()


def _open(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "wt", encoding="utf-8")
    return path.open("w", encoding="utf-8")


def _write_document(
    out: IO[str], writer: XmlWriter, batches: list[pa.RecordBatch], schema: T.StructType
) -> None:
    o = writer.options
    started = False
    for batch in batches:
        for record in batch.to_pylist():
            if not started:
                if o.declaration:
                    out.write(f"<?xml {o.declaration}?>\n")
                out.write(f"<{o.root_tag}>\n")
                started = True
            else:
                out.write("\n")
            out.write(writer.record(record, schema, 1))
    if started:
        out.write(f"\n</{o.root_tag.split()[0]}>")
