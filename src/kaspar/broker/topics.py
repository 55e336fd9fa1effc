"""The broker's topics: names, ids, partitions and config overrides, persisted in one file.

``topics.json`` in the data directory holds, for every topic, its id, partition count and the
config overrides a user set. It is rewritten atomically (temp file, fsync, rename, fsync of the
directory) on every change, so a crash leaves either the old or the new catalogue.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kaspar.broker.log import PartitionLog
from kaspar.broker.topic_config import TopicConfig
from kaspar.protocol.errors import ErrorCode

__all__ = ["Topic", "TopicError", "TopicRegistry", "validate_topic_name"]

_LEGAL_TOPIC = re.compile(r"^[a-zA-Z0-9._-]+$")
MAX_TOPIC_NAME_LENGTH = 249
#: Topics the broker's coordinators own; clients may read but never produce to them.
INTERNAL_TOPICS = frozenset({"__consumer_offsets", "__transaction_state"})
CATALOGUE = "topics.json"


class TopicError(Exception):
    """A topic operation failed; carries the Kafka error code to answer with."""

    def __init__(self, error_code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message


def validate_topic_name(name: str) -> None:
    """Raise ``TopicError(INVALID_TOPIC_EXCEPTION)`` unless ``name`` is a legal Kafka topic name."""
    if not name or name in {".", ".."}:
        raise TopicError(ErrorCode.INVALID_TOPIC_EXCEPTION, f"Topic name {name!r} is illegal")
    if len(name) > MAX_TOPIC_NAME_LENGTH:
        msg = f"Topic name is longer than {MAX_TOPIC_NAME_LENGTH} characters"
        raise TopicError(ErrorCode.INVALID_TOPIC_EXCEPTION, msg)
    if not _LEGAL_TOPIC.match(name):
        msg = (
            f"Topic name {name!r} is illegal, it contains a character other than "
            "ASCII alphanumerics, '.', '_' and '-'"
        )
        raise TopicError(ErrorCode.INVALID_TOPIC_EXCEPTION, msg)


@dataclass(slots=True)
class Topic:
    """One topic: its id, config and one log per partition."""

    name: str
    topic_id: uuid.UUID
    config: TopicConfig
    overrides: dict[str, str]
    partitions: list[PartitionLog] = field(default_factory=list)

    @property
    def is_internal(self) -> bool:
        return self.name in INTERNAL_TOPICS


class TopicRegistry:
    """Creates, opens, alters and deletes topics under one data directory."""

    def __init__(self, data_dir: Path, broker_defaults: Mapping[str, str]) -> None:
        self.data_dir = data_dir
        self.broker_defaults = dict(broker_defaults)
        self._topics: dict[str, Topic] = {}
        self._by_id: dict[uuid.UUID, Topic] = {}

    # -- lookup -------------------------------------------------------------------------------
    def get(self, name: str) -> Topic | None:
        return self._topics.get(name)

    def by_id(self, topic_id: uuid.UUID) -> Topic | None:
        return self._by_id.get(topic_id)

    def partition(self, name: str, index: int) -> PartitionLog | None:
        topic = self._topics.get(name)
        if topic is None or not 0 <= index < len(topic.partitions):
            return None
        return topic.partitions[index]

    def __iter__(self) -> Iterator[Topic]:
        return iter(list(self._topics.values()))

    def __contains__(self, name: object) -> bool:
        return name in self._topics

    # -- lifecycle ----------------------------------------------------------------------------
    def open(self, *, clean_shutdown: bool) -> None:
        """Load the catalogue and open (recovering if needed) every partition log."""
        path = self.data_dir / CATALOGUE
        if not path.exists():
            return
        entries = json.loads(path.read_text(encoding="utf-8"))
        for entry in entries["topics"]:
            overrides = {str(k): str(v) for k, v in entry["configs"].items()}
            config = TopicConfig.from_overrides(overrides, self.broker_defaults)
            topic = Topic(entry["name"], uuid.UUID(entry["id"]), config, overrides)
            for index in range(int(entry["partitions"])):
                directory = self._partition_dir(topic.name, index)
                topic.partitions.append(
                    PartitionLog.open(directory, config, clean_shutdown=clean_shutdown)
                )
            self._register(topic)

    def close(self) -> None:
        for topic in self._topics.values():
            for log in topic.partitions:
                log.close()

    def create(self, name: str, num_partitions: int, overrides: Mapping[str, str | None]) -> Topic:
        """Create a topic; raises ``TopicError`` (or ``InvalidConfigError``) on bad input."""
        config, clean = self.check_create(name, num_partitions, overrides)
        topic = Topic(name, uuid.uuid4(), config, clean)
        for index in range(num_partitions):
            directory = self._partition_dir(name, index)
            topic.partitions.append(PartitionLog.open(directory, config, clean_shutdown=True))
        self._register(topic)
        self._save()
        return topic

    def check_create(
        self, name: str, num_partitions: int, overrides: Mapping[str, str | None]
    ) -> tuple[TopicConfig, dict[str, str]]:
        """Validate a creation without doing it (CreateTopics ``validateOnly``)."""
        validate_topic_name(name)
        if name in self._topics:
            raise TopicError(ErrorCode.TOPIC_ALREADY_EXISTS, f"Topic '{name}' already exists.")
        if num_partitions < 1:
            msg = "Number of partitions must be larger than 0."
            raise TopicError(ErrorCode.INVALID_PARTITIONS, msg)
        clean = {k: v for k, v in overrides.items() if v is not None}
        return TopicConfig.from_overrides(clean, self.broker_defaults), clean

    def delete(self, name: str) -> Topic:
        topic = self._topics.pop(name, None)
        if topic is None:
            msg = "This server does not host this topic-partition."
            raise TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, msg)
        self._by_id.pop(topic.topic_id, None)
        self._save()
        for log in topic.partitions:
            log.close()
        for index in range(len(topic.partitions)):
            shutil.rmtree(self._partition_dir(name, index), ignore_errors=True)
        return topic

    def add_partitions(self, name: str, count: int, *, validate_only: bool = False) -> None:
        topic = self._topics.get(name)
        if topic is None:
            msg = "This server does not host this topic-partition."
            raise TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, msg)
        current = len(topic.partitions)
        if count <= current:
            msg = f"Topic currently has {current} partitions, {count} would not be an increase."
            raise TopicError(ErrorCode.INVALID_PARTITIONS, msg)
        if validate_only:
            return
        for index in range(current, count):
            directory = self._partition_dir(name, index)
            topic.partitions.append(PartitionLog.open(directory, topic.config, clean_shutdown=True))
        self._save()

    def set_overrides(
        self, name: str, overrides: Mapping[str, str], *, validate_only: bool
    ) -> None:
        """Replace a topic's overrides (AlterConfigs) after validating them."""
        topic = self._topics[name]
        config = TopicConfig.from_overrides(overrides, self.broker_defaults)
        if validate_only:
            return
        topic.overrides = dict(overrides)
        topic.config = config
        for log in topic.partitions:
            log.update_config(config)
        self._save()

    # -- internals ----------------------------------------------------------------------------
    def _register(self, topic: Topic) -> None:
        self._topics[topic.name] = topic
        self._by_id[topic.topic_id] = topic

    def _partition_dir(self, name: str, index: int) -> Path:
        return self.data_dir / f"{name}-{index}"

    def _save(self) -> None:
        entries = [
            {
                "name": t.name,
                "id": str(t.topic_id),
                "partitions": len(t.partitions),
                "configs": t.overrides,
            }
            for t in self._topics.values()
        ]
        write_atomically(self.data_dir / CATALOGUE, json.dumps({"topics": entries}, indent=1))


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a crash leaves the old or the new content, whole."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
