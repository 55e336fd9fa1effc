"""``approx_count_distinct`` as Spark computes it: HyperLogLog++ over Spark's XXH64.

Spark sizes the sketch from the relative standard deviation ``rsd`` (``p`` index bits, ``m =
2^p`` registers), hashes each non-NULL value with ``xxhash64``'s XXH64 (seed 42), takes the top
``p`` bits as the register and the leading zeros of the rest (plus one) as its rank, and keeps
each register's largest rank. The estimate is the raw HyperLogLog one, corrected by the
empirical bias tables of HLL++ (``hllpp_bias.json``) below ``5 m``, or linear counting while
registers are empty and either its value is under the precision's threshold or the raw estimate
is at most ``2.5 m``; rounded as Java's ``Math.round``.

Two built-in Arrow UDFs carry it through DuckDB: ``code`` turns each value into ``register << 6
| rank`` (a small integer; NULL for NULL), an aggregate's ``list(DISTINCT code)`` holds at most
``m * 64`` values per group whatever the row count, and ``estimate`` builds the registers from
them and computes Spark's estimate.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from kaspar.engine.spark_xxhash64 import SEED, hash_column
from kaspar.engine.spark_xxhash64 import native_helper as native
from kaspar.errors import AnalysisException

DEFAULT_RSD = 0.05
_RANK_BITS = 6
_K = 6  # bias estimates averaged


def precision(rsd: float) -> int:
    """Spark's ``p`` for a relative standard deviation; Spark's error below 4 bits."""
    if not rsd > 0:
        raise AnalysisException(
            f"[DATATYPE_MISMATCH.VALUE_OUT_OF_RANGE] The relative standard deviation {rsd} "
            "must be positive.",
            "DATATYPE_MISMATCH.VALUE_OUT_OF_RANGE",
        )
    p = math.ceil(2.0 * math.log(1.106 / rsd) / math.log(2.0))
    if p < 4:  # Spark: "HLL++ requires at least 4 bits for addressing" underneath
        raise AnalysisException(
            "Failed preparing of the function `approx_count_distinct` for call. Please, double "
            "check function's arguments.",
            "FAILED_FUNCTION_CALL",
        )
    return p


def code(values: pa.Array, p_values: pa.Array) -> pa.Array:
    """Each value's ``register << 6 | rank`` at precision ``p`` (NULL for NULL)."""
    p = int(p_values[0].as_py())
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    hashes = hash_column(values, np.full(len(values), SEED, dtype=np.uint64))
    if native is not None:
        codes = np.frombuffer(native.hll_codes(hashes, p), np.int32)
    else:
        register = (hashes >> np.uint64(64 - p)).astype(np.int64)
        rest = (hashes << np.uint64(p)) | np.uint64(1 << (p - 1))
        rank = 64 - _bit_length(rest) + 1
        codes = ((register << _RANK_BITS) | rank).astype(np.int32)
    nulls = values.is_null()
    return pa.array(codes, mask=np.asarray(nulls) if nulls.true_count else None)


def _bit_length(values: np.ndarray) -> np.ndarray:
    """Bits of each (non-zero) uint64, exactly (no float rounding)."""
    length = np.ones(len(values), dtype=np.int64)
    rest = values.copy()
    for shift in (32, 16, 8, 4, 2, 1):
        wide = rest >= np.uint64(1 << shift)
        length += wide * shift
        rest = np.where(wide, rest >> np.uint64(shift), rest)
    return length


def estimate(code_lists: pa.Array, p_values: pa.Array) -> pa.Array:
    """Spark's estimate per group from its ``list(DISTINCT code)``."""
    p = int(p_values[0].as_py()) if len(p_values) else 9
    if isinstance(code_lists, pa.ChunkedArray):
        code_lists = code_lists.combine_chunks()
    out: list[int | None] = []
    for codes in code_lists:
        if not codes.is_valid:
            out.append(0)
            continue
        kept = codes.values.drop_null().to_numpy(zero_copy_only=False).astype(np.int64)
        out.append(_estimate(_registers(kept, p), p))
    return pa.array(out, pa.int64())


def _registers(codes: np.ndarray, p: int) -> np.ndarray:
    registers = np.zeros(1 << p, dtype=np.int64)
    np.maximum.at(registers, codes >> _RANK_BITS, codes & ((1 << _RANK_BITS) - 1))
    return registers


def _estimate(registers: np.ndarray, p: int) -> int:
    m = 1 << p
    z_inverse = float(np.cumsum(np.ldexp(1.0, -registers))[-1])  # Spark's order of summing
    empty = int(np.count_nonzero(registers == 0))
    alpha = {4: 0.673, 5: 0.697, 6: 0.709}.get(p, 0.7213 / (1.0 + 1.079 / m))
    raw = alpha * m * m / z_inverse
    corrected = raw - _bias(raw, p) if p < 19 and raw < 5.0 * m else raw
    result = corrected
    if empty > 0:  # linear counting under the precision's threshold, or while E <= 2.5 m
        linear = m * math.log(m / empty)
        if (p < 19 and linear <= _tables()["thresholds"][p - 4]) or raw <= 2.5 * m:
            result = linear
    return math.floor(result + 0.5)  # Java's Math.round


def _bias(raw: float, p: int) -> float:
    """The mean bias of the ``_K`` tabulated raw estimates nearest to ``raw``."""
    tables = _tables()
    estimates: list[float] = tables["raw_estimates"][p - 4]
    biases: list[float] = tables["biases"][p - 4]
    count = len(estimates)
    nearest = int(np.searchsorted(np.asarray(estimates), raw, side="left"))
    low = max(nearest - _K + 1, 0)
    high = min(low + _K, count)
    while high < count and (raw - estimates[high]) ** 2 < (raw - estimates[low]) ** 2:
        low += 1
        high += 1
    total = 0.0
    for i in range(low, high):
        total += biases[i]
    return total / (high - low)


@cache
def _tables() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((Path(__file__).parent / "hllpp_bias.json").read_text())
    return data


__all__ = ["DEFAULT_RSD", "code", "estimate", "precision"]
