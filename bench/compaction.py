"""Log cleaner benchmark: how fast kaspar compacts a partition log, in MB/s cleaned.

    .venv/bin/python -m bench.compaction [--mb 200] [--distinct 0.1] [--value-bytes 100]
        [--json-out PATH]

No peer is measured: tansu has no log compaction. Steps:

1. fill a compacted partition's log directly (`PartitionLog` + `encode_batch`, batches of 100
   records, 32 MiB segments) with `--mb` MB of records over `--distinct` x records distinct keys;
2. roll the active segment so that everything is cleanable;
3. time `clean_log` (the worker-thread part: offset map, filtering, writing `.cleaned` files)
   and `swap_cleaned` (the event-loop part, which is all that blocks produce and fetch);
4. print MB/s cleaned (bytes read / worker seconds) and the size before and after (and write
   them as JSON with ``--json-out``).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from kaspar.broker.log import PartitionLog
from kaspar.broker.log.compaction import clean_log, log_to_clean, plan_cleaning
from kaspar.broker.log.swap import swap_cleaned
from kaspar.broker.topic_config import TopicConfig
from kaspar.protocol.records import Record, encode_batch, validate_batches

BATCH_RECORDS = 100
SEGMENT_BYTES = 32 * 1024 * 1024
MB = 1_000_000


def fill(log: PartitionLog, total_bytes: int, distinct: float, value_bytes: int) -> int:
    """Step 1: append batches until the log holds `total_bytes`; returns the record count."""
    rng = random.Random(42)
    value = b"x" * value_bytes
    per_record = value_bytes + 20
    records_total = total_bytes // per_record
    keys = max(1, int(records_total * distinct))
    now = int(time.time() * 1000)
    count = 0
    while log.size_bytes < total_bytes:
        batch = [
            Record(i, now, b"key-%09d" % rng.randrange(keys), value) for i in range(BATCH_RECORDS)
        ]
        data = encode_batch(batch)
        log.append(data, validate_batches(data, max_message_bytes=1 << 30), now_ms=now)
        count += BATCH_RECORDS
    return count


def run(total_mb: int, distinct: float, value_bytes: int) -> dict[str, float]:
    config = TopicConfig.from_overrides(
        {
            "cleanup.policy": "compact",
            "segment.bytes": str(SEGMENT_BYTES),
            "min.cleanable.dirty.ratio": "0.01",
        }
    )
    with tempfile.TemporaryDirectory(prefix="kaspar-bench-compaction-") as tmp:
        log = PartitionLog.open(Path(tmp), config, clean_shutdown=True)
        started = time.perf_counter()
        records = fill(log, total_mb * MB, distinct, value_bytes)
        fill_s = time.perf_counter() - started
        log.roll()  # step 2
        before = log.size_bytes
        now_ms = int(time.time() * 1000) + 1
        target = log_to_clean(log.segments, config, 0, now_ms)
        task = plan_cleaning(log.directory, log.segments, config, target, now_ms)
        started = time.perf_counter()
        result = clean_log(task)  # step 3
        clean_s = time.perf_counter() - started
        started = time.perf_counter()
        swap_cleaned(log, task)
        swap_s = time.perf_counter() - started
        after = log.size_bytes
        log.close()
    print("kaspar log cleaner (no peer: tansu has no log compaction)")
    print(f"  log filled:       {before / MB:8.1f} MB, {records:,} records in {fill_s:.1f} s")
    print(f"  distinct keys:    {distinct:.0%} of records, values of {value_bytes} B")
    print(f"  cleaned:          {result.bytes_read / MB:8.1f} MB -> {after / MB:.1f} MB")
    print(f"  records removed:  {result.records_removed:,}")
    print(f"  worker time:      {clean_s:8.2f} s  ({result.bytes_read / MB / clean_s:.1f} MB/s)")
    print(f"  swap (event loop): {swap_s * 1000:7.1f} ms for {len(task.groups)} segment groups")
    return {
        "records": records,
        "bytes_before": before,
        "bytes_after": after,
        "bytes_read": result.bytes_read,
        "records_removed": result.records_removed,
        "clean_s": clean_s,
        "mb_per_s": result.bytes_read / MB / clean_s,
        "swap_ms": swap_s * 1000,
        "segment_groups": len(task.groups),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200, help="log size to fill, in MB")
    parser.add_argument("--distinct", type=float, default=0.1, help="distinct keys / records")
    parser.add_argument("--value-bytes", type=int, default=100, help="bytes per value")
    parser.add_argument("--json-out", type=Path, default=None, help="results file")
    args = parser.parse_args()
    result = run(args.mb, args.distinct, args.value_bytes)
    if args.json_out is not None:
        meta = {"benchmark": "compaction", "mb": args.mb, "distinct": args.distinct}
        document = {"meta": {**meta, "value_bytes": args.value_bytes}, "results": result}
        args.json_out.write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()
