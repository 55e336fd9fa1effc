"""The Delta streaming sink: each batch is one commit (an append, or in complete mode an
overwrite with the whole result), idempotent through a ``txn`` action with ``appId`` = the
query id and ``version`` = the batch id, so a re-run batch writes nothing."""

from __future__ import annotations

import pyarrow as pa

from kaspar.engine.sinks.delta import write_delta
from kaspar.errors import AnalysisException


class DeltaStreamSink:
    def __init__(
        self,
        path: str,
        query_id: str,
        options: dict[str, str],
        partition_by: list[str],
        output_mode: str = "append",
    ) -> None:
        if output_mode == "update":
            raise AnalysisException(
                "Data source delta does not support Update output mode",
                "STREAMING_OUTPUT_MODE.UNSUPPORTED_DATASOURCE",
            )
        self._mode = "overwrite" if output_mode == "complete" else "append"
        self.path = path
        self.description = f"DeltaSink[{path}]"
        self._query_id = query_id
        self._options = {k: v for k, v in options.items() if k not in ("txnappid", "txnversion")}
        self._partition_by = partition_by

    def add_batch(self, batch_id: int, table: pa.Table) -> None:
        options = {**self._options, "txnappid": self._query_id, "txnversion": str(batch_id)}
        write_delta(table, self.path, self._mode, self._partition_by, options)

    def stop(self) -> None:
        pass
