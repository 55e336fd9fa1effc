"""Registry properties by Confluent's names: applied, or refused naming the key."""

from __future__ import annotations

import pytest

from kaspar.registry import RegistryConfig, RegistryConfigError


def test_confluent_properties_apply() -> None:
    config = RegistryConfig().with_properties(
        {
            "kafkastore.topic": "_my_schemas",
            "schema.compatibility.level": "full_transitive",
            "listeners": "http://0.0.0.0:8085",
            "leader.eligibility": "false",
            "kafkastore.security.protocol": "PLAINTEXT",
        }
    )
    assert (config.topic, config.leader_topic) == ("_my_schemas", "_my_schemas_leader")
    assert config.compatibility_level == "FULL_TRANSITIVE"
    assert (config.listen_host, config.listen_port) == ("0.0.0.0", 8085)
    assert config.leader_eligibility is False
    assert config.client_config == {"security.protocol": "PLAINTEXT"}


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("no.such.key", "1", "accepted: avro.compatibility.level"),
        ("schema.compatibility.level", "sideways", "backward_transitive"),
        ("leader.eligibility", "maybe", "true or false"),
        ("kafkastore.timeout.ms", "-5", "at least 1"),
        ("listeners", "ftp://x:1", "http://HOST:PORT"),
    ],
)
def test_bad_properties_are_refused(key: str, value: str, says: str) -> None:
    with pytest.raises(RegistryConfigError, match=key.replace(".", r"\.")) as raised:
        RegistryConfig().with_properties({key: value})
    assert says in str(raised.value)
