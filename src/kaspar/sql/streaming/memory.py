"""``MemoryStream``: a streaming source fed from the test (Spark's Scala ``MemoryStream``).

```python
stream = MemoryStream(spark, "id int, name string")
query = stream.toDF().writeStream.format("memory").queryName("out").start()
stream.addData([(1, "a"), (2, "b")])
query.processAllAvailable()
```
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kaspar.engine.streaming.sources.memory import MemorySource
from kaspar.sql._local_data import local_table
from kaspar.sql.streaming.readwriter import streaming_relation

if TYPE_CHECKING:
    from kaspar.sql.dataframe import DataFrame
    from kaspar.sql.session import SparkSession


class MemoryStream:
    def __init__(self, session: SparkSession, schema: Any) -> None:
        empty, self._struct = local_table([], schema)
        self._session = session
        self._source = MemorySource(empty.rename_columns(self._struct.names).schema)

    def addData(self, data: Any) -> int:
        """Add rows (tuples, dicts, Rows or an Arrow table); returns the new offset."""
        table, _ = local_table(data, self._struct)
        return self._source.add_data(table.rename_columns(self._struct.names))

    def toDF(self) -> DataFrame:
        from kaspar.sql.dataframe import DataFrame

        return DataFrame(self._session, streaming_relation(self._source))
