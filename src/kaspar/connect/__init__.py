"""Kafka Connect in Python: a worker with Connect's REST API, its state in Connect's topics,
a plugin API for connectors, and a Debezium-compatible PostgreSQL source (docs/connect.md)."""

from kaspar.connect.config import WorkerConfig, WorkerConfigError
from kaspar.connect.server import ConnectWorker

__all__ = ["ConnectWorker", "WorkerConfig", "WorkerConfigError"]
