"""Protobuf messages ↔ Spark's Python values (dicts for structs), per message descriptor.

Reading follows Spark's default (``emit.default.values`` false): only the fields a message
holds (``ListFields``: set, non-default, non-empty) have values; the others are NULL. Enums are
their names, ``google.protobuf.Timestamp`` a UTC datetime.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from kaspar.engine.formats.protobuf_schema import TIMESTAMP, is_map, is_repeated

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
Convert = Callable[[Any], Any]


def _timestamp(message: Any) -> datetime.datetime:
    return _EPOCH + datetime.timedelta(seconds=message.seconds, microseconds=message.nanos // 1000)


def _single_reader(field: FieldDescriptor) -> Convert | None:
    if field.type == FieldDescriptor.TYPE_ENUM:
        by_number = field.enum_type.values_by_number
        return lambda n: by_number[n].name if n in by_number else str(n)
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        if field.message_type.full_name == TIMESTAMP:
            return _timestamp
        return message_reader(field.message_type)
    return None


def _field_reader(field: FieldDescriptor) -> Convert | None:
    if is_map(field):
        value = _single_reader(field.message_type.fields_by_name["value"])
        if value is None:
            return dict
        return lambda m: {k: value(v) for k, v in m.items()}
    single = _single_reader(field)
    if is_repeated(field):
        return list if single is None else (lambda v: [single(x) for x in v])
    return single


_READERS: dict[str, Callable[[Message], dict[str, Any]]] = {}


def message_reader(message: Descriptor) -> Callable[[Message], dict[str, Any]]:
    """A message as a dict of its fields (NULL when not set)."""
    cached = _READERS.get(message.full_name)
    if cached is not None:
        return cached
    names = [f.name for f in message.fields]
    readers: dict[str, Convert | None] = {}

    def read(m: Message) -> dict[str, Any]:
        row: dict[str, Any] = dict.fromkeys(names)
        for field, value in m.ListFields():
            convert = readers[field.name]
            row[field.name] = value if convert is None else convert(value)
        return row

    _READERS[message.full_name] = read  # before the fields: a message may contain itself
    readers.update({f.name: _field_reader(f) for f in message.fields})
    return read


def fill_message(target: Message, row: dict[str, Any]) -> None:
    """Set the fields of ``target`` from a struct's dict (NULL fields stay unset)."""
    for field in target.DESCRIPTOR.fields:
        value = row.get(field.name)
        if value is not None:
            _set_field(target, field, value)


def _set_field(target: Message, field: FieldDescriptor, value: Any) -> None:
    container: Any = getattr(target, field.name)
    if is_map(field):
        value_field = field.message_type.fields_by_name["value"]
        pairs = value.items() if isinstance(value, dict) else value
        for k, v in pairs:
            if value_field.type == FieldDescriptor.TYPE_MESSAGE:
                _fill_single(container[k], value_field, v)
            else:
                container[k] = _scalar(value_field, v)
    elif is_repeated(field):
        for item in value:
            if field.type == FieldDescriptor.TYPE_MESSAGE:
                _fill_single(container.add(), field, item)
            else:
                container.append(_scalar(field, item))
    elif field.type == FieldDescriptor.TYPE_MESSAGE:
        _fill_single(container, field, value)
    else:
        setattr(target, field.name, _scalar(field, value))


def _fill_single(target: Any, field: FieldDescriptor, value: Any) -> None:
    if field.message_type.full_name == TIMESTAMP:
        target.FromDatetime(value)
    else:
        fill_message(target, value)


def _scalar(field: FieldDescriptor, value: Any) -> Any:
    if field.type == FieldDescriptor.TYPE_ENUM and isinstance(value, str):
        return field.enum_type.values_by_name[value].number
    return value
