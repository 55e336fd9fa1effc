"""Spark's ``aes_encrypt`` / ``aes_decrypt`` over Arrow batches (``cryptography``'s AES).

Spark's formats (``ExpressionImplUtils``): GCM (the default; no padding) writes the 12-byte IV,
the ciphertext and the 16-byte tag, with optional AAD; CBC (PKCS#7 padding) writes the 16-byte
IV and the ciphertext; ECB (PKCS#7) writes the ciphertext only. An empty IV means a random one.
Keys are 16, 24 or 32 bytes. A mode, padding, IV or AAD Spark does not take raises Spark's error
class in the message (``kaspar.engine.error_translation`` maps it back); so does a value that
does not decrypt, unless the call is ``try_aes_decrypt``, which gives NULL instead.

Batches: the rows of one key, mode and padding share one cipher setup; ECB encrypts all of
them in one call (the padded messages concatenated), GCM and CBC one call per row (each row
has its own IV).
"""

from __future__ import annotations

import functools
import os
from collections import defaultdict
from typing import Any

import pyarrow as pa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_PADDINGS = {"GCM": ("NONE", "DEFAULT"), "CBC": ("PKCS", "DEFAULT"), "ECB": ("PKCS", "DEFAULT")}
_IV_LENGTHS = {"GCM": 12, "CBC": 16}
_KEY_LENGTHS = (16, 24, 32)


class AesError(ValueError):
    """A Spark error of the AES functions (its class leads the message)."""


def _rows(*columns: pa.Array) -> list[tuple[Any, ...]]:
    return list(zip(*(c.to_pylist() for c in columns), strict=True))


def _binary(column: pa.Array) -> pa.Array:
    """A string column as its UTF-8 bytes (Arrow's cast, not one ``encode`` per value)."""
    return column.cast(pa.binary()) if pa.types.is_string(column.type) else column


@functools.cache
def _checked_mode(mode: str, padding: str, iv_length: int, aad: bool, function: str) -> str:
    """The upper-case mode, after Spark's checks of the mode, padding, IV and AAD."""
    upper, pad = mode.upper(), padding.upper()
    if pad not in _PADDINGS.get(upper, ()):
        raise AesError(
            f"[UNSUPPORTED_FEATURE.AES_MODE] The feature is not supported: AES-{mode} with the "
            f"padding {padding} by the `aes_encrypt`/`aes_decrypt` function."
        )
    if iv_length and upper == "ECB":
        raise AesError(
            "[UNSUPPORTED_FEATURE.AES_MODE_IV] The feature is not supported: "
            f"`{function}` with AES-{mode} does not support initialization vectors (IVs)."
        )
    if iv_length and iv_length != _IV_LENGTHS[upper]:
        raise AesError(
            "[INVALID_PARAMETER_VALUE.AES_IV_LENGTH] The value of parameter(s) `iv` in "
            "`aes_encrypt`/`aes_decrypt` is invalid: supports 16-byte CBC IVs and 12-byte GCM "
            f"IVs, but got {iv_length} bytes for {mode}."
        )
    if aad and upper != "GCM":
        raise AesError(
            "[UNSUPPORTED_FEATURE.AES_MODE_AAD] The feature is not supported: "
            f"`{function}` with AES-{mode} does not support additional authenticate data (AAD)."
        )
    return upper


def _checked_key(key: bytes) -> bytes:
    if len(key) not in _KEY_LENGTHS:
        raise AesError(
            "[INVALID_PARAMETER_VALUE.AES_KEY_LENGTH] The value of parameter(s) `key` in "
            "`aes_encrypt`/`aes_decrypt` is invalid: expects a binary value with 16, 24 or 32 "
            f"bytes, but got {len(key)} bytes."
        )
    return key


def _pkcs7(data: bytes) -> bytes:
    padder = sym_padding.PKCS7(128).padder()
    return padder.update(data) + padder.finalize()


def _unpad(data: bytes) -> bytes:
    unpadder = sym_padding.PKCS7(128).unpadder()
    return unpadder.update(data) + unpadder.finalize()


def _encrypt_one(  # noqa: PLR0917 (one row's parts)
    key: bytes, mode: str, data: bytes, iv: bytes, aad: bytes, random: bytes
) -> bytes:
    """One row (``random``: 16 fresh bytes, the IV when none is given)."""
    if mode == "GCM":
        nonce = iv or random[:12]
        return nonce + _gcm(key).encrypt(nonce, data, aad or None)
    vector = iv or random
    encryptor = Cipher(algorithms.AES(key), modes.CBC(vector)).encryptor()
    return vector + encryptor.update(_pkcs7(data)) + encryptor.finalize()


