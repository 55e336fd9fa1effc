"""ksqlDB's statements and REST API on kaspar's Structured Streaming engine (docs/ksql.md)."""

from kaspar.ksql.config import KsqlConfig, KsqlConfigError
from kaspar.ksql.engine import KsqlEngine
from kaspar.ksql.errors import KsqlError
from kaspar.ksql.parser import parse
from kaspar.ksql.server import KsqlServer

__all__ = ["KsqlConfig", "KsqlConfigError", "KsqlEngine", "KsqlError", "KsqlServer", "parse"]
