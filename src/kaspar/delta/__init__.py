"""delta-spark's ``delta`` package on kaspar: ``DeltaTable`` over deltalake (delta-rs)."""

from kaspar.delta.pip_utils import configure_spark_with_delta_pip
from kaspar.delta.tables import DeltaMergeBuilder, DeltaOptimizeBuilder, DeltaTable

__all__ = [
    "DeltaMergeBuilder",
    "DeltaOptimizeBuilder",
    "DeltaTable",
    "configure_spark_with_delta_pip",
]
