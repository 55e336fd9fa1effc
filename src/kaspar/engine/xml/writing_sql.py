"""Records as XML text in DuckDB SQL: the data source's writer, in bulk.

The same layout as ``writing.XmlWriter`` (which ``to_xml`` uses; its docstring lists the
rules), built from the schema as one SQL expression per record: each field's text by its type
(Java's double text, dates and timestamps formatted by ``strftime`` in the session's time zone,
``&``, ``<``, ``>`` escaped), NULL fields left out or written as ``nullValue``, arrays through
``list_transform``, nested structs through field access. DuckDB computes every record's text;
no Python runs per record.
"""

from __future__ import annotations

import re

from kaspar.engine import types as T
from kaspar.engine.compile.json_text import _java_double_sql
from kaspar.engine.xml.options import XmlOptions

INDENT = "    "
_TOKENS = re.compile(r"'[^']*'|y+|M+|d+|H+|h+|m+|s+|S+|X+|Z+|x+|a|.")
_STRFTIME = {"y": "%Y", "M": "%m", "d": "%d", "H": "%H", "h": "%I", "m": "%M", "s": "%S"}
TIMESTAMP_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"
TIMESTAMP_NTZ_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSS"


def lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def name_sql(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def escaped(x: str, attribute: bool = False) -> str:
    text = f"replace(replace(replace({x}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')"
    return f"replace({text}, '\"', '&quot;')" if attribute else text


def _offset(x: str) -> str:
    zone = f"strftime({x}, '%z')"
    return (
        f"CASE WHEN {zone} IN ('+00', '+0000', '+00:00', '-00') THEN 'Z' "
        f"WHEN length({zone}) = 3 THEN {zone} || ':00' "
        f"WHEN length({zone}) = 5 THEN substr({zone}, 1, 3) || ':' || substr({zone}, 4, 2) "
        f"ELSE {zone} END"
    )


def formatted(x: str, pattern: str) -> str:
    """SQL: a date or timestamp ``x`` written with a Java date-time pattern."""
    parts: list[str] = []
    text = ""
    for token in _TOKENS.findall(pattern):
        head = token[0]
        if token.startswith("'"):
            text += (token[1:-1] or "'").replace("%", "%%")
        elif head == "y" and len(token) == 2:
            text += "%y"
        elif head in _STRFTIME:
            text += _STRFTIME[head]
        elif head == "S":
            text += "%g" if len(token) <= 3 else "%f"
        elif head in "XZx":
            parts += [f"strftime({x}, {lit(text)})", _offset(x)] if text else [_offset(x)]
            text = ""
        else:
            text += token.replace("%", "%%")
    if text:
        parts.append(f"strftime({x}, {lit(text)})")
    return " || ".join(parts) or "''"


def _double(x: str) -> str:
    return (
        f"CASE WHEN isnan({x}) THEN 'NaN' WHEN isinf({x}) AND {x} > 0 THEN 'Infinity' "
        f"WHEN isinf({x}) THEN '-Infinity' ELSE {_java_double_sql(x)} END"
    )


def scalar_text(x: str, dtype: T.DataType, o: XmlOptions) -> str:
    """SQL: the text of a scalar value ``x`` (not NULL), escaped."""
    if isinstance(dtype, T.StringType):
        return escaped(x)
    if isinstance(dtype, T.BooleanType):
        return f"CASE WHEN {x} THEN 'true' ELSE 'false' END"
    if isinstance(dtype, T.DoubleType):
        return _double(x)
    if isinstance(dtype, T.DateType):
        return formatted(x, o.date_format or "yyyy-MM-dd")
    if isinstance(dtype, T.TimestampType):
        return formatted(x, o.timestamp_format or TIMESTAMP_FORMAT)
    if isinstance(dtype, T.TimestampNTZType):
        return formatted(x, TIMESTAMP_NTZ_FORMAT)
    return escaped(f"CAST({x} AS VARCHAR)")


class XmlSql:
    """Builds the SQL of records' XML text with one set of options."""

    def __init__(self, options: XmlOptions) -> None:
        self.options = options

    def _null(self, name: str, pad: str) -> str:
        null = self.options.null_value
        if null is None:
            return "NULL"
        return lit(f"{pad}<{name}>{escaped_text(null)}</{name}>")

    def element(self, name: str, x: str, dtype: T.DataType, depth: int) -> str:
        """SQL: the lines of one element (NULL when there are none)."""
        pad = INDENT * depth
        if isinstance(dtype, T.StructType):
            value = self.struct(name, x, dtype, depth)
        elif isinstance(dtype, T.ArrayType):
            value = self._array(name, x, dtype, depth)
        else:
            text = scalar_text(x, dtype, self.options)
            value = f"{lit(f'{pad}<{name}>')} || {text} || {lit(f'</{name}>')}"
        return f"CASE WHEN {x} IS NULL THEN {self._null(name, pad)} ELSE {value} END"

    def _array(self, name: str, x: str, dtype: T.ArrayType, depth: int) -> str:
        inner = dtype.elementType
        if not isinstance(inner, T.ArrayType):
            lines = f"list_transform({x}, lambda e: {self.element(name, 'e', inner, depth)})"
        else:
            pad, tag = INDENT * depth, self.options.array_element_name
            items = self.element(tag, "i", inner.elementType, depth + 1)
            body = f"array_to_string(list_transform(e, lambda i: {items}), chr(10))"
            start, end = lit(f"{pad}<{name}>"), lit(f"{pad}</{name}>")
            nested = f"{start} || chr(10) || {body} || chr(10) || {end}"
            element = f"CASE WHEN e IS NULL THEN {self._null(name, pad)} ELSE {nested} END"
            lines = f"list_transform({x}, lambda e: {element})"
        return (
            f"nullif(array_to_string(list_filter({lines}, lambda l: l IS NOT NULL), chr(10)), '')"
        )

    def struct(self, name: str, x: str, dtype: T.StructType, depth: int) -> str:
        """SQL: a record's element (``x`` not NULL)."""
        o, pad = self.options, INDENT * depth
        attributes, children, own = [], [], "''"
        for field in dtype.fields:
            value = f"{x}.{name_sql(field.name)}" if x else name_sql(field.name)
            if field.name == o.value_tag:
                text = scalar_text(value, field.dataType, o)
                own = f"coalesce({text}, '')"
            elif o.attribute_prefix and field.name.startswith(o.attribute_prefix):
                key = field.name[len(o.attribute_prefix) :]
                text = scalar_text(value, field.dataType, o)
                if o.null_value is not None:
                    text = f"coalesce({text}, {lit(escaped_text(o.null_value, True))})"
                attributes.append(f"coalesce({lit(f' {key}=' + chr(34))} || {text} || '\"', '')")
            else:
                children.append(self.element(field.name, value, field.dataType, depth + 1))
        start = " || ".join([lit(f"{pad}<{name}"), *attributes, "'>'"])
        end = lit(f"</{name}>")
        if not children:
            return f"{start} || {own} || {end}"
        body = f"concat_ws(chr(10), {', '.join(children)})"
        with_children = f"{start} || chr(10) || {body} || {own} || chr(10) || {lit(pad)} || {end}"
        return f"CASE WHEN {body} = '' THEN {start} || {own} || {end} ELSE {with_children} END"


def escaped_text(text: str, attribute: bool = False) -> str:
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return out.replace('"', "&quot;") if attribute else out
