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
        self._indexes: dict[int, tuple[T.StructType, dict[str, T.StructField]]] = {}

    def _index(self, schema: T.StructType) -> dict[str, T.StructField]:
        found = self._indexes.get(id(schema))
        if found is None or found[0] is not schema:
            found = (schema, {f.name: f for f in schema.fields})
            self._indexes[id(schema)] = found
        return found[1]

    def scalar(self, text: str | None, dtype: T.DataType) -> Any:
        """One value of a scalar type (``BadValue`` when it does not fit)."""
        if text is None:
            return None
        if self.options.ignore_surrounding_spaces:
            text = text.strip()
        if text == self.options.null_value or (not text and not isinstance(dtype, T.StringType)):
            return None
        return convert(text, dtype, self.zone, self.formats)

    def value(self, element: Any, dtype: T.DataType) -> Any:
        """An element as a value of ``dtype``."""
        if isinstance(dtype, T.StructType):
            return self.record(element, dtype)
        if isinstance(dtype, T.ArrayType):
            children = [c for c in element if isinstance(c.tag, str)]
            return [self.value(c, dtype.elementType) for c in children]
        return self.scalar(leaf_text(element), dtype)

    def record(self, element: Any, schema: T.StructType) -> dict[str, Any]:
        """The element as a record of ``schema`` (``MalformedRecord`` when a value does not
        fit its type)."""
        index = self._index(schema)
        out: dict[str, Any] = dict.fromkeys(schema.names)
        try:
            self._attributes(element, index, out)
            for child in element:
                if not isinstance(child.tag, str):
                    continue
                field = index.get(element_name(child))
                if field is None:
                    continue
                dtype = field.dataType
                if isinstance(dtype, T.ArrayType):
                    items = out[field.name] if out[field.name] is not None else []
                    items.append(self.value(child, dtype.elementType))
                    out[field.name] = items
                else:
                    out[field.name] = self.value(child, dtype)
            self._own_text(element, index, out)
        except (BadValue, MalformedRecord):
            raise MalformedRecord(out) from None
        return out

    def _attributes(
        self, element: Any, index: dict[str, T.StructField], out: dict[str, Any]
    ) -> None:
        if self.options.exclude_attribute:
            return
        prefix = self.options.attribute_prefix
        for key, text in element.attrib.items():
            field = index.get(prefix + attribute_name(key, element))
            if field is not None:
                out[field.name] = self.scalar(text, field.dataType)

    def _own_text(self, element: Any, index: dict[str, T.StructField], out: dict[str, Any]) -> None:
        field = index.get(self.options.value_tag)
        if field is None:
            return
        pieces = text_pieces(element, self.options.ignore_surrounding_spaces)
        if not pieces:
            return
        dtype = field.dataType
        if isinstance(dtype, T.ArrayType):
            out[field.name] = [self.scalar(p, dtype.elementType) for p in pieces]
        else:
            out[field.name] = self.scalar("".join(pieces), dtype)
