"""Spark's seeded randomness and partition-dependent values (docs/partitions.md)."""
