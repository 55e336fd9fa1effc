"""Spark's ``from_xml``, ``to_xml`` and ``schema_of_xml`` over Arrow batches with lxml.

One call per batch, a Python loop over its rows (lxml parses each document in C; see
docs/xml.md). Spark's XML conventions (its ``spark-xml`` data source, default options):

* a record is one element; its attributes are the fields ``_name``, its child elements the
  fields named by their tags (repeated children an array), its own text ``_VALUE`` when it
  has attributes or children, else the element's value itself;
* ``from_xml`` is PERMISSIVE: a value that does not fit its field's type is NULL, a document
  that is not XML a record of NULL fields;
* ``to_xml`` writes a ``rowTag`` element (``ROW``) as the data source writes a record
  (``writing.XmlWriter``: ``_`` fields as attributes, arrays as repeated elements, NULL fields
  left out or ``nullValue``, four spaces of indentation per level);
* ``schema_of_xml`` infers as the data source does (``inference``: BIGINT, DOUBLE, BOOLEAN,
  DATE, TIMESTAMP or STRING per value, an array for a repeated element, fields sorted by
  name), with the options (``excludeAttribute``, ``attributePrefix``, ...).
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from typing import Any

import pyarrow as pa
from lxml import etree

from kaspar.engine import types as T
from kaspar.engine.type_conversion import from_arrow, to_arrow
from kaspar.engine.xml.inference import SchemaInference
from kaspar.engine.xml.options import XmlOptions, xml_options
from kaspar.engine.xml.writing import XmlWriter

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _parse(text: str) -> Any | None:
    try:
        return etree.fromstring(text.encode(), _PARSER)
    except etree.XMLSyntaxError:
        return None


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _own_text(element: Any) -> str | None:
    parts = [element.text or ""] + [child.tail or "" for child in element]
    text = "".join(parts).strip()
    return text or None


# from_xml --------------------------------------------------------------------------------


def _scalar(text: str | None, dtype: T.DataType) -> Any:
    if text is None:
        return None
    value = text.strip()
    try:
        if isinstance(dtype, T.StringType):
            return text
        if isinstance(dtype, T.BooleanType):
            return {"true": True, "false": False}.get(value.lower())
        if isinstance(dtype, T.IntegralType):
            number = int(value)
            bits = {T.ByteType: 8, T.ShortType: 16, T.IntegerType: 32}.get(type(dtype), 64)
            return number if -(2 ** (bits - 1)) <= number < 2 ** (bits - 1) else None
        if isinstance(dtype, T.DoubleType | T.FloatType):
            return float(value)
        if isinstance(dtype, T.DecimalType):
            return decimal.Decimal(value)
        if isinstance(dtype, T.DateType):
            return dt.date.fromisoformat(value)
        if isinstance(dtype, T.TimestampType | T.TimestampNTZType):
            return dt.datetime.fromisoformat(value)
    except (ValueError, decimal.InvalidOperation):
        return None
    return None


_DEFAULTS = XmlOptions()


def _value(element: Any, dtype: T.DataType, o: XmlOptions) -> Any:
    if isinstance(dtype, T.StructType):
        return _record(element, dtype, o)
    if isinstance(dtype, T.ArrayType):  # a lone element read as an array of one
        return [_value(element, dtype.elementType, o)]
    return _scalar(_own_text(element), dtype)


def _failed(element: Any, dtype: T.DataType, value: Any) -> str | None:
    """The text of a scalar child whose value does not fit its type (Spark keeps it in
    ``_VALUE``), None when it fits."""
    if isinstance(dtype, T.StructType) or value is not None:
        return None
    return _own_text(element)


def _record(element: Any, schema: T.StructType, o: XmlOptions = _DEFAULTS) -> dict[str, Any]:
    children: dict[str, list[Any]] = {}
    for child in element:
        if isinstance(child.tag, str):
            children.setdefault(_local(child.tag), []).append(child)
    attributes = {} if o.exclude_attribute else {_local(k): v for k, v in element.attrib.items()}
    prefix, value_tag = o.attribute_prefix, o.value_tag
    record: dict[str, Any] = {}
    failed: str | None = None
    for field in schema.fields:
        name, dtype = field.name, field.dataType
        if name == value_tag:
            record[name] = _scalar(_own_text(element), dtype)
        elif name.startswith(prefix) and name[len(prefix) :] in attributes:
            record[name] = _scalar(attributes[name[len(prefix) :]], dtype)
        elif name in children:
            found = children[name]
            inner = dtype.elementType if isinstance(dtype, T.ArrayType) else dtype
            values = [_value(c, inner, o) for c in found]
            bad = [t for c, v in zip(found, values, strict=True) if (t := _failed(c, inner, v))]
            failed = bad[-1] if bad else failed
            if isinstance(dtype, T.ArrayType):
                record[name] = None if bad else values  # Spark: an element that does not fit
            else:
                record[name] = values[0]
        else:
            record[name] = None
    if failed is not None and value_tag in record:
        record[value_tag] = failed
    return record


def from_xml(
    texts: pa.Array, schema: T.StructType, options: tuple[tuple[str, str], ...] = ()
) -> pa.Array:
    """Each document as a record of ``schema`` (NULL for NULL; NULL fields when malformed),
    with the options' ``attributePrefix``, ``valueTag`` and ``excludeAttribute``."""
    parsed = xml_options(dict(options))
    empty = dict.fromkeys(schema.names)
    records: list[dict[str, Any] | None] = []
    for text in texts.to_pylist():
        if text is None:
            records.append(None)
            continue
        root = _parse(text)
        records.append(empty if root is None else _record(root, schema, parsed))
    return pa.array(records, to_arrow(schema))


