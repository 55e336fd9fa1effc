"""`FileStreamSource` / `FileStreamSink`: lines of a file to a topic and back, as Apache's
example connectors do (same class names and keys: `file`, `topic`, `topics`, `batch.size`).

The source's partition is `{"filename": <file>}` and its offset `{"position": <byte offset>}`,
so a restarted task continues after the last line stored; a line is sent once it ends with a
newline. The sink appends each record's value as a line (a string as it is, other values as
JSON) and fsyncs on `flush`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from kaspar.connect.config_def import ConfigDef, ConfigKey, at_least
from kaspar.connect.connector import SinkConnector, SinkTask, SourceConnector, SourceTask
from kaspar.connect.data import STRING, SinkRecord, SourceRecord

IDLE_WAIT_S = 0.2
READ_CHUNK = 1 << 20


class FileStreamSourceConnector(SourceConnector):
    aliases = ("org.apache.kafka.connect.file.FileStreamSourceConnector",)

    @classmethod
    def config_def(cls) -> ConfigDef:
        return ConfigDef(
            (
                ConfigKey("file", documentation="Source filename.", importance="HIGH"),
                ConfigKey("topic", documentation="The topic to publish data to", importance="HIGH"),
                ConfigKey(
                    "batch.size",
                    "INT",
                    2000,
                    "LOW",
                    "The maximum number of records the source task can read from the file each"
                    " time it is polled",
                    validator=at_least(1),
                ),
            )
        )

    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)

    def task_class(self) -> type[SourceTask]:
        return FileStreamSourceTask


class FileStreamSourceTask(SourceTask):
    def start(self, props: Mapping[str, str]) -> None:
        parsed = FileStreamSourceConnector.config_def().parse(props)
        self.path = Path(parsed["file"])
        self.topic, self.batch_size = parsed["topic"], parsed["batch.size"]
        self.partition = {"filename": str(self.path)}
        stored = self.context.offset(self.partition) or {}
        self.position = int(stored.get("position", 0))
        self.stream: IO[bytes] | None = None

    def _open(self) -> IO[bytes] | None:
        if self.stream is None and self.path.exists():
            self.stream = self.path.open("rb")
        return self.stream

    def poll(self) -> list[SourceRecord] | None:
        stream = self._open()
        lines: list[bytes] = []
        if stream is not None:
            stream.seek(self.position)
            # the piece after the last newline is read again once it is a whole line
            lines = stream.read(READ_CHUNK).split(b"\n")[:-1][: self.batch_size]
        if not lines:
            time.sleep(IDLE_WAIT_S)
            return None
        records = []
        for line in lines:
            self.position += len(line) + 1
            records.append(
                SourceRecord(
                    self.partition,
                    {"position": self.position},
                    self.topic,
                    value_schema=STRING,
                    value=line.decode("utf-8", "replace"),
                )
            )
        return records

    def stop(self) -> None:
        if self.stream is not None:
            self.stream.close()


class FileStreamSinkConnector(SinkConnector):
    aliases = ("org.apache.kafka.connect.file.FileStreamSinkConnector",)

    @classmethod
    def config_def(cls) -> ConfigDef:
        return ConfigDef(
            (
                ConfigKey(
                    "file", default=None, documentation="Destination filename.", importance="HIGH"
                ),
            )
        )

    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)

    def task_class(self) -> type[SinkTask]:
        return FileStreamSinkTask


class FileStreamSinkTask(SinkTask):
    def start(self, props: Mapping[str, str]) -> None:
        self.stream: IO[str] = Path(props["file"]).open("a", encoding="utf-8")  # noqa: SIM115

    def put(self, records: list[SinkRecord]) -> None:
        self.stream.write("".join(f"{_text(r.value)}\n" for r in records))

    def flush(self, offsets: Mapping[tuple[str, int], int]) -> None:
        self.stream.flush()
        os.fsync(self.stream.fileno())

    def stop(self) -> None:
        self.stream.close()


def _text(value: Any) -> str:
    """A string as it is; anything else (a struct, a map, a number) as JSON."""
    return value if isinstance(value, str) else json.dumps(value, default=str)
