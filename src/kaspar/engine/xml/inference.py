"""Spark's schema inference for XML records (``XmlInferSchema``), one element at a time.

Steps:

1. Each record element gets a type: its attributes (``_name``) and child elements are fields,
   a child that repeats an array; an element with neither is the type of its text
   (``text_values.infer``); own text beside attributes or children is the ``_VALUE`` field,
   an array of its pieces in mixed content; a record that is only text is ``{_VALUE}``.
2. The records' types merge as Spark merges them: a null with anything is that thing, bigint
   with double double, date with timestamp timestamp, structs field by field, arrays by
   element, an array with a single value an array, a struct with a single value the struct
   with that value as ``_VALUE``, any other pair string.
3. Fields that are always null become strings; fields are sorted by name.

With ``inferSchema`` false every value is a string (the structure is still inferred).
"""

from __future__ import annotations

import datetime as dt
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

_NUMBERS = (T.LongType, T.DoubleType, T.DecimalType)
_TIMES = (T.DateType, T.TimestampType)


class SchemaInference:
    """Infers record types with one set of options (see the module docstring)."""

    def __init__(self, options: XmlOptions, zone: dt.tzinfo) -> None:
        self.options = options
        self.zone = zone

    def text_type(self, text: str | None) -> T.DataType:
        o = self.options
        if text is None:
            return T.NullType()
        if o.ignore_surrounding_spaces:
            text = text.strip()
        if not text or text == o.null_value:
            return T.NullType()
        if not o.infer_schema:
            return T.StringType()
        return infer(text, self.zone, o.timestamp_format)

    def element_type(self, element: Any) -> T.DataType:
        """Step 1 for one element."""
        o = self.options
        fields: dict[str, T.DataType] = {}
        if not o.exclude_attribute:
            for key, text in element.attrib.items():
                name = o.attribute_prefix + attribute_name(key, element)
                fields[name] = self.text_type(text)
        counts: dict[str, int] = {}
        for child in element:
            if not isinstance(child.tag, str):
                continue
            name = element_name(child)
            counts[name] = counts.get(name, 0) + 1
            found = self.element_type(child)
            fields[name] = merge(fields[name], found, o.value_tag) if name in fields else found
        for name, count in counts.items():
            if count > 1 and not isinstance(fields[name], T.ArrayType):
                fields[name] = T.ArrayType(fields[name], True)
        pieces = text_pieces(element, o.ignore_surrounding_spaces)
        if not fields and len(pieces) <= 1:
            return self.text_type(leaf_text(element))
        if pieces:
            kinds = [self.text_type(p) for p in pieces]
            own = kinds[0]
            for kind in kinds[1:]:
                own = merge(own, kind, o.value_tag)
            fields[o.value_tag] = own if len(kinds) == 1 else T.ArrayType(own, True)
        return _struct(fields)

    def record_type(self, element: Any) -> T.StructType:
        """Step 1 for a record element (always a struct)."""
        found = self.element_type(element)
        if isinstance(found, T.StructType):
            return found
        if isinstance(found, T.NullType):
            return T.StructType([])
        return _struct({self.options.value_tag: found})


def _struct(fields: dict[str, T.DataType]) -> T.StructType:
    return T.StructType([T.StructField(n, t, True) for n, t in fields.items()])


def merge(a: T.DataType, b: T.DataType, value_tag: str) -> T.DataType:
    """Step 2: Spark's ``compatibleType`` of two inferred types."""
    if isinstance(a, T.NullType):
        return b
    if isinstance(b, T.NullType) or a == b:
        return a
    if isinstance(a, T.StructType) and isinstance(b, T.StructType):
        fields = {f.name: f.dataType for f in a.fields}
        for f in b.fields:
            old = fields.get(f.name)
            fields[f.name] = f.dataType if old is None else merge(old, f.dataType, value_tag)
        return _struct(fields)
    if isinstance(a, T.ArrayType) or isinstance(b, T.ArrayType):
        inner_a = a.elementType if isinstance(a, T.ArrayType) else a
        inner_b = b.elementType if isinstance(b, T.ArrayType) else b
        return T.ArrayType(merge(inner_a, inner_b, value_tag), True)
    if isinstance(a, T.StructType) or isinstance(b, T.StructType):
        struct, single = (a, b) if isinstance(a, T.StructType) else (b, a)
        assert isinstance(struct, T.StructType)
        return merge(struct, _struct({value_tag: single}), value_tag)
    if isinstance(a, _NUMBERS) and isinstance(b, _NUMBERS):
        return T.DoubleType()
    if isinstance(a, _TIMES) and isinstance(b, _TIMES):
        return T.TimestampType()
    return T.StringType()


def finish(dtype: T.DataType) -> T.DataType:
    """Step 3: null fields as strings, fields sorted by name."""
    if isinstance(dtype, T.NullType):
        return T.StringType()
    if isinstance(dtype, T.ArrayType):
        return T.ArrayType(finish(dtype.elementType), True)
    if isinstance(dtype, T.StructType):
        fields = [T.StructField(f.name, finish(f.dataType), True) for f in dtype.fields]
        return T.StructType(sorted(fields, key=lambda f: f.name))
    return dtype
