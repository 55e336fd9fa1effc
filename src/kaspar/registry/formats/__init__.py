"""The schema formats: Avro, JSON Schema, Protobuf; parsing, canonical forms, references."""

from kaspar.registry.formats.parsing import ReferenceResolver, canonical_form, parse_schema

__all__ = ["ReferenceResolver", "canonical_form", "parse_schema"]
