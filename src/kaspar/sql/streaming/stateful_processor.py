"""Spark 4's arbitrary state API (PySpark ``pyspark.sql.streaming.stateful_processor``): the
``StatefulProcessor`` a user subclasses for ``transformWithStateInPandas`` /
``transformWithState``, its handle, and the value, list and map states it declares.

The states read and write the current key's entries (``KeyedState`` of the engine's
``transform_state_operator.py``); values are tuples, pickled in the state store.
"""

from __future__ import annotations

import pickle
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa

from kaspar.engine import types as T
from kaspar.engine.streaming.transform_state_operator import TIMER, KeyedState
from kaspar.engine.streaming.transform_state_operator import TimerValues as Clock
from kaspar.errors import PySparkRuntimeError, PythonException
from kaspar.sql._conversion import to_rows
from kaspar.sql._local_data import local_table
from kaspar.sql.streaming.state import _plain

__all__ = [
    "ExpiredTimerInfo",
    "ListState",
    "MapState",
    "StatefulProcessor",
    "StatefulProcessorHandle",
    "TimerValues",
    "ValueState",
]


class _Binding:
    """The key whose handler is running (the states and timers act on its entries)."""

    def __init__(self) -> None:
        self.state: KeyedState | None = None
        self.names: set[str] = set()

    @property
    def current(self) -> KeyedState:
        if self.state is None:
            raise PySparkRuntimeError(
                "State can only be used while handleInputRows, handleExpiredTimer or "
                "handleInitialState runs for a key.",
                "STATE_STORE_OPERATION_OUT_OF_ORDER",
            )
        return self.state


def _dump(value: Any) -> bytes:
    return pickle.dumps(tuple(_plain(v) for v in value), protocol=5)


def _load(blob: bytes) -> tuple[Any, ...]:
    loaded: tuple[Any, ...] = pickle.loads(blob)  # noqa: S301 - our own state store's bytes
    return loaded


class ValueState:
    """One value (a tuple) per key."""

    def __init__(self, binding: _Binding, name: str) -> None:
        self._binding, self._name = binding, name

    def exists(self) -> bool:
        return self._binding.current.get(self._name) is not None

    def get(self) -> tuple[Any, ...] | None:
        blob = self._binding.current.get(self._name)
        return None if blob is None else _load(blob)

    def update(self, newValue: tuple[Any, ...]) -> None:
        self._binding.current.put(self._name, "", _dump(newValue))

    def clear(self) -> None:
        self._binding.current.delete(self._name)


class ListState:
    """A list of values (tuples) per key."""

    def __init__(self, binding: _Binding, name: str) -> None:
        self._binding, self._name = binding, name

    def _values(self) -> list[tuple[Any, ...]]:
        blob = self._binding.current.get(self._name)
        return [] if blob is None else list(pickle.loads(blob))  # noqa: S301 - our own bytes

    def _store(self, values: list[tuple[Any, ...]]) -> None:
        if values:
            plain = [tuple(_plain(v) for v in value) for value in values]
            self._binding.current.put(self._name, "", pickle.dumps(plain, protocol=5))
        else:
            self.clear()

    def exists(self) -> bool:
        return bool(self._values())

    def get(self) -> Iterator[tuple[Any, ...]]:
        return iter(self._values())

    def put(self, newState: list[tuple[Any, ...]]) -> None:
        self._store(list(newState))

    def appendValue(self, newState: tuple[Any, ...]) -> None:
        self._store([*self._values(), newState])

    def appendList(self, newState: list[tuple[Any, ...]]) -> None:
        self._store([*self._values(), *newState])

    def clear(self) -> None:
        self._binding.current.delete(self._name)


class MapState:
    """A map from user keys (tuples) to values (tuples) per key."""

    def __init__(self, binding: _Binding, name: str) -> None:
        self._binding, self._name = binding, name

    @staticmethod
    def _item(key: tuple[Any, ...]) -> str:
        return _dump(key).hex()

    def exists(self) -> bool:
        return bool(self._binding.current.items(self._name))

    def getValue(self, key: tuple[Any, ...]) -> tuple[Any, ...] | None:
        blob = self._binding.current.get(self._name, self._item(key))
        return None if blob is None else _load(blob)

    def containsKey(self, key: tuple[Any, ...]) -> bool:
        return self._binding.current.get(self._name, self._item(key)) is not None

    def updateValue(self, key: tuple[Any, ...], value: tuple[Any, ...]) -> None:
        self._binding.current.put(self._name, self._item(key), _dump(value))

    def iterator(self) -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...]]]:
        entries = self._binding.current.items(self._name)
        return iter([(_load(bytes.fromhex(i)), _load(v)) for i, v in entries])

    def keys(self) -> Iterator[tuple[Any, ...]]:
        return (k for k, _ in self.iterator())

    def values(self) -> Iterator[tuple[Any, ...]]:
        return (v for _, v in self.iterator())

    def removeKey(self, key: tuple[Any, ...]) -> None:
        self._binding.current.delete(self._name, self._item(key))

    def clear(self) -> None:
        self._binding.current.drop(self._name)


class TimerValues:
    """The batch's processing time and watermark (-1 where there is none)."""

    def __init__(self, currentProcessingTimeInMs: int = -1, currentWatermarkInMs: int = -1) -> None:
        self._processing = currentProcessingTimeInMs
        self._watermark = currentWatermarkInMs

    def getCurrentProcessingTimeInMs(self) -> int:
        return self._processing

    def getCurrentWatermarkInMs(self) -> int:
        return self._watermark


