"""The plugin API: what a connector written in Python implements (Connect's own split).

A **connector** is configured once (`start(props)`), tells the runtime how many tasks to run
and with which configs (`task_configs(max_tasks)`), and declares its keys (`config_def()`).
A **task** moves the data:

* `SourceTask.poll()` returns a list of `SourceRecord` (or None when there is nothing now; it
  should block at most about a second). The runtime produces them; once they are durable in
  Kafka and their offsets are stored it calls `commit()`: a task that acknowledges its source
  (a replication slot, a queue) does it there. `context.offset(partition)` gives the offset last
  stored for a source partition, so a restarted task resumes.
* `SinkTask.put(records)` receives converted `SinkRecord`s; `flush(offsets)` must make what was
  put durable; the runtime commits the consumer offsets after it returns.

Register a plugin with an entry point of the group `kaspar.connect`::

    [project.entry-points."kaspar.connect"]
    my-source = "my_package.source:MySourceConnector"

Then `"connector.class": "my_package.source.MySourceConnector"` (or `MySourceConnector`, or
`my-source`) runs it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from kaspar.connect.config_def import ConfigDef
from kaspar.connect.data import SinkRecord, SourceRecord


class Task(ABC):
    """What source and sink tasks share."""

    def version(self) -> str:
        return "1.0"

    @abstractmethod
    def start(self, props: Mapping[str, str]) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...


class TransactionContext:
    """With exactly-once source support and `transaction.boundary=connector`: the task says
    where a Kafka transaction ends (`commit_transaction` after the record batch that closes
    it was returned by `poll`), or that the open one must be dropped (`abort_transaction`)."""

    def __init__(self) -> None:
        self.commit_requested = self.abort_requested = False

    def commit_transaction(self) -> None:
        self.commit_requested = True

    def abort_transaction(self) -> None:
        self.abort_requested = True


class SourceTaskContext:
    """What the runtime gives a source task: the offsets stored for its source partitions,
    and a `transaction_context` when the connector defines transaction boundaries."""

    def __init__(
        self,
        configs: Mapping[str, str],
        offsets: Callable[[Any], Any],
        transaction_context: TransactionContext | None = None,
    ) -> None:
        self.configs = configs
        self._offsets = offsets
        self.transaction_context = transaction_context

    def offset(self, partition: Mapping[str, Any]) -> dict[str, Any] | None:
        """The source offset last stored for `partition`, or None."""
        found = self._offsets(dict(partition))
        return dict(found) if isinstance(found, Mapping) else None


class SinkTaskContext:
    """What the runtime gives a sink task: its config, the assigned partitions, and `offsets`
    where a task that keeps its own positions (in the sink's storage) tells from which offset
    the consumer must start: set in `open`, the runtime seeks there."""

    def __init__(self, configs: Mapping[str, str]) -> None:
        self.configs = configs
        self.assignment: set[tuple[str, int]] = set()
        self.offsets: dict[tuple[str, int], int] = {}


class SourceTask(Task):
    context: SourceTaskContext

    def initialize(self, context: SourceTaskContext) -> None:
        self.context = context

    @abstractmethod
    def poll(self) -> list[SourceRecord] | None: ...

    def commit(self) -> None:
        """Every record polled so far is in Kafka and its offset stored."""


class SinkTask(Task):
    context: SinkTaskContext

    def initialize(self, context: SinkTaskContext) -> None:
        self.context = context

    @abstractmethod
    def put(self, records: list[SinkRecord]) -> None: ...

    def flush(self, offsets: Mapping[tuple[str, int], int]) -> None:
        """Make what `put` received durable; `offsets`: next offset per (topic, partition)."""

    def open(self, partitions: list[tuple[str, int]]) -> None:
        """Partitions newly assigned to this task."""

    def close(self, partitions: list[tuple[str, int]]) -> None:
        """Partitions taken away from this task."""


class Connector(ABC):
    """What source and sink connectors share."""

    plugin_type: ClassVar[str] = "unknown"
    aliases: ClassVar[tuple[str, ...]] = ()
    """Other `connector.class` names this class answers to (the Java class names it replaces)."""

    def version(self) -> str:
        return "1.0"

    @abstractmethod
    def start(self, props: Mapping[str, str]) -> None: ...

    @abstractmethod
    def task_class(self) -> type[Task]: ...

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        """One config per task; by default one task with the connector's config."""
        return [dict(getattr(self, "props", {}))]

    def stop(self) -> None:  # noqa: B027 (optional hook: most connectors hold nothing)
        """Release what `start` took."""

    @classmethod
    def config_def(cls) -> ConfigDef:
        return ConfigDef()

    def validate(self, props: Mapping[str, str]) -> list[dict[str, Any]]:
        """ConfigInfo entries for this connector's keys (Connect's `Connector.validate`)."""
        return self.config_def().validate(props)


class SourceConnector(Connector):
    plugin_type = "source"

    @abstractmethod
    def task_class(self) -> type[SourceTask]: ...


class SinkConnector(Connector):
    plugin_type = "sink"

    @abstractmethod
    def task_class(self) -> type[SinkTask]: ...
