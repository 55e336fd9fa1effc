from __future__ import annotations

import pytest

from kaspar.engine.streaming.trigger import Trigger, make_trigger, parse_interval_ms
from kaspar.errors import IllegalArgumentException, PySparkValueError


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("10 seconds", 10_000),
        ("1 second", 1000),
        ("500 milliseconds", 500),
        ("250 ms", 250),
        ("2 minutes", 120_000),
        ("interval 1 hour", 3_600_000),
        ("0 seconds", 0),
    ],
)
def test_intervals(text: str, ms: int) -> None:
    assert parse_interval_ms(text) == ms


def test_bad_interval() -> None:
    with pytest.raises(IllegalArgumentException, match="Invalid interval"):
        parse_interval_ms("soon")


def test_kinds() -> None:
    assert make_trigger(processing_time="5 seconds") == Trigger("processingTime", 5000)
    assert make_trigger(once=True) == Trigger("once")
    assert make_trigger(available_now=True).stops_when_caught_up
    assert not make_trigger(once=True).respects_read_limits


def test_exactly_one_trigger() -> None:
    with pytest.raises(PySparkValueError, match="ONLY_ALLOW_SINGLE_TRIGGER"):
        make_trigger(once=True, available_now=True)
    with pytest.raises(PySparkValueError, match="ONLY_ALLOW_SINGLE_TRIGGER"):
        make_trigger()


def test_low_latency_triggers_take_the_checkpoint_interval() -> None:
    assert make_trigger(continuous="1 second") == Trigger("continuous", 1000)
    assert make_trigger(real_time="5 seconds") == Trigger("realTime", 5000)
    assert make_trigger(real_time="5 seconds").is_low_latency
    with pytest.raises(PySparkValueError, match="ONLY_ALLOW_SINGLE_TRIGGER"):
        make_trigger(real_time="5 seconds", continuous="1 second")
