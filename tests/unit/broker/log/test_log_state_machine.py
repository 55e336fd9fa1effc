"""Hypothesis state machine: append / read / reopen / torn tail vs a list model."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from kaspar.broker.log import PartitionLog
from kaspar.broker.topic_config import TopicConfig
from kaspar.protocol.records import (
    Record,
    decode_batch,
    encode_batch,
    iter_batches,
    validate_batches,
)

NOW = 1_700_000_000_000
CONFIG = TopicConfig.from_overrides({"segment.bytes": "1200", "index.interval.bytes": "200"})


class PartitionLogMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp(prefix="kaspar-log-"))
        self.log = PartitionLog.open(self.directory, CONFIG, clean_shutdown=True, now_ms=NOW)
        self.values: list[bytes] = []  # model: value of each offset
        self.batch_sizes: list[tuple[int, int]] = []  # (record count, bytes) per batch

    def teardown(self) -> None:
        self.log.close()
        shutil.rmtree(self.directory, ignore_errors=True)

    @rule(
        counts=st.lists(st.integers(1, 5), min_size=1, max_size=3),
        compression=st.sampled_from([0, 1, 2, 3, 4]),
        size=st.integers(0, 300),
    )
    def append(self, counts: list[int], compression: int, size: int) -> None:
        data = b""
        new_values: list[bytes] = []
        for count in counts:
            values = [b"%d:" % (len(self.values) + len(new_values) + i) + b"x" * size
                      for i in range(count)]  # fmt: skip
            records = [Record(i, NOW, None, v, []) for i, v in enumerate(values)]
            encoded = encode_batch(records, compression=compression)
            self.batch_sizes.append((count, len(encoded)))
            data += encoded
            new_values += values
        headers = validate_batches(data, max_message_bytes=1 << 20)
        info = self.log.append(data, headers, now_ms=NOW)
        assert info.base_offset == len(self.values)
        self.values += new_values

    @precondition(lambda self: self.values)
    @rule(data=st.data(), max_bytes=st.integers(1, 3000))
    def read(self, data: st.DataObject, max_bytes: int) -> None:
        offset = data.draw(st.integers(0, len(self.values) - 1))
        chunk = self.log.read(offset, max_bytes)
        assert chunk
        got = []
        for pos, header in iter_batches(chunk):
            got += [(r.offset, r.value) for r in decode_batch(chunk[pos : pos + header.size])[1]]
        assert got[0][0] <= offset <= got[-1][0]
        assert got == [(o, self.values[o]) for o in range(got[0][0], got[-1][0] + 1)]

    @rule(clean=st.booleans())
    def reopen(self, clean: bool) -> None:
        self.log.close()
        self.log = PartitionLog.open(self.directory, CONFIG, clean_shutdown=clean, now_ms=NOW)

    @precondition(lambda self: self.batch_sizes and self.log.segments[-1].size > 0)
    @rule(cut=st.floats(0.01, 0.99))
    def tear_tail(self, cut: float) -> None:
        count, size = self.batch_sizes.pop()
        path = self.log.segments[-1].log_path
        self.log.close()
        os.truncate(path, path.stat().st_size - max(1, int(size * cut)))
        del self.values[len(self.values) - count :]
        self.log = PartitionLog.open(self.directory, CONFIG, clean_shutdown=False, now_ms=NOW)

    @invariant()
    def offsets_match(self) -> None:
        assert self.log.log_end_offset == len(self.values)
        assert self.log.read(len(self.values), 100) == b""


PartitionLogMachine.TestCase.settings = settings(
    max_examples=20, stateful_step_count=25, derandomize=True, deadline=None
)
TestPartitionLogMachine = PartitionLogMachine.TestCase
