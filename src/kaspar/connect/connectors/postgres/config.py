"""The PostgreSQL connector's settings, by Debezium's property names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kaspar.connect.config_def import NO_DEFAULT, ConfigDef, ConfigKey, at_least, one_of

SNAPSHOT_MODES = ("initial", "never", "always", "when_needed", "no_data", "initial_only")
SESSION_OPTIONS = (
    "-c TimeZone=UTC -c DateStyle=ISO -c IntervalStyle=iso_8601 -c extra_float_digits=3"
)
"""Every session reads values as the type parsers expect them."""


def _key(
    name: str, kind: str = "STRING", default: Any = NO_DEFAULT, doc: str = "", **kw: Any
) -> ConfigKey:
    """A key of the group "Postgres"; without a default it is required."""
    return ConfigKey(name, kind, default, kw.pop("importance", "MEDIUM"), doc, "Postgres", **kw)


CONFIG_DEF = ConfigDef(
    (
        _key(
            "database.hostname",
            doc="Resolvable hostname or IP address of the database server.",
            importance="HIGH",
        ),
        _key("database.port", "INT", 5432, "Port of the database server."),
        _key(
            "database.user",
            doc="Name of the database user to be used when connecting to the database.",
            importance="HIGH",
        ),
        _key("database.password", "PASSWORD", "", "Password of the database user."),
        _key(
            "database.dbname",
            doc="The name of the database to capture changes from",
            importance="HIGH",
        ),
        _key("database.sslmode", "STRING", "prefer", "libpq's sslmode."),
        _key(
            "topic.prefix",
            doc="Names the server: topics are <prefix>.<schema>.<table>",
            importance="HIGH",
        ),
        _key(
            "plugin.name",
            "STRING",
            "pgoutput",
            "The logical decoding plugin; pgoutput.",
            validator=one_of("pgoutput"),
        ),
        _key("slot.name", "STRING", "debezium", "The name of the replication slot."),
        _key("slot.drop.on.stop", "BOOLEAN", False, "Drop the slot when the connector stops."),
        _key("publication.name", "STRING", "dbz_publication", "The name of the publication."),
        _key(
            "publication.autocreate.mode",
            "STRING",
            "all_tables",
            "Create the publication if missing: all_tables, filtered or disabled.",
            validator=one_of("all_tables", "filtered", "disabled"),
        ),
        _key(
            "snapshot.mode",
            "STRING",
            "initial",
            "When to take a snapshot.",
            validator=one_of(*SNAPSHOT_MODES),
        ),
        _key(
            "snapshot.fetch.size",
            "INT",
            10240,
            "Rows fetched per round trip in a snapshot.",
            validator=at_least(1),
        ),
        _key("schema.include.list", "STRING", "", "Regular expressions of schemas to capture."),
        _key("table.include.list", "STRING", "", "Regular expressions of schema.table to capture."),
        _key(
            "table.exclude.list",
            "STRING",
            "",
            "Regular expressions of schema.table not to capture.",
        ),
        _key("tombstones.on.delete", "BOOLEAN", True, "Follow each delete event by a tombstone."),
        _key(
            "skipped.operations",
            "STRING",
            "t",
            "Operations not emitted (c, u, d, t; none for all).",
        ),
        _key("heartbeat.interval.ms", "INT", 0, "Emit a heartbeat record this often (0: never)."),
        _key(
            "topic.heartbeat.prefix",
            "STRING",
            "__debezium-heartbeat",
            "Prefix of the heartbeat topic.",
        ),
        _key(
            "max.batch.size",
            "INT",
            2048,
            "Most records returned by one poll.",
            validator=at_least(1),
        ),
        _key(
            "max.queue.size",
            "INT",
            8192,
            "Events buffered between the database and Kafka.",
            validator=at_least(1),
        ),
        _key(
            "poll.interval.ms",
            "INT",
            500,
            "How long a poll waits for events.",
            validator=at_least(1),
        ),
    )
)


@dataclass(frozen=True)
class PostgresConfig:
    props: Mapping[str, str]
    values: Mapping[str, Any]

    @classmethod
    def parse(cls, props: Mapping[str, str]) -> PostgresConfig:
        return cls(dict(props), CONFIG_DEF.parse(props))

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def connect_args(self) -> dict[str, Any]:
        """psycopg2.connect keyword arguments."""
        return {
            "host": self["database.hostname"],
            "port": self["database.port"],
            "user": self["database.user"],
            "password": self["database.password"],
            "dbname": self["database.dbname"],
            "sslmode": self["database.sslmode"],
            "options": SESSION_OPTIONS,
            "connect_timeout": 10,
            "application_name": f"kaspar-connect-{self['topic.prefix']}",
        }

    @property
    def skipped(self) -> set[str]:
        raw = str(self["skipped.operations"]).strip().lower()
        return set() if raw == "none" else {op.strip() for op in raw.split(",") if op.strip()}
