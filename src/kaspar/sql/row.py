"""``Row``: a tuple with named fields (PySpark ``pyspark.sql.Row``)."""

from __future__ import annotations

from typing import Any


class Row(tuple[Any, ...]):
    """``Row(a=1, b=2)`` builds a row; ``Row("a", "b")`` builds a row class to call with values."""

    __fields__: list[str]

    def __new__(cls, *args: Any, **kwargs: Any) -> Row:
        if args and kwargs:
            raise ValueError("Can not use both args and kwargs to create Row")
        if kwargs:
            row = tuple.__new__(cls, list(kwargs.values()))
            row.__fields__ = list(kwargs)
            return row
        return tuple.__new__(cls, args)

    @classmethod
    def from_fields(cls, names: list[str], values: tuple[Any, ...] | list[Any]) -> Row:
        """A row with the given field names (duplicates allowed, as after a join)."""
        row = tuple.__new__(cls, values)
        row.__fields__ = names
        return row

    def asDict(self, recursive: bool = False) -> dict[str, Any]:
        if not hasattr(self, "__fields__"):
            raise TypeError("Cannot convert a Row class into dict")
        if not recursive:
            return dict(zip(self.__fields__, self, strict=False))
        return {k: _as_dict(v) for k, v in zip(self.__fields__, self, strict=False)}

    def __contains__(self, item: object) -> bool:
        if hasattr(self, "__fields__"):
            return item in self.__fields__
        return super().__contains__(item)

    def __call__(self, *args: Any) -> Row:
        """A row class (``Row("a", "b")``) called with values."""
        if len(args) > len(self):
            raise ValueError(
                f"Can not create Row with fields {self}, expected {len(self)} values but got {args}"
            )
        return Row.from_fields(list(self), args)

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, int | slice):
            return super().__getitem__(item)
        try:
            idx = self.__fields__.index(item)
        except (AttributeError, ValueError):
            raise ValueError(item) from None
        return super().__getitem__(idx)

    def __getattr__(self, item: str) -> Any:
        if item.startswith("__"):
            raise AttributeError(item)
        try:
            idx = self.__fields__.index(item)
        except (AttributeError, ValueError):
            raise AttributeError(item) from None
        return self[idx]

    def __setattr__(self, key: str, value: Any) -> None:
        if key != "__fields__":
            raise RuntimeError("Row is read-only")
        object.__setattr__(self, key, value)

    def __repr__(self) -> str:
        if hasattr(self, "__fields__"):
            inner = ", ".join(f"{k}={v!r}" for k, v in zip(self.__fields__, self, strict=False))
            return f"Row({inner})"
        return "<Row(" + ", ".join(repr(v) for v in self) + ")>"

    def __reduce__(self) -> Any:
        if hasattr(self, "__fields__"):
            return (Row.from_fields, (self.__fields__, tuple(self)))
        return (Row, tuple(self))


def _as_dict(value: Any) -> Any:
    if isinstance(value, Row):
        return value.asDict(True)
    if isinstance(value, list):
        return [_as_dict(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_dict(v) for k, v in value.items()}
    return value
