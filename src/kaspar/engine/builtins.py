"""Spark functions computed in Python over Arrow batches, registered once as built-in UDFs.

``BUILTINS`` maps each Spark name to the SQL function name its calls use (``kaspar.engine.udf``).
The ``functions`` facade builds calls from it, and so does the Spark SQL parser (``KasparSpark``,
for the names that need no wrapping: not ``conv`` and ``hmac``), so ``F.xxhash64("x")`` and
``expr("xxhash64(x)")`` run the same code.
"""

from __future__ import annotations

from kaspar.engine import arrow_builtins as B
from kaspar.engine import kafka_serde as KS
from kaspar.engine import types as T
from kaspar.engine.spark_hash import spark_hash
from kaspar.engine.spark_xxhash64 import spark_xxhash64
from kaspar.engine.udf import PythonUDF, register

_FUNCTIONS: tuple[tuple[str, B.ArrowFunction, T.DataType], ...] = (
    ("hash", spark_hash, T.IntegerType()),
    ("xxhash64", spark_xxhash64, T.LongType()),
    ("crc32", B.crc32, T.LongType()),
    ("soundex", B.soundex, T.StringType()),
    ("conv", B.conv, T.StringType()),
    ("to_base32", B.to_base32, T.StringType()),
    ("from_base32", B.from_base32, T.BinaryType()),
    ("hmac", B.hmac, T.BinaryType()),
    ("jaro_winkler_similarity", B.jaro_winkler_similarity, T.DoubleType()),
    # Kafka's primitive serializers (ksqlDB's KAFKA format); not Spark functions
    ("kafka_int_bytes", KS.encode_int32, T.BinaryType()),
    ("kafka_bigint_bytes", KS.encode_int64, T.BinaryType()),
    ("kafka_double_bytes", KS.encode_float64, T.BinaryType()),
    ("kafka_bytes_int", KS.decode_int32, T.IntegerType()),
    ("kafka_bytes_bigint", KS.decode_int64, T.LongType()),
    ("kafka_bytes_double", KS.decode_float64, T.DoubleType()),
)

BUILTINS: dict[str, str] = {
    name: register(PythonUDF(func, rtype, name=name, arrow=True))
    for name, func, rtype in _FUNCTIONS
}
