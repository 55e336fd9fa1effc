"""The Delta streaming sink: each batch is one append, idempotent through a ``txn`` action with
``appId`` = the query id and ``version`` = the batch id, so a re-run batch writes nothing."""

from __future__ import annotations

import pyarrow as pa

from kaspar.engine.sinks.delta import write_delta


class DeltaStreamSink:
    def __init__(
        self, path: str, query_id: str, options: dict[str, str], partition_by: list[str]
    ) -> None:
        self.path = path
        self.description = f"DeltaSink[{path}]"
        self._query_id = query_id
        self._options = {k: v for k, v in options.items() if k not in ("txnappid", "txnversion")}
        self._partition_by = partition_by

    def add_batch(self, batch_id: int, table: pa.Table) -> None:
        options = {**self._options, "txnappid": self._query_id, "txnversion": str(batch_id)}
        write_delta(table, self.path, "append", self._partition_by, options)

    def stop(self) -> None:
        pass
