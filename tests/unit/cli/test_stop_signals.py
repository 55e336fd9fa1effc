"""A stop requested by a signal while the main thread waits for it: never a deadlock."""

from __future__ import annotations

import os
import signal
import threading
import time
from types import FrameType

from kaspar.cli.stop_signals import StopRequest, handling_stop_signals


def test_wait_times_out_then_sees_a_set() -> None:
    request = StopRequest()
    started = time.monotonic()
    assert request.wait(0.1) is False
    assert 0.09 <= time.monotonic() - started < 1
    request.set()
    assert request.is_set() and request.wait(5) is True


def test_signals_arriving_during_wait_stop_it() -> None:
    """SIGTERMs sent every millisecond while the main thread waits in short slices (where a
    threading.Event deadlocked when the handler ran inside its wait)."""
    for _ in range(20):
        request = StopRequest()

        def handler(signum: int, _frame: FrameType | None, request: StopRequest = request) -> None:
            request.set()

        def send() -> None:
            for _ in range(5):
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.001)

        with handling_stop_signals(handler):
            sender = threading.Thread(target=send)
            sender.start()
            started = time.monotonic()
            while not request.wait(0.0005):
                assert time.monotonic() - started < 5, "the stop request was never seen"
            sender.join()
