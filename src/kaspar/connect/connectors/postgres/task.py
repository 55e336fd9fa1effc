"""`PostgresConnector` and its task: Debezium's PostgreSQL source (one task per connector, as
Debezium's), the change stream on its own thread, the task draining its queue."""

from __future__ import annotations

import queue
from collections.abc import Mapping
from typing import Any

from kaspar.connect.config_def import ConfigDef
from kaspar.connect.connector import SourceConnector, SourceTask
from kaspar.connect.connectors.postgres.config import CONFIG_DEF, PostgresConfig
from kaspar.connect.data import SourceRecord

QUEUE_BATCHES = 64


class PostgresConnector(SourceConnector):
    aliases = ("io.debezium.connector.postgresql.PostgresConnector",)

    @classmethod
    def config_def(cls) -> ConfigDef:
        return CONFIG_DEF

    def start(self, props: Mapping[str, str]) -> None:
        PostgresConfig.parse(props)
        self.props = dict(props)

    def task_class(self) -> type[SourceTask]:
        return PostgresSourceTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self.props)]

    def validate(self, props: Mapping[str, str]) -> list[dict[str, Any]]:
        """The keys' checks, then a connection: its failure is an error on database.hostname."""
        infos = super().validate(props)
        if any(info["value"]["errors"] for info in infos):
            return infos
        try:
            import psycopg2

            args = PostgresConfig.parse(props).connect_args()
            psycopg2.connect(**{**args, "connect_timeout": 5}).close()
        except Exception as exc:  # noqa: BLE001 (any failure to connect is the answer)
            for info in infos:
                if info["value"]["name"] == "database.hostname":
                    info["value"]["errors"].append(
                        f"Error while validating connector config: {exc}".strip()
                    )
        return infos


class PostgresSourceTask(SourceTask):
    def start(self, props: Mapping[str, str]) -> None:
        self.config = PostgresConfig.parse(props)
        stored = self.context.offset({"server": self.config["topic.prefix"]})
        from kaspar.connect.connectors.postgres.stream import ChangeStream  # imports psycopg2

        self.queue: queue.Queue[Any] = queue.Queue(QUEUE_BATCHES)
        self.stream = ChangeStream(self.config, stored, self.queue)
        self.polled_flush = 0
        self.stream.start()

    def poll(self) -> list[SourceRecord] | None:
        try:
            first = self.queue.get(timeout=self.config["poll.interval.ms"] / 1000)
        except queue.Empty:
            return None
        records: list[SourceRecord] = []
        item: Any = first
        limit = self.config["max.batch.size"]
        while True:
            if isinstance(item, Exception):
                raise item
            records.extend(item.records)
            if item.flush_lsn:
                self.polled_flush = max(self.polled_flush, item.flush_lsn)
            if len(records) >= limit or self.queue.empty():
                self._end_transaction(item)
                return records
            item = self.queue.get_nowait()

    def _end_transaction(self, last: Any) -> None:
        """With exactly-once support and connector-defined boundaries, a Kafka transaction ends
        where a database transaction (or the snapshot) ended: never in the middle of one."""
        transactions = self.context.transaction_context
        if transactions is not None and last.flush_lsn:
            transactions.commit_transaction()

    def commit(self) -> None:
        """Every polled record is in Kafka, its offset stored: the slot may release them."""
        if self.polled_flush:
            self.stream.confirm(self.polled_flush)

    def stop(self) -> None:
        self.stream.stop()
