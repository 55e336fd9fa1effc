"""delta-spark's ``delta`` package on kaspar: ``DeltaTable`` over deltalake (delta-rs)."""

from kaspar.delta.cdc import apply_debezium_changes, debezium_envelope, parse_debezium
from kaspar.delta.pip_utils import configure_spark_with_delta_pip
from kaspar.delta.tables import DeltaMergeBuilder, DeltaOptimizeBuilder, DeltaTable

__all__ = [
    "DeltaMergeBuilder",
    "DeltaOptimizeBuilder",
    "DeltaTable",
    "apply_debezium_changes",
    "configure_spark_with_delta_pip",
    "debezium_envelope",
    "parse_debezium",
]
