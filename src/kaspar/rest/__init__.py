"""REST Proxy: Confluent's REST Proxy API v2 and v3 over any Kafka (docs/rest-proxy.md)."""

from kaspar.rest.app import create_app
from kaspar.rest.config import RestConfigError, RestProxyConfig

__all__ = ["RestConfigError", "RestProxyConfig", "create_app"]
