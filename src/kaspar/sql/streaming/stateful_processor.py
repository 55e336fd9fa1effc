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


_TIME_MODE_NAMES = {"none": "NoTime", "processingtime": "ProcessingTime", "eventtime": "EventTime"}


class _Binding:
    """The key whose handler is running (the states and timers act on its entries)."""

    def __init__(self, time_mode: str = "none") -> None:
        self.state: KeyedState | None = None
        self.names: set[str] = set()
        self.ttl_names: set[str] = set()
        self.time_mode = time_mode

    def declare(self, name: str, ttl: int | None, what: str) -> int | None:
        """A state variable's name and TTL checked as Spark checks them."""
        self.names.add(name)
        if ttl is None:
            return None
        if self.time_mode != "processingtime":
            raise PySparkRuntimeError(
                f"Cannot use TTL for "
                f"state={name} in timeMode={_TIME_MODE_NAMES[self.time_mode]}, "
                "use TimeMode.ProcessingTime() instead.",
                "STATEFUL_PROCESSOR_INCORRECT_TIME_MODE_TO_ASSIGN_TTL",
            )
        if int(ttl) <= 0:
            raise PySparkRuntimeError(
                "TTL duration must be greater "
                f"than zero for State store operation={what} on state={name}.",
                "STATEFUL_PROCESSOR_TTL_DURATION_MUST_BE_POSITIVE",
            )
        self.ttl_names.add(name)
        return int(ttl)

    def expiry(self, ttl: int | None) -> int | None:
        """When a value written now with ``ttl`` expires (the batch's processing time on)."""
        return None if ttl is None else self.current.now_ms + ttl

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
    """One value (a tuple) per key (with a TTL: hidden once it expires, each update restarting
    it)."""

    def __init__(self, binding: _Binding, name: str, ttl: int | None = None) -> None:
        self._binding, self._name, self._ttl = binding, name, ttl

    def exists(self) -> bool:
        return self._binding.current.get(self._name) is not None

    def get(self) -> tuple[Any, ...] | None:
        blob = self._binding.current.get(self._name)
        return None if blob is None else _load(blob)

    def update(self, newValue: tuple[Any, ...]) -> None:
        expiry = self._binding.expiry(self._ttl)
        self._binding.current.put(self._name, "", _dump(newValue), expiry)

    def clear(self) -> None:
        self._binding.current.delete(self._name)


class ListState:
    """A list of values (tuples) per key. With a TTL every element expires on its own: the
    entry holds ``{"values": [...], "expires": [...]}`` and expires with its last element."""

    def __init__(self, binding: _Binding, name: str, ttl: int | None = None) -> None:
        self._binding, self._name, self._ttl = binding, name, ttl

    def _elements(self) -> list[tuple[tuple[Any, ...], int | None]]:
        """The live elements with their expiry (None: never)."""
        state = self._binding.current
        blob = state.get(self._name)
        if blob is None:
            return []
        loaded = pickle.loads(blob)  # noqa: S301 - our own state store's bytes
        if isinstance(loaded, dict):
            now = state.now_ms
            pairs = zip(loaded["values"], loaded["expires"], strict=True)
            return [(v, e) for v, e in pairs if e is None or e > now]
        return [(v, None) for v in loaded]

    def _values(self) -> list[tuple[Any, ...]]:
        return [v for v, _ in self._elements()]

    def _store(self, elements: list[tuple[tuple[Any, ...], int | None]]) -> None:
        if not elements:
            self.clear()
            return
        values = [tuple(_plain(v) for v in value) for value, _ in elements]
        expires = [e for _, e in elements]
        if all(e is None for e in expires):
            self._binding.current.put(self._name, "", pickle.dumps(values, protocol=5))
            return
        blob = pickle.dumps({"values": values, "expires": expires}, protocol=5)
        last = max(e for e in expires if e is not None)
        self._binding.current.put(self._name, "", blob, last)

    def _new(self, values: list[tuple[Any, ...]]) -> list[tuple[tuple[Any, ...], int | None]]:
        expiry = self._binding.expiry(self._ttl)
        return [(v, expiry) for v in values]

    def exists(self) -> bool:
        return bool(self._elements())

    def get(self) -> Iterator[tuple[Any, ...]]:
        return iter(self._values())

    def put(self, newState: list[tuple[Any, ...]]) -> None:
        self._store(self._new(list(newState)))

    def appendValue(self, newState: tuple[Any, ...]) -> None:
        self._store([*self._elements(), *self._new([newState])])

    def appendList(self, newState: list[tuple[Any, ...]]) -> None:
        self._store([*self._elements(), *self._new(list(newState))])

    def clear(self) -> None:
        self._binding.current.delete(self._name)


class MapState:
    """A map from user keys (tuples) to values (tuples) per key (with a TTL every entry
    expires on its own)."""

    def __init__(self, binding: _Binding, name: str, ttl: int | None = None) -> None:
        self._binding, self._name, self._ttl = binding, name, ttl

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
        expiry = self._binding.expiry(self._ttl)
        self._binding.current.put(self._name, self._item(key), _dump(value), expiry)

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
        ttl = self._binding.declare(stateName, ttlDurationMs, "getValueState")
        return ValueState(self._binding, stateName, ttl)

    def getListState(
        self, stateName: str, schema: Any, ttlDurationMs: int | None = None
    ) -> ListState:
        ttl = self._binding.declare(stateName, ttlDurationMs, "getListState")
        return ListState(self._binding, stateName, ttl)

    def getMapState(
        self,
        stateName: str,
        userKeySchema: Any,
        valueSchema: Any,
        ttlDurationMs: int | None = None,
    ) -> MapState:
        ttl = self._binding.declare(stateName, ttlDurationMs, "getMapState")
        return MapState(self._binding, stateName, ttl)

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
        *,
        time_mode: str = "none",
        initial: T.StructType | None = None,
    ) -> None:
        self._processor = processor
        self._output = output
        self._data = data
        self._initial = initial
        self._rows_api = rows_api
        self._binding = _Binding(time_mode)
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

    def uses_ttl(self) -> bool:
        """A state variable was declared with a TTL (known once ``init`` ran)."""
        return bool(self._binding.ttl_names)

    def initial(
        self, key: tuple[pa.Scalar, ...], rows: pa.Table, state: KeyedState, at: Clock
    ) -> list[pa.Table]:
        """``handleInitialState`` for a key's rows of ``initialState=``: once with them all as
        one pandas DataFrame, or once per Row (``transformWithState``), as Spark calls it."""
        from kaspar.sql._pandas import to_pandas

        assert self._initial is not None
        timers = TimerValues(at.processing_ms, at.watermark_ms)
        handler = self._processor.handleInitialState
        parts: list[Any] = (
            list(to_rows(rows, self._initial)) if self._rows_api else [to_pandas(rows)]
        )

        def run() -> None:
            for part in parts:
                handler(self._key(key), part, timers)

        return self._call(state, run)

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
