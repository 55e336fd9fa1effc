"""kaspar: Kafka and Spark in one pip install."""

from kaspar.activation import activate

__version__ = "0.1.0"

__all__ = ["__version__", "activate"]
