"""Helpers for testing pipelines built on kaspar."""

from kaspar.testing.postgres import PostgresServer, postgres_bin_dir, running_postgres

__all__ = ["PostgresServer", "postgres_bin_dir", "running_postgres"]
