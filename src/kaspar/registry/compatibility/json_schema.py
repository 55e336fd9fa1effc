"""JSON Schema compatibility: does every document valid under the writer's schema stay valid
under the reader's? Confluent's rules for the common keywords (docs/registry.md lists the rest):

1. A `true`/`{}` reader accepts anything; a `false` writer writes nothing.
2. `type`: the reader's types cover the writer's (`integer` is within `number`).
3. `enum`, numeric bounds, length and item-count bounds, `pattern`: not narrowed.
4. Objects: a property added to an open content model must accept anything the old model let
   through; one removed from a closed reader model is lost; new `required` entries need a
   default; closing `additionalProperties` narrows.
5. `items`, common `properties` and `anyOf`/`oneOf` branches are checked recursively; `$ref`s
   are followed (local pointers and referenced schemas by name).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kaspar.registry.compatibility.incompatibility import Incompatibility
from kaspar.registry.formats.json_schema import JsonSchemaDocument

UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
MAX_DEPTH = 64


class _Check:
    def __init__(self, reader: JsonSchemaDocument, writer: JsonSchemaDocument) -> None:
        self.documents = (reader, writer)
        self.found: list[Incompatibility] = []

    def resolve(self, schema: Any, side: int) -> Any:
        for _ in range(MAX_DEPTH):
            if not isinstance(schema, dict) or "$ref" not in schema:
                return schema
            schema = _follow(schema["$ref"], self.documents[side])
        return schema

    def check(self, reader: Any, writer: Any, path: str, depth: int = 0) -> None:
        reader, writer = self.resolve(reader, 0), self.resolve(writer, 1)
        if depth > MAX_DEPTH or reader is True or reader == {} or writer is False:
            return
        if reader is False or writer is True:
            if reader != writer:
                self.add("TYPE_NARROWED", path, "the new schema accepts less than the old one")
            return
        self.check_type(reader, writer, path)
        self.check_enum(reader, writer, path)
        self.check_bounds(reader, writer, path)
        self.check_object(reader, writer, path, depth)
        if isinstance(reader.get("items"), dict | bool) and "items" in writer:
            self.check(reader["items"], writer["items"], f"{path}/items", depth + 1)
        self.check_combined(reader, writer, path, depth)

    def check_type(self, reader: dict[str, Any], writer: dict[str, Any], path: str) -> None:
        if "type" not in reader:
            return
        readable, written = _types(reader["type"]) or set(), _types(writer.get("type"))
        if "number" in readable:
            readable.add("integer")
        if written is None or not written <= readable:
            narrowed = written is not None and bool(written & readable)
            self.add(
                "TYPE_NARROWED" if narrowed else "TYPE_CHANGED",
                f"{path}/type",
                f"type {sorted(written or ['any'])} changed to {sorted(readable)}",
            )

    def check_enum(self, reader: dict[str, Any], writer: dict[str, Any], path: str) -> None:
        if "enum" not in reader:
            return
        written = writer.get("enum")
        if written is None or any(value not in reader["enum"] for value in written):
            self.add("ENUM_ARRAY_NARROWED", f"{path}/enum", "enum values removed")

    def check_bounds(self, reader: dict[str, Any], writer: dict[str, Any], path: str) -> None:
        for keyword in UPPER_BOUNDS + LOWER_BOUNDS:
            if keyword not in reader or not isinstance(reader[keyword], int | float):
                continue
            old = writer.get(keyword)
            upper = keyword in UPPER_BOUNDS
            narrowed = old is None or (reader[keyword] < old if upper else reader[keyword] > old)
            if narrowed:
                change = "ADDED" if old is None else ("DECREASED" if upper else "INCREASED")
                name = _snake(keyword)
                self.add(f"{name}_{change}", f"{path}/{keyword}", f"{keyword} narrowed")
        if "pattern" in reader and reader["pattern"] != writer.get("pattern"):
            self.add("PATTERN_CHANGED", f"{path}/pattern", "pattern changed")

    def check_object(
        self, reader: dict[str, Any], writer: dict[str, Any], path: str, depth: int
    ) -> None:
        read_props = reader.get("properties", {})
        written_props = writer.get("properties", {})
        writer_extra = writer.get("additionalProperties", True)
        reader_extra = reader.get("additionalProperties", True)
        required = set(reader.get("required", ())) - set(writer.get("required", ()))
        for name, schema in read_props.items():
            where = f"{path}/properties/{name}"
            if name in written_props:
                self.check(schema, written_props[name], where, depth + 1)
                continue
            if writer_extra is not False and not self.readable(schema, writer_extra):
                self.add(
                    "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
                    where,
                    f"property '{name}' added to an open content model",
                )
            if name in required and not (isinstance(schema, dict) and "default" in schema):
                self.add(
                    "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
                    where,
                    f"required property '{name}' added",
                )
            required.discard(name)
        for name, schema in written_props.items():
            if name not in read_props and not self.readable(reader_extra, schema):
                self.add(
                    "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
                    f"{path}/properties/{name}",
                    f"property '{name}' removed from a closed content model",
                )
        for name in sorted(required):
            schema = read_props.get(name, {})
            if not (isinstance(schema, dict) and "default" in schema):
                self.add("REQUIRED_ATTRIBUTE_ADDED", f"{path}/required", f"'{name}' now required")
        if writer_extra is not False and not self.readable(reader_extra, writer_extra):
            self.add(
                "ADDITIONAL_PROPERTIES_NARROWED",
                f"{path}/additionalProperties",
                "additionalProperties narrowed",
            )

    def check_combined(
        self, reader: dict[str, Any], writer: dict[str, Any], path: str, depth: int
    ) -> None:
        for keyword in ("anyOf", "oneOf", "allOf"):
            if keyword not in reader and keyword not in writer:
                continue
            read, written = reader.get(keyword), writer.get(keyword)
            if read is None or written is None:
                self.add("COMBINED_TYPE_CHANGED", f"{path}/{keyword}", f"{keyword} changed")
            elif keyword == "allOf":
                if read != written:
                    self.add("COMBINED_TYPE_SUBSCHEMAS_CHANGED", f"{path}/{keyword}", "changed")
            elif not all(any(self.readable(r, w) for r in read) for w in written):
                self.add("COMBINED_TYPE_SUBSCHEMAS_CHANGED", f"{path}/{keyword}", "narrowed")

    def readable(self, reader: Any, writer: Any) -> bool:
        saved, self.found = self.found, []
        self.check(reader, writer, "", MAX_DEPTH // 2)
        ok, self.found = not self.found, saved
        return ok

    def add(self, error_type: str, path: str, description: str) -> None:
        self.found.append(Incompatibility(error_type, path or "#/", description, path or "#/"))


def _types(value: Any) -> set[str] | None:
    if value is None:
        return None
    return {value} if isinstance(value, str) else set(value)


def _snake(keyword: str) -> str:
    return "".join(f"_{c}" if c.isupper() else c.upper() for c in keyword)


def _follow(ref: str, document: JsonSchemaDocument) -> Any:
    """The schema a `$ref` points to: `#/...` in this document, or a referenced document."""
    name, _, pointer = ref.partition("#")
    target: Any = document.document if not name else document.referenced.get(name)
    if target is None:
        return {}
    for part in filter(None, pointer.split("/")):
        if not isinstance(target, Mapping):
            return {}
        target = target.get(part.replace("~1", "/").replace("~0", "~"), {})
    return target


def check_json_schema(
    reader: JsonSchemaDocument, writer: JsonSchemaDocument, reader_is_new: bool
) -> list[Incompatibility]:
    """Every reason `reader` does not accept what `writer` does (empty: compatible)."""
    check = _Check(reader, writer)
    check.check(reader.document, writer.document, "#")
    return check.found
