"""The command topic: every statement that changes the metastore or the running queries, in
the order the server accepted them, as ksqlDB keeps them.

1. ``append`` writes a command (key: its command id, value: the statement text, the
   properties in force) with an idempotent ``acks=all`` producer and waits for its offset: the
   command's sequence number, from which query ids are derived (so a replay gives the same ids).
2. ``replay`` reads the topic from the beginning to its end as it was when the server started;
   the server executes each command in order without side effects on Kafka.
The topic has one partition and infinite retention (never compacted: order is the point).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from kaspar.ksql import statements as st

TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Command:
    id: str
    statement: str
    properties: dict[str, Any]
    sequence: int


class CommandTopic:
    def __init__(self, servers: str, topic: str) -> None:
        self.servers, self.topic = servers, topic
        self._producer: Producer | None = None
        self.end = 0

    def create(self) -> None:
        admin = AdminClient({"bootstrap.servers": self.servers})
        config = {"retention.ms": "-1", "cleanup.policy": "delete"}
        futures = admin.create_topics([NewTopic(self.topic, 1, 1, config=config)])
        try:
            futures[self.topic].result(TIMEOUT_S)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise

    def append(self, command_id: str, statement: str, properties: dict[str, Any]) -> int:
        """Step 1; returns the command's sequence number (its offset)."""
        if self._producer is None:
            self._producer = Producer(
                {"bootstrap.servers": self.servers, "enable.idempotence": True, "acks": "all"}
            )
        result: list[Any] = []
        value = json.dumps({"statement": statement, "streamsProperties": properties})
        self._producer.produce(
            self.topic,
            value.encode(),
            command_id.encode(),
            on_delivery=lambda err, msg: result.append(err or msg.offset()),
        )
        self._producer.flush(TIMEOUT_S)
        if not result or not isinstance(result[0], int):
            raise KafkaException(result[0] if result else "command not acknowledged in time")
        return int(result[0])

    def replay(self) -> list[Command]:
        """Step 2 (``end``: the offset the replay stopped at, where a follower goes on)."""
        consumer = Consumer(
            {
                "bootstrap.servers": self.servers,
                "group.id": f"{self.topic}-replay",
                "enable.auto.commit": False,
                "enable.partition.eof": True,
            }
        )
        try:
            _, end = consumer.get_watermark_offsets(TopicPartition(self.topic, 0), TIMEOUT_S)
            self.end = end
            consumer.assign([TopicPartition(self.topic, 0, 0)])
            return _read_to(consumer, end)
        finally:
            consumer.close()

    def close(self) -> None:
        if self._producer is not None:
            self._producer.flush(TIMEOUT_S)
            self._producer = None


def _read_to(consumer: Consumer, end: int) -> list[Command]:
    commands: list[Command] = []
    position = 0
    while position < end:
        message = consumer.poll(TIMEOUT_S)
        if message is None:
            raise TimeoutError(f"the command topic was not read to offset {end} in time")
        error = message.error()
        if error is not None:
            if error.code() == KafkaError._PARTITION_EOF:
                break
            raise KafkaException(error)
        command = command_of(message)
        position = command.sequence + 1
        commands.append(command)
    return commands


def command_of(message: Any) -> Command:
    """A command topic record as a ``Command``."""
    key, body = message.key(), json.loads(message.value() or b"{}")
    return Command(
        key.decode() if key else "",
        body["statement"],
        body.get("streamsProperties", {}),
        message.offset() or 0,
    )


def command_id(statement: st.Statement) -> str:
    if isinstance(statement, st.CreateSource | st.CreateAsSelect):
        return f"{statement.kind.lower()}/`{statement.name}`/create"
    if isinstance(statement, st.InsertSelect):
        return f"stream/`{statement.target}`/create"
    if isinstance(statement, st.DropSource):
        return f"{statement.kind.lower()}/`{statement.name}`/drop"
    if isinstance(statement, st.Terminate):
        return f"terminate/{statement.query_id or 'ALL'}/execute"
    if isinstance(statement, st.PauseResume):
        return f"{statement.action.lower()}/{statement.query_id or 'ALL'}/execute"
    return "statement/unknown/execute"


def query_id_of(statement: st.CreateAsSelect | st.InsertSelect, sequence: int) -> str:
    if isinstance(statement, st.InsertSelect):
        return f"INSERTQUERY_{sequence}"
    prefix = "CSAS" if statement.kind == "STREAM" else "CTAS"
    return f"{prefix}_{statement.name}_{sequence}"
