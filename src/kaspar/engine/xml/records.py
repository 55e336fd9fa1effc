"""Spark's ``from_xml``, ``to_xml`` and ``schema_of_xml`` over Arrow batches with lxml.

One call per batch, a Python loop over its rows (lxml parses each document in C; see
docs/xml.md). Spark's XML conventions (its ``spark-xml`` data source, default options):

* a record is one element; its attributes are the fields ``_name``, its child elements the
  fields named by their tags (repeated children an array), its own text ``_VALUE`` when it
  has attributes or children, else the element's value itself;
* ``from_xml`` is PERMISSIVE: a value that does not fit its field's type is NULL, a document
  that is not XML a record of NULL fields;
* ``to_xml`` writes a ``ROW`` element, ``_`` fields as attributes, arrays as repeated
  elements, NULL fields left out, four spaces of indentation per level;
* ``schema_of_xml`` infers BIGINT, DOUBLE, BOOLEAN, DATE, TIMESTAMP or STRING per value, an
  array for a repeated element, merging types as Spark does (BIGINT with DOUBLE is DOUBLE,
  DATE with TIMESTAMP TIMESTAMP, anything else STRING), fields sorted by name.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pyarrow as pa
from lxml import etree

from kaspar.engine import types as T
from kaspar.engine.type_conversion import to_arrow

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)
VALUE = "_VALUE"
_INDENT = "    "


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


def _value(element: Any, dtype: T.DataType) -> Any:
    if isinstance(dtype, T.StructType):
        return _record(element, dtype)
    if isinstance(dtype, T.ArrayType):  # a lone element read as an array of one
        return [_value(element, dtype.elementType)]
    return _scalar(_own_text(element), dtype)


def _failed(element: Any, dtype: T.DataType, value: Any) -> str | None:
    """The text of a scalar child whose value does not fit its type (Spark keeps it in
    ``_VALUE``), None when it fits."""
    if isinstance(dtype, T.StructType) or value is not None:
        return None
    return _own_text(element)


def _record(element: Any, schema: T.StructType) -> dict[str, Any]:
    children: dict[str, list[Any]] = {}
    for child in element:
        if isinstance(child.tag, str):
            children.setdefault(_local(child.tag), []).append(child)
    attributes = {_local(k): v for k, v in element.attrib.items()}
    record: dict[str, Any] = {}
    failed: str | None = None
    for field in schema.fields:
        name, dtype = field.name, field.dataType
        if name == VALUE:
            record[name] = _scalar(_own_text(element), dtype)
        elif name.startswith("_") and name[1:] in attributes:
            record[name] = _scalar(attributes[name[1:]], dtype)
        elif name in children:
            found = children[name]
            inner = dtype.elementType if isinstance(dtype, T.ArrayType) else dtype
            values = [_value(c, inner) for c in found]
            bad = [t for c, v in zip(found, values, strict=True) if (t := _failed(c, inner, v))]
            failed = bad[-1] if bad else failed
            if isinstance(dtype, T.ArrayType):
                record[name] = None if bad else values  # Spark: an element that does not fit
            else:
                record[name] = values[0]
        else:
            record[name] = None
    if failed is not None and VALUE in record:
        record[VALUE] = failed
    return record


def from_xml(texts: pa.Array, schema: T.StructType) -> pa.Array:
    """Each document as a record of ``schema`` (NULL for NULL; NULL fields when malformed)."""
    empty = dict.fromkeys(schema.names)
    records: list[dict[str, Any] | None] = []
    for text in texts.to_pylist():
        if text is None:
            records.append(None)
            continue
        root = _parse(text)
        records.append(empty if root is None else _record(root, schema))
    return pa.array(records, to_arrow(schema))


# to_xml ----------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def _element(name: str, value: Any, depth: int) -> list[str]:
    pad = _INDENT * depth
    if isinstance(value, dict):
        attributes = "".join(
            f" {k[1:]}={quoteattr(_text(v))}"
            for k, v in value.items()
            if k.startswith("_") and k != VALUE and v is not None
        )
        inner = [
            line
            for k, v in value.items()
            if not k.startswith("_") and v is not None
            for line in _element(k, v, depth + 1)
        ]
        own = value.get(VALUE)
        if not inner:
            body = "" if own is None else escape(_text(own))
            return [f"{pad}<{name}{attributes}>{body}</{name}>"]
        return [f"{pad}<{name}{attributes}>", *inner, f"{pad}</{name}>"]
    if isinstance(value, list):
        return [line for v in value if v is not None for line in _element(name, v, depth)]
    return [f"{pad}<{name}>{escape(_text(value))}</{name}>"]


def to_xml(records: pa.Array) -> pa.Array:
    """Each record as Spark's XML text of a ``ROW`` element (NULL for NULL)."""
    texts = [None if r is None else "\n".join(_element("ROW", r, 0)) for r in records.to_pylist()]
    return pa.array(texts, pa.string())


