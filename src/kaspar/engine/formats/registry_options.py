"""The options that name a schema registry, as Databricks' ``from_avro`` / ``to_avro`` /
``from_protobuf`` and Confluent's clients spell them.

* registry: ``schema.registry.address`` (Databricks), ``schemaRegistryAddress`` (Databricks'
  Scala parameter), ``schema.registry.url`` (Confluent's serializers, ksqlDB);
* subject: ``schema.registry.subject`` (Databricks), ``subject``;
* basic auth: ``confluent.schema.registry.basic.auth.user.info`` (``user:password``, Databricks)
  or ``basic.auth.user.info`` (Confluent's clients).

Option names are matched case-insensitively, as Spark matches data source options.
"""

from __future__ import annotations

from dataclasses import dataclass

from kaspar.engine.formats.registry_client import RegistryClient, registry_client

ADDRESS_OPTIONS = ("schema.registry.address", "schemaregistryaddress", "schema.registry.url")
SUBJECT_OPTIONS = ("schema.registry.subject", "subject")
_AUTH_OPTIONS = ("confluent.schema.registry.basic.auth.user.info", "basic.auth.user.info")


@dataclass(frozen=True)
class RegistryOptions:
    """Where the registry is, and the subject a reader or writer schema is under."""

    address: str
    subject: str | None = None
    auth: tuple[str, str] | None = None

    def client(self) -> RegistryClient:
        return registry_client(self.address, self.auth)


def _first(options: dict[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        if options.get(name):
            return options[name]
    return None


def registry_options(options: dict[str, str] | None) -> RegistryOptions | None:
    """The registry the options name, or None (then values are not framed)."""
    lowered = {k.lower(): v for k, v in (options or {}).items()}
    address = _first(lowered, ADDRESS_OPTIONS)
    if address is None:
        return None
    info = _first(lowered, _AUTH_OPTIONS)
    auth = None
    if info is not None:
        user, _, password = info.partition(":")
        auth = (user, password)
    return RegistryOptions(address, _first(lowered, SUBJECT_OPTIONS), auth)
