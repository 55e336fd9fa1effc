"""XML functions: ``xpath`` and its typed forms, as Spark evaluates them (lxml over Arrow
batches: ``kaspar.engine.xml.xpath``; docs/xml.md)."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.type_conversion import parse_data_type
from kaspar.engine.xml.options import xml_options
from kaspar.engine.xml.records import ddl, infer_document
from kaspar.engine.xml.xpath import call, from_xml_udf, options_udf
from kaspar.errors import PySparkTypeError
from kaspar.sql.column import Column, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node


def _xpath(name: str, xml: ColumnOrName, path: ColumnOrName) -> Column:
    x, p = to_expr(xml), to_expr(path)
    return node(call(name, x, p), f"{name}({names(x, p)})")


def xpath(xml: ColumnOrName, path: ColumnOrName) -> Column:
    """The values of the nodes ``path`` selects in the XML document ``xml``."""
    return _xpath("xpath", xml, path)


def xpath_string(xml: ColumnOrName, path: ColumnOrName) -> Column:
    """The text of the first node ``path`` selects ('' when none)."""
    return _xpath("xpath_string", xml, path)


def xpath_boolean(xml: ColumnOrName, path: ColumnOrName) -> Column:
    """Whether ``path`` selects anything (or is true)."""
    return _xpath("xpath_boolean", xml, path)


def xpath_double(xml: ColumnOrName, path: ColumnOrName) -> Column:
    """The number ``path`` evaluates to (NaN when not a number)."""
    return _xpath("xpath_double", xml, path)


def xpath_number(xml: ColumnOrName, path: ColumnOrName) -> Column:
    """The number ``path`` evaluates to (NaN when not a number)."""
    return _xpath("xpath_number", xml, path)


def xpath_float(xml: ColumnOrName, path: ColumnOrName) -> Column:
    """The number ``path`` evaluates to, as a float."""
    return _xpath("xpath_float", xml, path)


def xpath_int(xml: ColumnOrName, path: ColumnOrName) -> Column:
    """The number ``path`` evaluates to, as an int (0 when not a number)."""
    return _xpath("xpath_int", xml, path)


def xpath_long(xml: ColumnOrName, path: ColumnOrName) -> Column:
    """The number ``path`` evaluates to, as a bigint (0 when not a number)."""
    return _xpath("xpath_long", xml, path)


def xpath_short(xml: ColumnOrName, path: ColumnOrName) -> Column:
    """The number ``path`` evaluates to, as a smallint (0 when not a number)."""
    return _xpath("xpath_short", xml, path)


def from_xml(col: ColumnOrName, schema: Any, options: dict[str, str] | None = None) -> Column:
    """A record of ``schema`` from each XML document (PERMISSIVE: NULL where a value does not
    fit its type)."""
    if isinstance(schema, Column) and isinstance(schema.expr, exp.Literal):
        schema = str(schema.expr.this)
    if isinstance(schema, str):
        schema = parse_data_type(schema)
    if not isinstance(schema, T.StructType):
        raise PySparkTypeError(
            "[NOT_COLUMN_OR_STR_OR_STRUCT] Argument `schema` should be a Column, str or "
            f"StructType, got {type(schema).__name__}.",
            "NOT_COLUMN_OR_STR_OR_STRUCT",
        )
    e = to_expr(col)
    udf = from_xml_udf(schema, options)
    return node(exp.Anonymous(this=udf, expressions=[e]), f"from_xml({names(e)})")


def to_xml(col: ColumnOrName, options: dict[str, str] | None = None) -> Column:
    """Spark's XML text of each record (a ``rowTag`` element, ``ROW`` by default)."""
    e = to_expr(col)
    udf = options_udf("to_xml", options)
    return node(exp.Anonymous(this=udf, expressions=[e]), f"to_xml({names(e)})")


def schema_of_xml(xml: ColumnOrName, options: dict[str, str] | None = None) -> Column:
    """Spark's schema text inferred from an XML document (``STRUCT<a: BIGINT>``); a literal
    document (Spark requires one) is inferred now, so ``from_xml`` can take the result."""
    e = exp.Literal.string(xml) if isinstance(xml, str) else to_expr(xml)
    name = f"schema_of_xml({names(e)})"
    if isinstance(e, exp.Literal) and e.is_string:
        inferred = infer_document(str(e.this), xml_options(options))
        return node(exp.Literal.string(ddl(inferred)), name)
    udf = options_udf("schema_of_xml", options)
    return node(exp.Anonymous(this=udf, expressions=[e]), name)


__all__ = [
    "from_xml",
    "schema_of_xml",
    "to_xml",
    "xpath",
    "xpath_boolean",
    "xpath_double",
    "xpath_float",
    "xpath_int",
    "xpath_long",
    "xpath_number",
    "xpath_short",
    "xpath_string",
]
