"""Argument checks of DataFrame methods that have nothing else to do on one machine."""

from __future__ import annotations

from typing import Any

from kaspar.errors import PySparkTypeError, PySparkValueError


def check_partitions(num_partitions: Any) -> None:
    """PySpark's checks of ``repartitionById``'s ``numPartitions``: an int above zero."""
    if not isinstance(num_partitions, int):
        raise PySparkTypeError(
            f"Argument `numPartitions` should be int, got {type(num_partitions).__name__}.",
            "NOT_EXPECTED_TYPE",
        )
    if num_partitions <= 0:
        raise PySparkValueError(
            f"Argument `numPartitions` should be positive, got {num_partitions}.",
            "VALUE_NOT_POSITIVE",
        )


__all__ = ["check_partitions"]
