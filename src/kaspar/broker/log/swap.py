"""Installing cleaned segments on the event loop thread, and the cleaner checkpoint.

Reads and appends run on the event loop thread too, so a swap done there in one synchronous
step is never seen half-done by a Fetch. `swap_cleaned` protocol, for each group of a
`CleanTask` (see `compaction.py`):

1. Check that the group's segments are still consecutive inactive segments of the log
   (retention, DeleteRecords or a topic deletion may have removed some while the worker
   cleaned); if not, delete the group's `.cleaned` files and skip it.
2. Rename `<base>.index.cleaned` and `<base>.timeindex.cleaned` to `.swap`, then
   `<base>.log.cleaned` to `<base>.log.swap`, and fsync the directory: the swap is now
   committed (after a crash, recovery completes it, see `recovery.py`).
3. Close the old segments and delete their files.
4. Rename the `.swap` indexes, then the `.swap` log, to their final names; fsync the directory.
5. Open the new segment (its indexes load without a scan) in place of the old ones.

Then the cleaner checkpoint (`cleaner-offset-checkpoint` in the partition directory: the
offset below which the log is compacted) is set to the task's end offset.
"""

from __future__ import annotations

from pathlib import Path

from kaspar.broker.log.checkpoint import (
    CLEANER_CHECKPOINT_FILE,
    fsync_directory,
    read_offset_file,
    write_offset_file,
)
from kaspar.broker.log.compaction import CleanTask, cleaned_paths
from kaspar.broker.log.partition_log import PartitionLog
from kaspar.broker.log.recovery import open_segment
from kaspar.broker.log.segment import Segment

__all__ = [
    "CLEANER_CHECKPOINT_FILE",
    "read_cleaner_checkpoint",
    "swap_cleaned",
    "write_cleaner_checkpoint",
]

SWAP = ".swap"


def _swap_group(log: PartitionLog, old: list[Segment], base_offset: int) -> None:
    """Steps 2-5 for one group."""
    directory = log.directory
    cleaned = cleaned_paths(directory, base_offset)  # .index, .timeindex, then .log
    swaps = [path.with_name(path.name.removesuffix(".cleaned") + SWAP) for path in cleaned]
    for source, swap in zip(cleaned, swaps, strict=True):  # step 2
        source.replace(swap)
    fsync_directory(directory)

    def install() -> Segment:
        for swap in swaps:  # step 4
            swap.replace(swap.with_name(swap.name.removesuffix(SWAP)))
        fsync_directory(directory)
        return open_segment(directory, base_offset, log.config)  # step 5

    log.replace_segments(old, install)  # step 3, then `install`


def swap_cleaned(log: PartitionLog, task: CleanTask) -> int:
    """Install the cleaned groups of `task` (module steps); return how many were swapped."""
    by_base = {segment.base_offset: segment for segment in log.segments[:-1]}
    swapped = 0
    for group in task.groups:
        base_offset = group[0].base_offset
        old = [by_base.get(source.base_offset) for source in group]
        live = [segment for segment in old if segment is not None]
        if (
            len(live) != len(group)
            or log.holds_inactive(live) is None
            or any(segment.size != source.size for segment, source in zip(live, group, strict=True))
        ):  # step 1
            for path in cleaned_paths(log.directory, base_offset):
                path.unlink(missing_ok=True)
            continue
        _swap_group(log, live, base_offset)
        swapped += 1
    write_cleaner_checkpoint(log.directory, task.end_offset)
    return swapped


def read_cleaner_checkpoint(directory: Path) -> int:
    """The persisted cleaner checkpoint, or 0 if there is none."""
    return read_offset_file(directory, CLEANER_CHECKPOINT_FILE)


def write_cleaner_checkpoint(directory: Path, offset: int) -> None:
    """Atomically persist the cleaner checkpoint."""
    write_offset_file(directory, CLEANER_CHECKPOINT_FILE, offset)
