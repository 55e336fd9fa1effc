"""Hypothesis strategies built from the field metadata of the generated message classes.

Fields the version lacks keep their default; nullable fields may be None only in versions where
the spec allows null.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from typing import Any

from hypothesis import strategies as st

import kaspar.protocol.messages as messages_pkg
from kaspar.protocol.api_index import ApiKey, api_spec

_INT_RANGES = {
    "int8": (-(2**7), 2**7 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint16": (0, 2**16 - 1),
    "uint32": (0, 2**32 - 1),
}


def _in(rng: tuple[int, int] | None, version: int) -> bool:
    return rng is not None and rng[0] <= version <= rng[1]


def _primitive(kafka_type: str) -> st.SearchStrategy[Any]:
    if kafka_type in _INT_RANGES:
        lo, hi = _INT_RANGES[kafka_type]
        return st.integers(lo, hi)
    simple: dict[str, st.SearchStrategy[Any]] = {
        "bool": st.booleans(),
        "float64": st.floats(allow_nan=False),
        "string": st.text(max_size=8),
        "bytes": st.binary(max_size=8),
        "records": st.binary(max_size=16),
        "uuid": st.uuids(),
    }
    return simple[kafka_type]


def _field_strategy(
    field: dataclasses.Field[Any], version: int, depth: int
) -> st.SearchStrategy[Any]:
    meta = field.metadata
    kafka_type: str = meta["kafka_type"]
    is_array = kafka_type.startswith("[]")
    struct_cls = meta.get("struct")
    elem = (
        message_strategy(struct_cls, version, depth + 1)
        if struct_cls is not None
        else _primitive(kafka_type.removeprefix("[]"))
    )
    value = st.lists(elem, max_size=2 if depth < 2 else 1) if is_array else elem
    if _in(meta.get("nullable_versions"), version):
        return st.none() | value
    return value


def message_strategy(cls: type[Any], version: int, depth: int = 0) -> st.SearchStrategy[Any]:
    """Instances of ``cls`` holding only values that exist in ``version``."""
    kwargs = {
        f.name: _field_strategy(f, version, depth)
        for f in dataclasses.fields(cls)
        if _in(f.metadata["versions"], version)
    }
    return st.fixed_dictionaries(kwargs).map(lambda kw: cls(**kw))


def data_classes() -> list[type[Any]]:
    """Top-level classes of the generated 'data' specs (ConsumerProtocolSubscription, ...)."""
    found = []
    for info in pkgutil.iter_modules(messages_pkg.__path__):
        module = importlib.import_module(f"{messages_pkg.__name__}.{info.name}")
        for obj in vars(module).values():
            is_top = isinstance(obj, type) and hasattr(obj, "MIN_VERSION")
            if is_top and not hasattr(obj, "API_KEY") and obj.__module__ == module.__name__:
                found.append(obj)
    return found


def all_cases() -> list[tuple[type[Any], int]]:
    """Every (message class, version) pair: requests, responses and data specs."""
    cases: list[tuple[type[Any], int]] = []
    for key in ApiKey:
        spec = api_spec(key)
        assert spec is not None
        for version in range(spec.min_version, spec.max_version + 1):
            cases += [(spec.request, version), (spec.response, version)]
    for cls in data_classes():
        cases += [(cls, v) for v in range(cls.MIN_VERSION, cls.MAX_VERSION + 1)]
    return cases
