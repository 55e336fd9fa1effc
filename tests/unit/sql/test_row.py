"""Row behaves like PySpark's: a tuple with named fields."""

from __future__ import annotations

import pickle

import pytest

from kaspar.sql import Row


def test_row_fields_and_access() -> None:
    row = Row(name="Alice", age=3)
    assert row == ("Alice", 3)
    assert row.name == "Alice"
    assert row["age"] == 3
    assert row[0] == "Alice"
    assert "name" in row
    assert repr(row) == "Row(name='Alice', age=3)"


def test_row_as_dict_recursive() -> None:
    row = Row(a=1, inner=Row(b=2), items=[Row(c=3)])
    assert row.asDict() == {"a": 1, "inner": Row(b=2), "items": [Row(c=3)]}
    assert row.asDict(recursive=True) == {"a": 1, "inner": {"b": 2}, "items": [{"c": 3}]}


def test_row_class() -> None:
    person = Row("name", "age")
    alice = person("Alice", 11)
    assert alice.name == "Alice"
    assert alice.asDict() == {"name": "Alice", "age": 11}


def test_row_is_read_only_and_picklable() -> None:
    row = Row(a=1)
    with pytest.raises(RuntimeError):
        row.a = 2
    assert pickle.loads(pickle.dumps(row)).asDict() == {"a": 1}


def test_unknown_field() -> None:
    with pytest.raises(AttributeError):
        _ = Row(a=1).b
