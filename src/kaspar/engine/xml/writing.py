"""Records as XML text, as Spark's XML writer lays them out (``df.write.xml``, ``to_xml``).

* a record is an element (``rowTag``); its fields starting with ``attributePrefix`` are its
  attributes, ``valueTag`` its text (after the last child, on that child's line), the others
  child elements; an array is its elements repeated under the field's name, an array inside
  an array one element per inner array holding ``arrayElementName`` elements;
* four spaces of indentation per level; ``&``, ``<`` and ``>`` escaped (and ``"`` in
  attributes);
* a NULL field is left out, or written as ``nullValue`` when that option is set;
* values as Spark writes them: ``true``, Java's double text (``1.0E20``), dates
  ``yyyy-MM-dd``, timestamps ``yyyy-MM-dd'T'HH:mm:ss.SSSXXX`` in the session's time zone
  (``dateFormat`` / ``timestampFormat`` replace these).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from xml.sax.saxutils import escape

import numpy as np

from kaspar.engine import types as T
from kaspar.engine.variant.value import java_double
from kaspar.engine.xml.options import XmlOptions
from kaspar.engine.xml.text_values import format_temporal

INDENT = "    "
TIMESTAMP_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"
TIMESTAMP_NTZ_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSS"


class XmlWriter:
    """Writes records of one schema with one set of options (see the module docstring)."""

    def __init__(self, options: XmlOptions, zone: dt.tzinfo) -> None:
        self.options = options
        self.zone = zone

    def text(self, value: Any, dtype: T.DataType) -> str:
        """A scalar value as Spark writes it (not yet escaped)."""
        o = self.options
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(dtype, T.FloatType):
            return java_double(float(str(np.float32(value))))
        if isinstance(value, float):
            return java_double(value)
        if isinstance(dtype, T.TimestampType) and isinstance(value, dt.datetime):
            local = value.astimezone(self.zone) if value.tzinfo else value
            return format_temporal(local, o.timestamp_format or TIMESTAMP_FORMAT)
        if isinstance(value, dt.datetime):
            return format_temporal(value, TIMESTAMP_NTZ_FORMAT)
        if isinstance(value, dt.date):
            return format_temporal(value, o.date_format or "yyyy-MM-dd")
        if isinstance(value, bytes):
            return value.decode("utf-8", errors="replace")
        return str(value)

    def element(self, name: str, value: Any, dtype: T.DataType, depth: int) -> list[str]:
        """The lines of one element (none for a NULL without ``nullValue``)."""
        pad = INDENT * depth
        if value is None:
            null = self.options.null_value
            return [] if null is None else [f"{pad}<{name}>{escape(null)}</{name}>"]
        if isinstance(dtype, T.StructType):
            return self._struct(name, value, dtype, depth)
        if isinstance(dtype, T.ArrayType):
            return self._array(name, value, dtype, depth)
        return [f"{pad}<{name}>{escape(self.text(value, dtype))}</{name}>"]

    def _array(self, name: str, items: list[Any], dtype: T.ArrayType, depth: int) -> list[str]:
        inner = dtype.elementType
        if not isinstance(inner, T.ArrayType):
            return [line for item in items for line in self.element(name, item, inner, depth)]
        pad, tag = INDENT * depth, self.options.array_element_name
        lines: list[str] = []
        for item in items:
            if item is None:
                lines += self.element(name, None, inner, depth)
                continue
            body = [
                line for x in item for line in self.element(tag, x, inner.elementType, depth + 1)
            ]
            lines += [f"{pad}<{name}>", *body, f"{pad}</{name}>"]
        return lines

    def _struct(
        self, name: str, record: dict[str, Any], dtype: T.StructType, depth: int
    ) -> list[str]:
        o, pad = self.options, INDENT * depth
        attributes, children, own = [], [], None
        for field in dtype.fields:
            value = record.get(field.name)
            if field.name == o.value_tag:
                own = None if value is None else escape(self.text(value, field.dataType))
            elif o.attribute_prefix and field.name.startswith(o.attribute_prefix):
                text = o.null_value if value is None else self.text(value, field.dataType)
                if text is not None:
                    key = field.name[len(o.attribute_prefix) :]
                    attributes.append(f' {key}="{escape(text, {chr(34): "&quot;"})}"')
            else:
                children += self.element(field.name, value, field.dataType, depth + 1)
        start = f"{pad}<{name}{''.join(attributes)}>"
        if not children:
            return [f"{start}{own or ''}</{name}>"]
        if own:
            children[-1] += own
        return [start, *children, f"{pad}</{name}>"]

    def record(self, record: dict[str, Any], schema: T.StructType, depth: int) -> str:
        """One record (a row) as its element's text."""
        return "\n".join(self._struct(self.options.row_tag, record, schema, depth))
