"""Spark's schema inference for XML records (``XmlInferSchema``), one element at a time.

Steps:

1. Each record element gets a shape (a hashable value, cheap to build and compare): its
   attributes (``_name``) and child elements are fields, a child that repeats an array; an
   element with neither is the kind of its text (``text_values.infer``); own text beside
   attributes or children is the ``_VALUE`` field, an array of its pieces in mixed content; a
   record that is only text is ``{_VALUE}``.
2. The distinct shapes merge as Spark merges types: a null with anything is that thing, bigint
   with double double, date with timestamp timestamp, structs field by field, arrays by
   element, an array with a single value an array, a struct that has ``_VALUE`` with a single
   value that struct (the value merged into ``_VALUE``), any other pair string. Records
   mostly share a few shapes, so the merging runs once per distinct shape, not per record.
3. The shape becomes a Spark type: fields that are always null strings, fields sorted by name.

With ``inferSchema`` false every value is a string (the structure is still inferred).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from kaspar.engine import types as T
from kaspar.engine.xml.element_records import (
    attribute_name,
    element_name,
    leaf_text,
    text_pieces,
)
from kaspar.engine.xml.options import XmlOptions
from kaspar.engine.xml.text_values import infer

# A shape: a kind name ("long", "null", ...), ("array", shape) or ("struct", ((name, shape), ...))
Shape = Any
NULL = "null"
_SCALARS: dict[str, T.DataType] = {
    "null": T.StringType(),
    "long": T.LongType(),
    "double": T.DoubleType(),
    "boolean": T.BooleanType(),
    "date": T.DateType(),
    "timestamp": T.TimestampType(),
    "string": T.StringType(),
}
_NUMBERS = {"long", "double"}
_TIMES = {"date", "timestamp"}


class SchemaInference:
    """Infers record shapes with one set of options (see the module docstring)."""

    def __init__(self, options: XmlOptions, zone: dt.tzinfo) -> None:
        self.options = options
        self.zone = zone

    def text_kind(self, text: str | None) -> str:
        o = self.options
        if text is None:
            return NULL
        if o.ignore_surrounding_spaces:
            text = text.strip()
        if not text or text == o.null_value:
            return NULL
        if not o.infer_schema:
            return "string"
        return infer(text, self.zone, o.timestamp_format)

    def element_shape(self, element: Any) -> Shape:
        """Step 1 for one element."""
        o = self.options
        if not len(element) and (o.exclude_attribute or not element.attrib):
            return self.text_kind(element.text)
        fields: dict[str, Shape] = {}
        if not o.exclude_attribute:
            for key, text in element.attrib.items():
                fields[o.attribute_prefix + attribute_name(key, element)] = self.text_kind(text)
        repeated: set[str] = set()
        for child in element:
            if not isinstance(child.tag, str):
                continue
            name = element_name(child)
            found = self.element_shape(child)
            if name in fields:
                repeated.add(name)
                found = merge(fields[name], found, o.value_tag)
            fields[name] = found
        for name in repeated:
            if not _is_array(fields[name]):
                fields[name] = ("array", fields[name])
        pieces = text_pieces(element, o.ignore_surrounding_spaces)
        if not fields and len(pieces) <= 1:
            return self.text_kind(leaf_text(element))
        if pieces:
            kinds = [self.text_kind(p) for p in pieces]
            own = kinds[0]
            for kind in kinds[1:]:
                own = merge(own, kind, o.value_tag)
            fields[o.value_tag] = own if len(kinds) == 1 else ("array", own)
        return ("struct", tuple(fields.items()))

    def record_shape(self, element: Any) -> Shape:
        """Step 1 for a record element (always a struct; NULL for an empty element)."""
        found = self.element_shape(element)
        if found == NULL or _is_struct(found):
            return found
        return ("struct", ((self.options.value_tag, found),))

    def record_type(self, element: Any) -> T.StructType:
        """One record's schema (steps 1 and 3)."""
        return schema_of([self.record_shape(element)], self.options.value_tag)


def _is_array(shape: Shape) -> bool:
    return isinstance(shape, tuple) and shape[0] == "array"


def _is_struct(shape: Shape) -> bool:
    return isinstance(shape, tuple) and shape[0] == "struct"


def merge(a: Shape, b: Shape, value_tag: str) -> Shape:
    """Step 2: Spark's ``compatibleType`` of two shapes."""
    if b in (a, NULL):
        return a
    if a == NULL:
        return b
    if _is_struct(a) and _is_struct(b):
        fields = dict(a[1])
        for name, shape in b[1]:
            fields[name] = shape if name not in fields else merge(fields[name], shape, value_tag)
        return ("struct", tuple(fields.items()))
    if _is_array(a) or _is_array(b):
        inner_a = a[1] if _is_array(a) else a
        inner_b = b[1] if _is_array(b) else b
        return ("array", merge(inner_a, inner_b, value_tag))
    if _is_struct(a) or _is_struct(b):  # a value joins the struct's own text, if it has one
        struct, single = (a, b) if _is_struct(a) else (b, a)
        if any(name == value_tag for name, _ in struct[1]):
            return merge(struct, ("struct", ((value_tag, single),)), value_tag)
        return "string"
    if {a, b} <= _NUMBERS:
        return "double"
    if {a, b} <= _TIMES:
        return "timestamp"
    return "string"


def to_type(shape: Shape) -> T.DataType:
    """Step 3: a shape as a Spark type."""
    if _is_array(shape):
        return T.ArrayType(to_type(shape[1]), True)
    if _is_struct(shape):
        fields = [T.StructField(n, to_type(s), True) for n, s in shape[1]]
        return T.StructType(sorted(fields, key=lambda f: f.name))
    return _SCALARS[shape]


def schema_of(shapes: Iterable[Shape], value_tag: str) -> T.StructType:
    """The schema of records of these shapes (steps 2 and 3; no struct: no fields)."""
    merged: Shape = NULL
    for shape in shapes:
        merged = merge(merged, shape, value_tag)
    found = to_type(merged) if _is_struct(merged) else T.StructType([])
    assert isinstance(found, T.StructType)
    return found
