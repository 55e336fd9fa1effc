"""An XML element (lxml) as a record of a given schema, as Spark's XML parser reads it.

* attributes are the fields ``attributePrefix + name`` (unless ``excludeAttribute``), child
  elements the fields named by their tags (each occurrence one element of an array field),
  the element's own text the ``valueTag`` field (each piece of mixed content one element when
  that field is an array);
* names are written names: a prefixed element ``h:x`` is the field ``h:x`` (Spark's parser is
  not namespace-aware);
* a value is trimmed with ``ignoreSurroundingSpaces``, NULL when it equals ``nullValue`` or is
  empty for a non-string field; a string field of an element with children gets the
  children's XML text;
* a value that does not fit its type makes the record malformed: ``MalformedRecord`` carries
  what was read before it (Spark's partial result: attributes, then children in document
  order), the fields after it NULL.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from lxml import etree

from kaspar.engine import types as T
from kaspar.engine.xml.options import XmlOptions
from kaspar.engine.xml.text_values import BadValue, convert


class MalformedRecord(Exception):
    """A record whose value does not fit its type; ``partial`` holds what was read."""

    def __init__(self, partial: dict[str, Any]) -> None:
        super().__init__("malformed XML record")
        self.partial = partial


def element_name(element: Any) -> str:
    """The element's tag as written (``prefix:local``)."""
    tag: str = element.tag
    if tag[0] != "{":
        return tag
    local = tag.split("}", 1)[1]
    return f"{element.prefix}:{local}" if element.prefix else local


def attribute_name(key: str, element: Any) -> str:
    """An attribute's name as written (``prefix:local``)."""
    if not key.startswith("{"):
        return key
    namespace, local = key[1:].split("}", 1)
    for prefix, uri in element.nsmap.items():
        if uri == namespace and prefix:
            return f"{prefix}:{local}"
    return local


def text_pieces(element: Any, trim: bool) -> list[str]:
    """The element's own text, one piece per run between children (blank runs left out)."""
    if not len(element):
        text = element.text
        return [text.strip() if trim else text] if text and not text.isspace() else []
    pieces = [element.text, *(child.tail for child in element)]
    return [p.strip() if trim else p for p in pieces if p and not p.isspace()]


def leaf_text(element: Any) -> str:
    """An element's value as text: its text, or its children's XML when it has children."""
    if not len(element):
        return element.text or ""
    if not any(isinstance(child.tag, str) for child in element):
        return "".join([element.text or "", *(child.tail or "" for child in element)])
    inner = [element.text or ""]
    inner += [etree.tostring(child, encoding="unicode", with_tail=True) for child in element]
    return "".join(inner)


class RecordReader:
    """Reads elements as records of a schema with one set of options (see the module
    docstring); ``zone`` is the session's time zone for times that name none."""

    def __init__(self, options: XmlOptions, zone: dt.tzinfo) -> None:
        self.options = options
        self.zone = zone
        self.formats = (options.date_format, options.timestamp_format)
        self._plans: dict[int, tuple[T.StructType, _Plan]] = {}

    def converter(self, dtype: T.DataType) -> Callable[[str | None], Any]:
        """A function from a value's text to a value of the scalar type ``dtype`` (``BadValue``
        when it does not fit)."""
        trim, null = self.options.ignore_surrounding_spaces, self.options.null_value
        if isinstance(dtype, T.StringType):

            def text_value(text: str | None) -> Any:
                if text is None:
                    return None
                if trim:
                    text = text.strip()
                return None if text == null else text

            return text_value
        zone, formats = self.zone, self.formats

        def typed_value(text: str | None) -> Any:
            if text is None:
                return None
            if trim:
                text = text.strip()
            if not text or text == null:
                return None
            return convert(text, dtype, zone, formats)

        return typed_value

    def reader(self, dtype: T.DataType) -> Callable[[Any], Any]:
        """A function from an element to a value of ``dtype``."""
        if isinstance(dtype, T.StructType):
            return functools.partial(self.record, schema=dtype)
        if isinstance(dtype, T.ArrayType):
            inner = self.reader(dtype.elementType)
            return lambda element: [inner(c) for c in element if isinstance(c.tag, str)]
        convert_text = self.converter(dtype)
        return lambda element: convert_text(leaf_text(element))

    def _plan(self, schema: T.StructType) -> _Plan:
        found = self._plans.get(id(schema))
        if found is None or found[0] is not schema:
            found = (schema, _Plan(self, schema))
            self._plans[id(schema)] = found
        return found[1]

    def record(self, element: Any, schema: T.StructType) -> dict[str, Any]:
        """The element as a record of ``schema`` (``MalformedRecord`` when a value does not
        fit its type)."""
        plan = self._plan(schema)
        out: dict[str, Any] = dict.fromkeys(plan.names)
        try:
            if plan.attributes and element.attrib:
                for key, text in element.attrib.items():
                    entry = plan.attributes.get(attribute_name(key, element))
                    if entry is not None:
                        out[entry[0]] = entry[1](text)
            for child in element:
                tag = child.tag
                if not isinstance(tag, str):
                    continue
                found = plan.children.get(tag if tag[0] != "{" else element_name(child))
                if found is None:
                    continue
                name, read, repeated = found
                if not repeated:
                    out[name] = read(child)
                elif out[name] is None:
                    out[name] = [read(child)]
                else:
                    out[name].append(read(child))
            if plan.own is not None:
                self._own_text(element, plan.own, out)
        except (BadValue, MalformedRecord):
            raise MalformedRecord(out) from None
        return out

    def _own_text(
        self, element: Any, own: tuple[str, Callable[[str | None], Any], bool], out: dict[str, Any]
    ) -> None:
        pieces = text_pieces(element, self.options.ignore_surrounding_spaces)
        if not pieces:
            return
        name, convert_text, repeated = own
        if repeated:
            out[name] = [convert_text(p) for p in pieces]
        else:
            out[name] = convert_text("".join(pieces))


class _Plan:
    """How one schema's fields are read: by attribute name, by child tag, and the own text."""

    def __init__(self, reader: RecordReader, schema: T.StructType) -> None:
        o = reader.options
        self.names = schema.names
        self.attributes: dict[str, tuple[str, Callable[[str | None], Any]]] = {}
        self.children: dict[str, tuple[str, Callable[[Any], Any], bool]] = {}
        self.own: tuple[str, Callable[[str | None], Any], bool] | None = None
        for field in schema.fields:
            name, dtype = field.name, field.dataType
            repeated = isinstance(dtype, T.ArrayType)
            inner = dtype.elementType if isinstance(dtype, T.ArrayType) else dtype
            if name == o.value_tag:
                self.own = (name, reader.converter(inner), repeated)
                continue
            if not o.exclude_attribute and name.startswith(o.attribute_prefix):
                self.attributes[name[len(o.attribute_prefix) :]] = (name, reader.converter(dtype))
            self.children[name] = (name, reader.reader(inner), repeated)
