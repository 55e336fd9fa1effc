"""``to_avro``: a column encoded as Avro binary values, one Arrow batch at a time.

The schema is the one given, else Spark's ``toAvroType`` of the column's type. With a registry
and a subject the schema is registered there (or looked up, when it already is) once, and each
value is framed: magic byte 0, the schema id, then the Avro bytes. Values are written with
fastavro's ``schemaless_writer`` into one buffer and cut into a binary column by their offsets.
"""

from __future__ import annotations

import io
import json
from typing import Any

import fastavro
import pyarrow as pa

from kaspar.engine.formats.avro_schema import parse_avro, to_avro_type
from kaspar.engine.formats.avro_values import shape_for_avro
from kaspar.engine.formats.binary_column import binary_array
from kaspar.engine.formats.registry_options import RegistryOptions
from kaspar.engine.formats.wire_format import frame_header
from kaspar.engine.type_conversion import from_arrow
from kaspar.errors import AnalysisException, SparkRuntimeException


class AvroEncoder:
    """Encodes a column's values as Avro (registry-framed when ``registry`` names a subject)."""

    def __init__(self, json_format_schema: str | None, registry: RegistryOptions | None) -> None:
        self.schema_text = json_format_schema
        self.registry = registry
        if registry is not None and registry.subject is None:
            raise AnalysisException(
                "to_avro with 'schema.registry.address' needs 'schema.registry.subject', the "
                "subject its schema is registered under.",
                "AVRO_OPTIONS",
            )
        self._schema: Any = None if json_format_schema is None else parse_avro(json_format_schema)
        self._header = b""

    def _prepare(self, arrow_type: pa.DataType) -> Any:
        """The schema (from the column's type when none was given) and the frame header."""
        if self._schema is None:
            dtype = from_arrow(arrow_type)
            nullable = not pa.types.is_struct(arrow_type)  # ``struct(...)`` is never NULL
            self.schema_text = json.dumps(to_avro_type(dtype, nullable))
            self._schema = parse_avro(self.schema_text)
        if self.registry is not None and not self._header:
            assert self.registry.subject is not None and self.schema_text is not None
            schema_id = self.registry.client().register(self.registry.subject, self.schema_text)
            self._header = frame_header(schema_id)
        return self._schema

    def __call__(self, column: pa.Array | pa.ChunkedArray) -> pa.Array:
        schema = self._prepare(column.type)
        shape = shape_for_avro(schema)
        values = column.to_pylist()
        buffer = io.BytesIO()
        write, header = fastavro.schemaless_writer, self._header
        offsets, valid = [0], []
        for value in values:
            if value is not None:
                buffer.write(header)
                try:
                    write(buffer, schema, value if shape is None else shape(value))
                except (ValueError, TypeError, KeyError, AttributeError) as e:
                    raise SparkRuntimeException(
                        f"Cannot write {value!r} as Avro of the schema {self.schema_text}: {e}"
                    ) from None
            valid.append(value is not None)
            offsets.append(buffer.tell())
        return binary_array(buffer.getvalue(), offsets, valid)
