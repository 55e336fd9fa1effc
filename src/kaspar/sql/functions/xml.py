"""XML functions: ``xpath`` and its typed forms, as Spark evaluates them (lxml over Arrow
batches: ``kaspar.engine.xml.xpath``; docs/xml.md)."""

from __future__ import annotations

from kaspar.engine.xml.xpath import call
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


__all__ = [
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
