"""``aes_encrypt``, ``aes_decrypt`` and ``try_aes_decrypt``: Spark's AES (GCM by default, CBC
and ECB), computed over Arrow batches by ``kaspar.engine.aes`` inside the query."""

from __future__ import annotations

from sqlglot import exp

from kaspar.engine import aes as A
from kaspar.engine import types as T
from kaspar.engine.udf import PythonUDF, register
from kaspar.sql.column import Column, literal, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node

_ENCRYPT = register(PythonUDF(A.aes_encrypt, T.BinaryType(), name="aes_encrypt", arrow=True))
_DECRYPT = register(PythonUDF(A.aes_decrypt, T.BinaryType(), name="aes_decrypt", arrow=True))


def _arguments(
    input: ColumnOrName, key: ColumnOrName, mode: ColumnOrName | None, padding: ColumnOrName | None
) -> list[exp.Expr]:
    """The input, the key, and the mode and padding (GCM and DEFAULT when not given)."""
    return [to_expr(input), to_expr(key), _argument(mode, "GCM"), _argument(padding, "DEFAULT")]


def _argument(value: ColumnOrName | None, default: str) -> exp.Expr:
    return literal(default) if value is None else to_expr(value)


def aes_encrypt(  # noqa: PLR0917 (PySpark's signature)
    input: ColumnOrName,
    key: ColumnOrName,
    mode: ColumnOrName | None = None,
    padding: ColumnOrName | None = None,
    iv: ColumnOrName | None = None,
    aad: ColumnOrName | None = None,
) -> Column:
    """``input`` encrypted with ``key`` (GCM with a random IV unless told otherwise)."""
    args = [*_arguments(input, key, mode, padding), _argument(iv, ""), _argument(aad, "")]
    call = exp.Anonymous(this=_ENCRYPT, expressions=[a.copy() for a in args])
    return node(call, f"aes_encrypt({names(*args)})")


def _decrypt(  # noqa: PLR0917 (PySpark's signature)
    function: str,
    input: ColumnOrName,
    key: ColumnOrName,
    mode: ColumnOrName | None,
    padding: ColumnOrName | None,
    aad: ColumnOrName | None,
) -> Column:
    args = [*_arguments(input, key, mode, padding), _argument(aad, "")]
    quiet = exp.Boolean(this=function == "try_aes_decrypt")
    call = exp.Anonymous(this=_DECRYPT, expressions=[*(a.copy() for a in args), quiet])
    return node(call, f"{function}({names(*args)})")


def aes_decrypt(
    input: ColumnOrName,
    key: ColumnOrName,
    mode: ColumnOrName | None = None,
    padding: ColumnOrName | None = None,
    aad: ColumnOrName | None = None,
) -> Column:
    """``input`` (as ``aes_encrypt`` wrote it) decrypted with ``key``; Spark's
    ``AES_CRYPTO_ERROR`` when it does not decrypt."""
    return _decrypt("aes_decrypt", input, key, mode, padding, aad)


def try_aes_decrypt(
    input: ColumnOrName,
    key: ColumnOrName,
    mode: ColumnOrName | None = None,
    padding: ColumnOrName | None = None,
    aad: ColumnOrName | None = None,
) -> Column:
    """``aes_decrypt`` that gives NULL for a value that does not decrypt."""
    return _decrypt("try_aes_decrypt", input, key, mode, padding, aad)


__all__ = ["aes_decrypt", "aes_encrypt", "try_aes_decrypt"]
