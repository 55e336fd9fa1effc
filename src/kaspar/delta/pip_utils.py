"""``configure_spark_with_delta_pip``: delta-spark's session set-up, a no-op on kaspar."""

from __future__ import annotations

from typing import TypeVar

BuilderT = TypeVar("BuilderT")


def configure_spark_with_delta_pip(
    spark_session_builder: BuilderT, extra_packages: list[str] | None = None
) -> BuilderT:
    """Return the builder unchanged: kaspar reads and writes Delta without JVM packages."""
    return spark_session_builder