# to_xml ----------------------------------------------------------------------------------


def to_xml(records: pa.Array, options: tuple[tuple[str, str], ...] = ()) -> pa.Array:
    """Each record as Spark's XML text of a ``rowTag`` element (``ROW``; NULL for NULL), laid
    out by ``writing.XmlWriter`` with the options (times in UTC)."""
    parsed = xml_options(dict(options))
    schema = from_arrow(records.type)
    assert isinstance(schema, T.StructType)
    writer = XmlWriter(parsed, dt.UTC)
    texts = [None if r is None else writer.record(r, schema, 0) for r in records.to_pylist()]
    return pa.array(texts, pa.string())


# schema_of_xml ---------------------------------------------------------------------------


def _quoted(name: str) -> str:
    return name if _IDENTIFIER.fullmatch(name) else "`" + name.replace("`", "``") + "`"


def ddl(dtype: T.DataType) -> str:
    """Spark's schema text of a type (``STRUCT<a: BIGINT, `@b`: ARRAY<STRING>>``)."""
    if isinstance(dtype, T.StructType):
        return "STRUCT<" + ", ".join(f"{_quoted(f.name)}: {ddl(f.dataType)}" for f in dtype) + ">"
    if isinstance(dtype, T.ArrayType):
        return f"ARRAY<{ddl(dtype.elementType)}>"
    return {"bigint": "BIGINT"}.get(dtype.simpleString(), dtype.simpleString().upper())


def infer_document(text: str, options: XmlOptions) -> T.StructType:
    """The schema of one XML document (its root element is the record), as ``schema_of_xml``
    and ``from_xml`` see it."""
    root = _parse(text)
    if root is None:  # PERMISSIVE: a malformed document is a corrupt record
        return T.StructType([T.StructField(options.corrupt_column, T.StringType(), True)])
    return SchemaInference(options, dt.UTC).record_type(root)


def schema_of_xml(texts: pa.Array, options: tuple[tuple[str, str], ...] = ()) -> pa.Array:
    """Spark's schema text of each document (a record is always a STRUCT)."""
    parsed = xml_options(dict(options))
    out = [None if t is None else ddl(infer_document(t, parsed)) for t in texts.to_pylist()]
    return pa.array(out, pa.string())
