"""The kaspar broker: a single-node, Kafka-wire-compatible broker with durable logs."""

from kaspar.broker.broker import Broker
from kaspar.broker.broker_config import BrokerConfig, BrokerConfigError
from kaspar.broker.server import DataDirLockedError

__all__ = ["Broker", "BrokerConfig", "BrokerConfigError", "DataDirLockedError"]