class ExpiredTimerInfo:
    """The timer that fired."""

    def __init__(self, expiryTimeInMs: int = -1) -> None:
        self._expiry = expiryTimeInMs

    def getExpiryTimeInMs(self) -> int:
        return self._expiry


class StatefulProcessorHandle:
    """What ``init`` gets: declares the state variables and manages the key's timers."""

    def __init__(self, binding: _Binding) -> None:
        self._binding = binding

    def getValueState(
        self, stateName: str, schema: Any, ttlDurationMs: int | None = None
    ) -> ValueState:
        self._binding.names.add(stateName)
        return ValueState(self._binding, stateName)

    def getListState(
        self, stateName: str, schema: Any, ttlDurationMs: int | None = None
    ) -> ListState:
        self._binding.names.add(stateName)
        return ListState(self._binding, stateName)

    def getMapState(
        self,
        stateName: str,
        userKeySchema: Any,
        valueSchema: Any,
        ttlDurationMs: int | None = None,
    ) -> MapState:
        self._binding.names.add(stateName)
        return MapState(self._binding, stateName)

    def registerTimer(self, expiryTimestampMs: int) -> None:
        self._binding.current.put(TIMER, str(int(expiryTimestampMs)), b"")

    def deleteTimer(self, expiryTimestampMs: int) -> None:
        self._binding.current.delete(TIMER, str(int(expiryTimestampMs)))

    def listTimers(self) -> Iterator[int]:
        return iter(sorted(int(i) for i, _ in self._binding.current.items(TIMER)))

    def deleteIfExists(self, stateName: str) -> None:
        self._binding.current.drop(stateName)


class StatefulProcessor(ABC):
    """The user's logic: ``init`` declares states, ``handleInputRows`` gets a key's rows,
    ``handleExpiredTimer`` a fired timer, ``close`` ends."""

    @abstractmethod
    def init(self, handle: StatefulProcessorHandle) -> None: ...

    @abstractmethod
    def handleInputRows(self, key: Any, rows: Any, timerValues: TimerValues) -> Any: ...

    def handleExpiredTimer(
        self, key: Any, timerValues: TimerValues, expiredTimerInfo: ExpiredTimerInfo
    ) -> Any:
        return iter([])

    def close(self) -> None:  # noqa: B027 - optional, as in PySpark
        """Called when the processor is done (after each batch)."""

    def handleInitialState(self, key: Any, initialState: Any, timerValues: TimerValues) -> None:  # noqa: B027
        """The key's initial state, in the first batch (``initialState=``)."""


class ProcessorRunner:
    """A user's processor as the engine calls it: ``init`` and ``close`` around each batch,
    its handlers per key with the key's entries bound, their output as Arrow tables."""

    def __init__(
        self,
        processor: Any,
        output: T.StructType,
        data: T.StructType,
        rows_api: bool,
    ) -> None:
        self._processor = processor
        self._output = output
        self._data = data
        self._rows_api = rows_api
        self._binding = _Binding()
        self._handle = StatefulProcessorHandle(self._binding)

    def start(self) -> None:
        self._guarded(lambda: self._processor.init(self._handle))

    def stop(self) -> None:
        self._guarded(self._processor.close)

    def process(
        self, key: tuple[pa.Scalar, ...], rows: pa.Table, state: KeyedState, at: Clock
    ) -> list[pa.Table]:
        from kaspar.sql._pandas import to_pandas

        data: Any = iter(to_rows(rows, self._data)) if self._rows_api else iter([to_pandas(rows)])
        timers = TimerValues(at.processing_ms, at.watermark_ms)
        handler = self._processor.handleInputRows
        return self._call(state, lambda: handler(self._key(key), data, timers))

    def expire(
        self, key: tuple[pa.Scalar, ...], expiry: int, state: KeyedState, at: Clock
    ) -> list[pa.Table]:
        timers = TimerValues(at.processing_ms, at.watermark_ms)
        handler = self._processor.handleExpiredTimer
        info = ExpiredTimerInfo(expiry)
        return self._call(state, lambda: handler(self._key(key), timers, info))

    def _key(self, key: tuple[pa.Scalar, ...]) -> tuple[Any, ...]:
        from kaspar.sql.group_map import numpy_key

        return tuple(s.as_py() for s in key) if self._rows_api else numpy_key(key)

    def _call(self, state: KeyedState, run: Callable[[], Any]) -> list[pa.Table]:
        self._binding.state = state
        try:
            tables: list[pa.Table] = self._guarded(lambda: self._outputs(run()))
            return tables
        finally:
            self._binding.state = None

    def _outputs(self, result: Any) -> list[pa.Table]:
        from kaspar.sql.group_map import conform

        if result is None:
            return []
        if self._rows_api:
            rows = [tuple(r) for r in result]
            if not rows:
                return []
            return [local_table(rows, self._output)[0].rename_columns(self._output.names)]
        return [conform(part, self._output, "pandas") for part in result]

    @staticmethod
    def _guarded(run: Callable[[], Any]) -> Any:
        from kaspar.sql.group_map import worker_message

        try:
            return run()
        except PythonException:
            raise
        except Exception as e:  # the processor's code: Spark's PythonException
            raise PythonException(worker_message(e), "PYTHON_EXCEPTION") from e