# schema_of_xml ---------------------------------------------------------------------------


def _infer_text(text: str | None) -> str:
    if text is None:
        return "NULL"
    value = text.strip()
    try:
        int(value)
        return "BIGINT"
    except ValueError:
        pass
    try:
        float(value)
        return "DOUBLE"
    except ValueError:
        pass
    if value.lower() in ("true", "false"):
        return "BOOLEAN"
    for kind, parse in (("DATE", dt.date.fromisoformat), ("TIMESTAMP", dt.datetime.fromisoformat)):
        try:
            parse(value)
            return kind
        except ValueError:
            pass
    return "STRING"


Inferred = str | dict[str, Any] | list[Any]


def _merge(a: Inferred, b: Inferred) -> Inferred:
    if a == "NULL":
        return b
    if b in ("NULL", a):
        return a
    if isinstance(a, list) or isinstance(b, list):
        inner_a = a[0] if isinstance(a, list) else a
        inner_b = b[0] if isinstance(b, list) else b
        return [_merge(inner_a, inner_b)]
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: _merge(a.get(k, "NULL"), b.get(k, "NULL")) for k in {*a, *b}}
    pair = {a, b} if isinstance(a, str) and isinstance(b, str) else set()
    if pair == {"BIGINT", "DOUBLE"}:
        return "DOUBLE"
    if pair == {"DATE", "TIMESTAMP"}:
        return "TIMESTAMP"
    return "STRING"


def _infer(element: Any) -> Inferred:
    fields: dict[str, Inferred] = {
        f"_{_local(k)}": _infer_text(v) for k, v in element.attrib.items()
    }
    seen: dict[str, int] = {}
    for child in element:
        if isinstance(child.tag, str):
            name = _local(child.tag)
            seen[name] = seen.get(name, 0) + 1
            kind = _infer(child)
            fields[name] = _merge(fields[name], kind) if name in fields else kind
    for name, count in seen.items():
        if count > 1 and not isinstance(fields[name], list):
            fields[name] = [fields[name]]
    if not fields:
        return _infer_text(_own_text(element))
    text = _own_text(element)
    if text is not None:
        fields[VALUE] = _infer_text(text)
    return fields


def _ddl(kind: Inferred) -> str:
    if isinstance(kind, list):
        return f"ARRAY<{_ddl(kind[0])}>"
    if isinstance(kind, dict):
        return "STRUCT<" + ", ".join(f"{k}: {_ddl(kind[k])}" for k in sorted(kind)) + ">"
    return "STRING" if kind == "NULL" else kind


def schema_of_xml(texts: pa.Array) -> pa.Array:
    """Spark's schema text of each document (a record is always a STRUCT)."""
    out: list[str | None] = []
    for text in texts.to_pylist():
        root = None if text is None else _parse(text)
        if root is None:  # PERMISSIVE: a malformed document is a corrupt record
            out.append(None if text is None else "STRUCT<_corrupt_record: STRING>")
            continue
        kind = _infer(root)
        out.append(_ddl(kind if isinstance(kind, dict) else {VALUE: kind}))
    return pa.array(out, pa.string())
