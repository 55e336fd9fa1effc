"""Python data sources (PySpark ``pyspark.sql.datasource``, Spark 4): a user's class that
reads and writes through ``spark.read.format(name)`` / ``df.write.format(name)`` /
``spark.readStream.format(name)`` once registered with ``spark.dataSource.register(cls)``.

These are the base classes a user's source subclasses, with the same names, methods and
defaults as PySpark's; ``_python_source.py`` runs them (lazily: nothing is read until an
action needs the rows).
"""

# PySpark's base classes have optional hooks that do nothing unless overridden (commit,
# abort, stop) and bases without abstract methods: kept so, as users subclass them.
# ruff: noqa: B024, B027

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import UserDict
from collections.abc import Iterable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kaspar.errors import PySparkNotImplementedError

if TYPE_CHECKING:
    from kaspar.sql.session import SparkSession

__all__ = [
    "CaseInsensitiveDict",
    "DataSource",
    "DataSourceArrowWriter",
    "DataSourceReader",
    "DataSourceRegistration",
    "DataSourceStreamReader",
    "DataSourceStreamWriter",
    "DataSourceWriter",
    "EqualNullSafe",
    "EqualTo",
    "Filter",
    "GreaterThan",
    "GreaterThanOrEqual",
    "In",
    "InputPartition",
    "IsNotNull",
    "IsNull",
    "LessThan",
    "LessThanOrEqual",
    "Not",
    "SimpleDataSourceStreamReader",
    "StringContains",
    "StringEndsWith",
    "StringStartsWith",
    "WriterCommitMessage",
]


def _not_implemented(feature: str) -> PySparkNotImplementedError:
    return PySparkNotImplementedError(f"{feature} is not implemented.", "NOT_IMPLEMENTED")


class CaseInsensitiveDict(UserDict[str, str]):
    """The options a data source gets: keys compared without case (kept lower-cased)."""

    def __setitem__(self, key: str, value: str) -> None:
        super().__setitem__(key.lower(), value)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def copy(self) -> CaseInsensitiveDict:
        return CaseInsensitiveDict(self)


class DataSource(ABC):
    """A custom data source: ``reader`` and/or ``writer`` (and their streaming forms)."""

    def __init__(self, options: MutableMapping[str, str]) -> None:
        self.options = options

    @classmethod
    def name(cls) -> str:
        return cls.__name__

    def schema(self) -> Any:
        raise _not_implemented("schema")

    def reader(self, schema: Any) -> DataSourceReader:
        raise _not_implemented("reader")

    def writer(self, schema: Any, overwrite: bool) -> DataSourceWriter:
        raise _not_implemented("writer")

    def streamWriter(self, schema: Any, overwrite: bool) -> DataSourceStreamWriter:
        raise _not_implemented("streamWriter")

    def streamReader(self, schema: Any) -> DataSourceStreamReader:
        raise _not_implemented("streamReader")

    def simpleStreamReader(self, schema: Any) -> SimpleDataSourceStreamReader:
        raise _not_implemented("simpleStreamReader")