@functools.lru_cache(maxsize=64)
def _gcm(key: bytes) -> AESGCM:
    return AESGCM(key)


def _ecb_encrypt_all(key: bytes, messages: list[bytes]) -> list[bytes]:
    """Every message at once: PKCS#7 pads each to whole blocks, so the blocks stay apart."""
    padded = [_pkcs7(m) for m in messages]
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305 (Spark's ECB)
    joined = encryptor.update(b"".join(padded)) + encryptor.finalize()
    out, start = [], 0
    for block in padded:
        out.append(joined[start : start + len(block)])
        start += len(block)
    return out


def _decrypt_one(key: bytes, mode: str, data: bytes, aad: bytes) -> bytes:
    if mode == "GCM":
        return _gcm(key).decrypt(data[:12], data[12:], aad or None)
    if mode == "CBC":
        decryptor = Cipher(algorithms.AES(key), modes.CBC(data[:16])).decryptor()
        return _unpad(decryptor.update(data[16:]) + decryptor.finalize())
    decryptor = Cipher(algorithms.AES(key), modes.ECB()).decryptor()  # noqa: S305
    return _unpad(decryptor.update(data) + decryptor.finalize())


def aes_encrypt(  # noqa: PLR0917 (Spark's arguments, one Arrow array each)
    data: pa.Array, key: pa.Array, mode: pa.Array, padding: pa.Array, iv: pa.Array, aad: pa.Array
) -> pa.Array:
    """``aes_encrypt(input, key, mode, padding, iv, aad)`` of a batch."""
    rows = _rows(_binary(data), _binary(key), mode, padding, _binary(iv), _binary(aad))
    out: list[bytes | None] = [None] * len(rows)
    ecb: dict[bytes, list[int]] = defaultdict(list)
    randoms = os.urandom(16 * len(rows))  # one call for the batch's IVs
    for i, (value, raw_key, name, pad, raw_iv, extra) in enumerate(rows):
        if None in (value, raw_key, name, pad):
            continue
        iv_bytes, aad_bytes = raw_iv or b"", extra or b""
        upper = _checked_mode(name, pad, len(iv_bytes), bool(aad_bytes), "aes_encrypt")
        secret = _checked_key(raw_key)
        if upper == "ECB":
            ecb[secret].append(i)
        else:
            random = randoms[16 * i : 16 * i + 16]
            out[i] = _encrypt_one(secret, upper, value, iv_bytes, aad_bytes, random)
    for secret, indexes in ecb.items():
        for i, sealed in zip(
            indexes, _ecb_encrypt_all(secret, [rows[i][0] for i in indexes]), strict=True
        ):
            out[i] = sealed
    return pa.array(out, pa.binary())


def aes_decrypt(  # noqa: PLR0917 (Spark's arguments, one Arrow array each)
    data: pa.Array, key: pa.Array, mode: pa.Array, padding: pa.Array, aad: pa.Array, tried: pa.Array
) -> pa.Array:
    """``aes_decrypt(input, key, mode, padding, aad, try)`` of a batch (``try``: NULL for a
    value that does not decrypt, or any other error)."""
    rows = _rows(_binary(data), _binary(key), mode, padding, _binary(aad), tried)
    out: list[bytes | None] = []
    for value, secret, name, pad, extra, quiet in rows:
        if None in (value, secret, name, pad):
            out.append(None)
            continue
        try:
            out.append(_decrypted(value, secret, name, pad, extra or b""))
        except AesError:
            if not quiet:
                raise
            out.append(None)
    return pa.array(out, pa.binary())


def _decrypted(data: bytes, key: bytes, mode: str, padding: str, aad: bytes) -> bytes:
    upper = _checked_mode(mode, padding, 0, bool(aad), "aes_decrypt")
    secret = _checked_key(key)
    try:
        return _decrypt_one(secret, upper, data, aad)
    except (InvalidTag, ValueError) as e:
        detail = "Tag mismatch!" if isinstance(e, InvalidTag) else str(e)
        raise AesError(
            "[INVALID_PARAMETER_VALUE.AES_CRYPTO_ERROR] The value of parameter(s) `expr`, `key` "
            f"in `aes_encrypt`/`aes_decrypt` is invalid: detail message: {detail}"
        ) from e


__all__ = ["AesError", "aes_decrypt", "aes_encrypt"]
