"""XML files as a lazy plan leaf (Spark's XML data source, ``spark.read.xml``).

``xml_scan`` reads nothing but what schema inference needs (no file when a schema is given;
the inferred schema is cached per process for unchanged files by ``schema_cache``). The leaf is
an object DuckDB asks for an Arrow stream when a query runs (``XmlRead``); the stream parses
one file at a time (``engine/xml/documents.py``: libxml2, incrementally where it can), reads
each record element (``engine/xml/element_records.py``) and yields Arrow batches of
``BATCH_ROWS`` records.

Modes, as Spark's: a record with a value that does not fit its type, or the malformed end of a
file, is kept in PERMISSIVE mode (the fields read before the bad value, the file's text in the
corrupt-record column when the schema has it), dropped in DROPMALFORMED mode, and fails the
query in FAILFAST mode (``FAILED_READ_FILE.NO_HINT``).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pyarrow as pa
from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.deferred_errors import defer
from kaspar.engine.plan import logical as L
from kaspar.engine.sources.json_modes import opaque
from kaspar.engine.sources.schema_cache import inferred_schema
from kaspar.engine.type_conversion import to_arrow
from kaspar.engine.xml.documents import Document, Malformed
from kaspar.engine.xml.element_records import MalformedRecord, RecordReader
from kaspar.engine.xml.inference import SchemaInference, schema_of
from kaspar.engine.xml.options import XmlOptions, xml_options
from kaspar.errors import AnalysisException, PySparkException, SparkException

if TYPE_CHECKING:
    from kaspar.engine.execution import Executor

BATCH_ROWS = 8192
_SAMPLE_SEED = 42


def session_zone(executor: Executor) -> dt.tzinfo:
    """The session's time zone (DuckDB's ``TimeZone`` setting, which the session sets)."""
    rows = executor._con.execute("SELECT current_setting('TimeZone')").fetchall()
    name = str(rows[0][0]) if rows else "UTC"
    return dt.UTC if name.upper() in ("UTC", "GMT", "Z") else ZoneInfo(name)


def infer_records(documents: list[Document], options: XmlOptions, zone: dt.tzinfo) -> T.StructType:
    """The schema of the records (``inference``), with the corrupt-record column when one is
    malformed in PERMISSIVE mode; FAILFAST fails on a malformed one."""
    inference = SchemaInference(options, zone)
    sample = random.Random(_SAMPLE_SEED)  # noqa: S311 - a sample, not a secret
    shapes: set[Any] = set()
    bad = False
    for found in (r for d in documents for r in d.records(options.row_tag)):
        if isinstance(found, Malformed):
            bad = True
            continue
        if options.sampling_ratio < 1 and sample.random() >= options.sampling_ratio:
            continue
        shapes.add(inference.record_shape(found))
    if bad and options.mode == "FAILFAST":
        raise SparkException(
            "Malformed records are detected in record parsing: "
            f"{options.corrupt_column}.\nParse Mode: FAILFAST. To process malformed records as "
            "null result, try setting the option 'mode' as 'PERMISSIVE'.",
            "MALFORMED_RECORD_IN_PARSING.WITHOUT_SUGGESTION",
        )
    schema = schema_of(sorted(shapes, key=repr), options.value_tag)
    if bad and options.mode == "PERMISSIVE" and options.corrupt_column not in schema.names:
        fields = [*schema.fields, T.StructField(options.corrupt_column, T.StringType(), True)]
        schema = T.StructType(sorted(fields, key=lambda f: f.name))
    return schema


def xml_scan(
    executor: Executor, paths: list[str], options: dict[str, str], schema: T.StructType | None
) -> L.Scan:
    """The plan leaf for an XML read (see the module docstring)."""
    parsed = xml_options(options, require_row_tag=True)
    zone = session_zone(executor)
    files = [p for p in paths if not p.endswith(".crc")]
    documents = [Document(p) for p in files]
    if schema is None:
        schema = inferred_schema(
            "xml", files, options, lambda: infer_records(documents, parsed, zone)
        )
    read: T.StructType = schema
    scan = records_scan(XmlRead(documents, schema, parsed, zone))
    if not scan.tables:
        return scan
    return replace(
        scan,
        files=tuple(files),
        with_file=lambda: records_scan(XmlRead(documents, read, parsed, zone, with_file=True)),
    )


def records_scan(read: XmlRead) -> L.Scan:
    """The plan leaf over ``read``'s records."""
    schema, options = read.schema, read.options
    if options.corrupt_column in schema.names:
        field = schema[options.corrupt_column]
        if not isinstance(field.dataType, T.StringType) or not field.nullable:
            raise AnalysisException(
                "The field for corrupt records must be string type and nullable.",
                "_LEGACY_ERROR_TEMP_1097",
            )
    if not schema.fields:
        return L.Scan(opaque("SELECT NULL AS _none WHERE false", "_xml"), (), "xml")
    name = L.next_relation_name()
    names = (*schema.names, L.FILE_COLUMN) if read.with_file else tuple(schema.names)
    return L.Scan(exp.to_table(f'"{name}"'), names, "xml", tables=((name, read),))


