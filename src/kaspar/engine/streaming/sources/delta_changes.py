"""A Delta table's change data feed as a stream: ``spark.readStream.format("delta")
.option("readChangeFeed", "true")`` and Spark 4.2's ``spark.readStream.changes(table)``.

Its offset is the last table version whose changes were read (a JSON number). A batch reads the
changes of the versions after it up to the latest (deltalake's ``load_cdf``): the table's
columns, then ``_change_type`` (``insert``, ``delete``, ``update_preimage``,
``update_postimage``), ``_commit_version`` and ``_commit_timestamp``, as delta-spark's stream.
``startingVersion`` (a number, or ``latest``) or ``startingTimestamp`` choose the first version
read; without either, the stream starts at version 0, so a table written with the feed enabled
from its creation is read whole (its first writes as inserts). ``maxVersionsPerTrigger`` (kaspar's
own option) bounds a batch; ``availableNow`` reads up to the latest version when it starts.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from deltalake.exceptions import DeltaError

from kaspar.engine.sources.delta import open_delta_table, parse_timestamp
from kaspar.errors import AnalysisException

CHANGE_COLUMNS = [
    pa.field("_change_type", pa.string()),
    pa.field("_commit_version", pa.int64()),
    pa.field("_commit_timestamp", pa.timestamp("us", "UTC")),
]


class DeltaChangeFeedSource:
    """The changes of the versions after the offset, one batch up to the latest version."""

    first_batch_without_data = False

    def __init__(self, path: str, options: dict[str, str], time_zone: str) -> None:
        self._path = path
        self._options = options
        self._time_zone = time_zone
        table = open_delta_table(path)
        data = pa.schema(table.schema().to_arrow())
        plain = {pa.large_string(): pa.string(), pa.large_binary(): pa.binary()}
        fields = [pa.field(f.name, plain.get(f.type, f.type)) for f in data]
        self.schema = pa.schema([*fields, *CHANGE_COLUMNS])
        self.description = f"DeltaSource[{path}] (change data feed)"
        limit = options.get("maxversionspertrigger")
        self._limit = int(limit) if limit else None

    def for_query(self) -> DeltaChangeFeedSource:
        return DeltaChangeFeedSource(self._path, self._options, self._time_zone)

    def initial_offset(self) -> Any:
        """The version before the first one read."""
        table = open_delta_table(self._path)
        version = self._options.get("startingversion")
        if version is not None:
            return table.version() if version.lower() == "latest" else int(version) - 1
        timestamp = self._options.get("startingtimestamp")
        if timestamp is not None:
            when = parse_timestamp(timestamp, self._time_zone).timestamp() * 1000
            commits = sorted(
                (int(c["version"]), int(c["timestamp"]))
                for c in table.history()
                if "version" in c and "timestamp" in c
            )
            return next((v - 1 for v, t in commits if t >= when), table.version())
        return -1

    def latest_offset(self, start: Any, limited: bool, until: Any | None) -> Any:
        latest = open_delta_table(self._path).version()
        if until is not None:
            latest = min(latest, int(until))
        if limited and self._limit is not None:
            latest = min(latest, int(start) + self._limit)
        return max(latest, int(start))

    def get_batch(self, start: Any, end: Any) -> pa.Table:
        if int(end) <= int(start):
            return self.schema.empty_table()
        table = open_delta_table(self._path)
        try:
            changes = pa.table(
                table.load_cdf(starting_version=int(start) + 1, ending_version=int(end))
            )
        except DeltaError as e:
            raise AnalysisException(
                f"Cannot read the change data feed of {self._path}: {e}",
                "DELTA_CHANGE_DATA_FEED_ERROR",
            ) from None
        columns = [changes.column(f.name).cast(f.type) for f in self.schema]
        return pa.Table.from_arrays(columns, schema=self.schema)

    def commit(self, end: Any) -> None:
        pass

    def stop(self) -> None:
        pass
