"""Broker-side state machines: producer ids and per-partition producer state."""
