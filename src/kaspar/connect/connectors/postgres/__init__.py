"""Debezium-compatible change data capture from PostgreSQL (pgoutput logical replication)."""

from kaspar.connect.connectors.postgres.task import PostgresConnector, PostgresSourceTask

__all__ = ["PostgresConnector", "PostgresSourceTask"]