class InputPartition:
    """One partition of a read: ``value`` is whatever the reader needs to read it."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        attributes = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"{type(self).__name__}({attributes})"


ColumnPath = tuple[str, ...]


@dataclass(frozen=True)
class Filter(ABC):
    """A predicate Spark offers a reader in ``pushFilters``."""


@dataclass(frozen=True)
class _ColumnValue(Filter):
    """A comparison of a column with a value."""

    attribute: ColumnPath
    value: Any


@dataclass(frozen=True)
class _ColumnOnly(Filter):
    attribute: ColumnPath


class EqualTo(_ColumnValue):
    """``attribute = value``."""


class EqualNullSafe(_ColumnValue):
    """``attribute <=> value``."""


class GreaterThan(_ColumnValue):
    """``attribute > value``."""


class GreaterThanOrEqual(_ColumnValue):
    """``attribute >= value``."""


class LessThan(_ColumnValue):
    """``attribute < value``."""


class LessThanOrEqual(_ColumnValue):
    """``attribute <= value``."""


class In(_ColumnValue):
    """``attribute IN value`` (a tuple)."""


class StringStartsWith(_ColumnValue):
    """``attribute LIKE 'value%'``."""


class StringEndsWith(_ColumnValue):
    """``attribute LIKE '%value'``."""


class StringContains(_ColumnValue):
    """``attribute LIKE '%value%'``."""


class IsNull(_ColumnOnly):
    """``attribute IS NULL``."""


class IsNotNull(_ColumnOnly):
    """``attribute IS NOT NULL``."""


@dataclass(frozen=True)
class Not(Filter):
    child: Filter


class DataSourceReader(ABC):
    """Reads a batch: ``partitions()`` (one ``None`` partition by default), ``read(p)`` per
    partition yielding tuples, Rows or ``pyarrow.RecordBatch``es."""

    def pushFilters(self, filters: list[Filter]) -> Iterable[Filter]:
        return filters

    def partitions(self) -> Sequence[InputPartition]:
        raise _not_implemented("partitions")

    @abstractmethod
    def read(self, partition: InputPartition) -> Iterator[Any]: ...


class DataSourceStreamReader(ABC):
    """Reads a stream by offsets (JSON-serialisable dicts)."""

    def initialOffset(self) -> dict[str, Any]:
        raise _not_implemented("initialOffset")

    def latestOffset(self) -> dict[str, Any]:
        raise _not_implemented("latestOffset")

    def partitions(self, start: dict[str, Any], end: dict[str, Any]) -> Sequence[InputPartition]:
        raise _not_implemented("partitions")

    @abstractmethod
    def read(self, partition: InputPartition) -> Iterator[Any]: ...

    def commit(self, end: dict[str, Any]) -> None:
        """The query is done with everything up to ``end``."""

    def stop(self) -> None:
        """The query stopped."""


class SimpleDataSourceStreamReader(ABC):
    """Reads a stream on the driver: ``read(start)`` returns the rows and the next offset."""

    def initialOffset(self) -> dict[str, Any]:
        raise _not_implemented("initialOffset")

    def read(self, start: dict[str, Any]) -> tuple[Iterator[Any], dict[str, Any]]:
        raise _not_implemented("read")

    def readBetweenOffsets(self, start: dict[str, Any], end: dict[str, Any]) -> Iterator[Any]:
        raise _not_implemented("readBetweenOffsets")

    def commit(self, end: dict[str, Any]) -> None:
        """The query is done with everything up to ``end``."""


@dataclass
class WriterCommitMessage:
    """What ``write`` returns for a partition, handed to ``commit`` / ``abort``."""


class DataSourceWriter(ABC):
    """Writes a batch: ``write(rows)`` per partition, then ``commit`` (or ``abort``)."""

    @abstractmethod
    def write(self, iterator: Iterator[Any]) -> WriterCommitMessage | None: ...

    def commit(self, messages: list[WriterCommitMessage | None]) -> None:
        """Every partition was written."""

    def abort(self, messages: list[WriterCommitMessage | None]) -> None:
        """A partition failed: undo what the others wrote."""


class DataSourceArrowWriter(DataSourceWriter):
    """A writer given ``pyarrow.RecordBatch``es instead of Rows."""

    @abstractmethod
    def write(self, iterator: Iterator[Any]) -> WriterCommitMessage | None: ...


class DataSourceStreamWriter(ABC):
    """Writes each micro-batch: ``write`` per partition, then ``commit(messages, batchId)``."""

    @abstractmethod
    def write(self, iterator: Iterator[Any]) -> WriterCommitMessage | None: ...

    def commit(self, messages: list[WriterCommitMessage | None], batchId: int) -> None:
        """The batch was written."""

    def abort(self, messages: list[WriterCommitMessage | None], batchId: int) -> None:
        """The batch failed."""


class DataSourceRegistration:
    """``spark.dataSource``: ``register(cls)`` makes ``format(cls.name())`` reach it."""

    def __init__(self, session: SparkSession) -> None:
        self._session = session

    def register(self, dataSource: Any) -> None:
        """Any class with DataSource's shape (a subclass of it, usually)."""
        if not (isinstance(dataSource, type) and callable(getattr(dataSource, "name", None))):
            from kaspar.errors import PySparkTypeError

            raise PySparkTypeError(
                "Argument `dataSource` should be a subclass of DataSource, got "
                f"{type(dataSource).__name__}.",
                "INVALID_TYPE",
            )
        name: str = getattr(dataSource, "name")()  # noqa: B009 - any class with a name()
        self._session._python_sources[name.lower()] = dataSource
