"""Spark functions DuckDB has no identical version of, computed in Python over Arrow batches.

Each is a ``PythonUDF(..., arrow=True)`` body (``kaspar.engine.udf``) that follows the JVM code:
``soundex`` (``UTF8String.soundex``: byte-wise, non-letters reset the last code, H and W are
transparent), ``conv`` (``NumberConverter``: the longest valid prefix, unsigned 64-bit values,
a negative target base prints signed), Base32 (commons-codec: lenient decoding that skips
characters outside the alphabet), ``hmac`` (``javax.crypto.Mac``), ``crc32`` and
``jaro_winkler_similarity`` (over characters; DuckDB's counts bytes). ``kaspar.engine.builtins``
registers them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac as hmac_lib
import zlib
from collections.abc import Callable
from typing import Any

import pyarrow as pa

CONV_OVERFLOW = "\x00overflow"  # conv's marker for Spark's ARITHMETIC_OVERFLOW (see functions)
_MAPPING = "01230127022455012623017202"  # soundex codes of A..Z ('7': H and W)
_U64 = (1 << 64) - 1
_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
# Spark's algorithm names, with or without the hyphen (SHA-1, SHA1, SHA-256, SHA256, ...)
_HMAC = {"SHA1": "sha1", "SHA256": "sha256", "SHA384": "sha384", "SHA512": "sha512", "MD5": "md5"}


def _rows(*columns: pa.Array) -> list[tuple[Any, ...]]:
    return list(zip(*(c.to_pylist() for c in columns), strict=True))


def _soundex_one(text: str) -> str:
    data = text.encode()
    if not data:
        return ""
    first = data[0] - 32 if 97 <= data[0] <= 122 else data[0]
    if not 65 <= first <= 90:
        return text
    out = [chr(first)]
    last = _MAPPING[first - 65]
    for byte in data[1:]:
        upper = byte - 32 if 97 <= byte <= 122 else byte
        if not 65 <= upper <= 90:
            last = "0"
            continue
        code = _MAPPING[upper - 65]
        if code == "7":
            continue
        if code not in ("0", last):
            out.append(code)
            if len(out) > 3:
                break
        last = code
    return "".join(out).ljust(4, "0")


def soundex(column: pa.Array) -> pa.Array:
    return pa.array(
        [None if v is None else _soundex_one(v) for v in column.to_pylist()], pa.string()
    )


def crc32(column: pa.Array) -> pa.Array:
    values = [None if v is None else zlib.crc32(_to_bytes(v)) for v in column.to_pylist()]
    return pa.array(values, type=pa.int64())


def _conv_one(text: str, from_base: int, to_base: int) -> str | None:
    if not (2 <= from_base <= 36 and 2 <= abs(to_base) <= 36):
        return None
    text = text.strip(" ")
    if not text:
        return None
    negative = text.startswith("-")
    value = 0
    for c in text[1:] if negative else text:
        digit = _DIGITS.find(c.upper()) if c.isascii() else -1
        if not 0 <= digit < from_base:
            break
        value = value * from_base + digit
        if value > _U64:
            return CONV_OVERFLOW
    if negative and to_base > 0:
        value = _U64 if value >> 63 else (-value) & _U64
    if to_base < 0 and value >> 63:
        value, negative = (-value) & _U64, True
    digits = []
    base = abs(to_base)
    while True:
        value, digit = divmod(value, base)
        digits.append(_DIGITS[digit])
        if value == 0:
            break
    sign = "-" if negative and to_base < 0 else ""
    return sign + "".join(reversed(digits))


def conv(num: pa.Array, from_base: pa.Array, to_base: pa.Array) -> pa.Array:
    out = [
        None if None in (n, f, t) else _conv_one(str(n), int(f), int(t))
        for n, f, t in _rows(num, from_base, to_base)
    ]
    return pa.array(out, pa.string())


def _to_bytes(value: Any) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)


def to_base32(column: pa.Array) -> pa.Array:
    out = [
        None if v is None else base64.b32encode(_to_bytes(v)).decode() for v in column.to_pylist()
    ]
    return pa.array(out, pa.string())


def _from_base32_one(text: bytes) -> bytes:
    bits, acc, out = 0, 0, bytearray()
    for c in text.decode("latin-1").upper():
        if c == "=":
            break
        value = _BASE32.find(c)
        if value < 0:
            continue
        acc, bits = (acc << 5) | value, bits + 5
        if bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
    return bytes(out)


def from_base32(column: pa.Array) -> pa.Array:
    out = [None if v is None else _from_base32_one(_to_bytes(v)) for v in column.to_pylist()]
    return pa.array(out, pa.binary())


def hmac(key: pa.Array, message: pa.Array, algorithm: pa.Array) -> pa.Array:
    out: list[bytes | None] = []
    for k, m, a in _rows(key, message, algorithm):
        if None in (k, m, a):
            out.append(None)
            continue
        name = _HMAC.get(str(a).upper().replace("-", ""))
        if name is None:
            raise ValueError(f"[INVALID_PARAMETER_VALUE.HMAC_ALGORITHM] unsupported: {a}")
        out.append(hmac_lib.new(_to_bytes(k), _to_bytes(m), getattr(hashlib, name)).digest())
    return pa.array(out, pa.binary())


ArrowFunction = Callable[..., pa.Array]


def _jaro_winkler_one(left: str, right: str) -> float:
    """Jaro-Winkler over characters, as Spark computes it: the Winkler boost (scale 0.1, a common
    prefix of up to 4 characters) applies at any Jaro similarity (no 0.7 threshold)."""
    if left == right:
        return 1.0
    longer, shorter = (left, right) if len(left) >= len(right) else (right, left)
    window = max(len(longer) // 2 - 1, 0)
    taken = [False] * len(longer)
    matched_short: list[str] = []
    for i, c in enumerate(shorter):
        for j in range(max(0, i - window), min(len(longer), i + window + 1)):
            if not taken[j] and longer[j] == c:
                taken[j] = True
                matched_short.append(c)
                break
    m = len(matched_short)
    if m == 0:
        return 0.0
    matched_long = [c for c, t in zip(longer, taken, strict=True) if t]
    transpositions = sum(a != b for a, b in zip(matched_short, matched_long, strict=True)) // 2
    jaro = (m / len(left) + m / len(right) + (m - transpositions) / m) / 3
    prefix = 0
    for a, b in zip(left[:4], right[:4], strict=False):
        if a != b:
            break
        prefix += 1
    return jaro + 0.1 * prefix * (1 - jaro)


def jaro_winkler_similarity(left: pa.Array, right: pa.Array) -> pa.Array:
    out = [
        None if a is None or b is None else _jaro_winkler_one(a, b) for a, b in _rows(left, right)
    ]
    return pa.array(out, pa.float64())
