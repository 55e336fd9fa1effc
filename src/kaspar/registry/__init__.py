"""A Confluent-compatible schema registry: its state in the `_schemas` topic of any Kafka
cluster, its REST surface on Starlette (docs/registry.md)."""

from kaspar.registry.config import RegistryConfig, RegistryConfigError
from kaspar.registry.server import SchemaRegistryServer

__all__ = ["RegistryConfig", "RegistryConfigError", "SchemaRegistryServer"]
