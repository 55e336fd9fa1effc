"""Differential fixtures: every conformance test runs once against kaspar and once against tansu.

Where the peer (tansu) itself lacks a feature, say so on the test; only the tansu run is affected:

    @pytest.mark.xfail_peer("tansu 0.6 does not enforce max.message.bytes")   # strict xfail
    @pytest.mark.skip_peer("tansu 0.6 crashes on ...")

(The markers avoid the word "tansu" so that `-k tansu` selects only the tansu runs.)
"""

from __future__ import annotations

from typing import Any

import pytest

BROKERS = [
    pytest.param("kaspar", id="kaspar"),
    pytest.param("tansu", id="tansu", marks=pytest.mark.tansu),
]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "xfail_peer(reason): strict xfail for the tansu (peer) run only"
    )
    config.addinivalue_line("markers", "skip_peer(reason): skip the tansu (peer) run only")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None or callspec.params.get("broker") != "tansu":
            continue
        if (marker := item.get_closest_marker("xfail_peer")) is not None:
            item.add_marker(pytest.mark.xfail(reason=f"tansu: {marker.args[0]}", strict=True))
        if (marker := item.get_closest_marker("skip_peer")) is not None:
            item.add_marker(pytest.mark.skip(reason=f"tansu: {marker.args[0]}"))


@pytest.fixture(params=BROKERS)
def broker(request: pytest.FixtureRequest) -> Any:
    """The broker under test: `kaspar_broker` or `tansu_broker`."""
    return request.getfixturevalue(f"{request.param}_broker")
