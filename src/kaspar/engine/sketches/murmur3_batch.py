"""Spark's ``Murmur3_x86_32.hashUnsafeBytes`` over a whole Arrow string/binary array in numpy.

All values advance together one 4-byte word at a time (the values that still have a word take
part), then one tail byte at a time: Spark mixes each tail byte as a whole signed word, unlike
reference Murmur3. Matches ``kaspar.engine.spark_hash.hash_bytes`` value for value.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

_C1, _C2 = np.uint32(0xCC9E2D51), np.uint32(0x1B873593)


def rotl(x: np.ndarray, r: int) -> np.ndarray:
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def mix(h1: np.ndarray, k1: np.ndarray) -> np.ndarray:
    k1 = rotl(k1 * _C1, 15) * _C2
    h1 = rotl(h1 ^ k1, 13)
    return h1 * np.uint32(5) + np.uint32(0xE6546B64)


def fmix(h1: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    h1 = h1 ^ lengths.astype(np.uint32)
    h1 = (h1 ^ (h1 >> np.uint32(16))) * np.uint32(0x85EBCA6B)
    h1 = (h1 ^ (h1 >> np.uint32(13))) * np.uint32(0xC2B2AE35)
    out: np.ndarray = h1 ^ (h1 >> np.uint32(16))
    return out


def buffers(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(start offsets with the end appended, data bytes) of a string or binary array."""
    flat = values.cast(pa.large_binary())
    offsets_buffer, data_buffer = flat.buffers()[1], flat.buffers()[2]
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[
        flat.offset : flat.offset + len(flat) + 1
    ]
    data = (
        np.frombuffer(data_buffer, dtype=np.uint8)
        if data_buffer is not None
        else np.zeros(0, np.uint8)
    )
    return offsets, data


def hash_unsafe_bytes(offsets: np.ndarray, data: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """Each value's hash (uint32) with its own seed (uint32 array, one per value)."""
    starts, lengths = offsets[:-1], offsets[1:] - offsets[:-1]
    words = lengths // 4
    padded = np.concatenate([data, np.zeros(4, np.uint8)])
    h1 = seeds.astype(np.uint32).copy()
    with np.errstate(over="ignore"):
        for j in range(int(words.max(initial=0))):
            live = np.nonzero(words > j)[0]
            at = starts[live] + 4 * j
            word = (
                padded[at].astype(np.uint32)
                | padded[at + 1].astype(np.uint32) << np.uint32(8)
                | padded[at + 2].astype(np.uint32) << np.uint32(16)
                | padded[at + 3].astype(np.uint32) << np.uint32(24)
            )
            h1[live] = mix(h1[live], word)
        tails = lengths % 4
        for t in range(3):
            live = np.nonzero(tails > t)[0]
            byte = padded[starts[live] + 4 * words[live] + t].astype(np.int8)
            h1[live] = mix(h1[live], byte.astype(np.int32).astype(np.uint32))
        return fmix(h1, lengths)