class XmlRead:
    """What DuckDB scans for an XML read: the schema at once, the records each time a query
    asks for its Arrow stream."""

    def __init__(
        self,
        documents: list[Document],
        schema: T.StructType,
        options: XmlOptions,
        zone: dt.tzinfo,
        *,
        with_file: bool = False,
    ) -> None:
        self.documents, self.schema, self.options, self.zone = documents, schema, options, zone
        self.with_file = with_file  # each record's file path as one more column (FILE_COLUMN)
        fields = [pa.field(f.name, to_arrow(f.dataType)) for f in schema.fields]
        if with_file:
            fields.append(pa.field(L.FILE_COLUMN, pa.string()))
        self.arrow_schema = pa.schema(fields)

    def __arrow_c_schema__(self) -> object:
        return self.arrow_schema.__arrow_c_schema__()

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        reader = pa.RecordBatchReader.from_batches(self.arrow_schema, self._batches())
        return reader.__arrow_c_stream__(requested_schema)

    def _batches(self) -> Iterator[pa.RecordBatch]:
        try:
            rows: list[dict[str, Any]] = []
            for row in self._rows():
                rows.append(row)
                if len(rows) >= BATCH_ROWS:
                    yield pa.RecordBatch.from_pylist(rows, self.arrow_schema)
                    rows = []
            if rows:
                yield pa.RecordBatch.from_pylist(rows, self.arrow_schema)
        except PySparkException as e:  # DuckDB keeps only the text: carried back whole
            raise defer(e) from None
        except Exception as e:  # noqa: BLE001 - any failure of the read fails the query
            raise defer(SparkException(f"XML source failed: {e}")) from None

    def _rows(self) -> Iterator[dict[str, Any]]:
        options = self.options
        corrupt = options.corrupt_column
        data = T.StructType([f for f in self.schema.fields if f.name != corrupt])
        reader = RecordReader(options, self.zone)
        for document in self.documents:
            for found in document.records(options.row_tag):
                bad = isinstance(found, Malformed)
                if bad:
                    row: dict[str, Any] = dict.fromkeys(data.names)
                else:
                    try:
                        row = reader.record(found, data)
                    except MalformedRecord as e:
                        row, bad = e.partial, True
                if bad:
                    if options.mode == "DROPMALFORMED":
                        continue
                    if options.mode == "FAILFAST":
                        raise SparkException(
                            f"Encountered error while reading file file://{document.path}.",
                            "FAILED_READ_FILE.NO_HINT",
                        )
                    if corrupt in self.schema.names:
                        row[corrupt] = document.text()
                if self.with_file:
                    row[L.FILE_COLUMN] = document.path
                yield row


def xml_texts_scan(
    executor: Executor, texts: list[str], options: dict[str, str], schema: T.StructType | None
) -> L.Scan:
    """The plan leaf for XML documents held as strings (``spark.read.xml(df)``: each string
    one document)."""
    parsed = xml_options(options, require_row_tag=True)
    zone = session_zone(executor)
    documents = [Document("", text.encode()) for text in texts]
    if schema is None:
        schema = infer_records(documents, parsed, zone)
    return records_scan(XmlRead(documents, schema, parsed, zone))
