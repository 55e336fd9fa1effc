"""SIGINT and SIGTERM, the signals that stop a long-running command (`kaspar up`, `kaspar demo`)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
STOP_TIMEOUT_S = 10.0  # how long a stopping service may take before the command exits anyway

SignalHandler = Callable[[int, FrameType | None], None]


@contextlib.contextmanager
def handling_stop_signals(handler: SignalHandler) -> Iterator[None]:
    """`handler` takes SIGINT and SIGTERM while the block runs; the old handlers come back."""
    previous = {signum: signal.signal(signum, handler) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def wait_for_stop_signal(announce: Callable[[], None]) -> None:
    """Block until SIGINT or SIGTERM; ``announce`` runs once the handlers are in place (a
    supervisor that signals as soon as it reads the announcement is never missed)."""
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    with handling_stop_signals(request_stop):
        announce()
        while not stop.wait(0.2):
            pass


def stop_within(stop: Callable[[], None], seconds: float) -> bool:
    """Run ``stop`` (a service's clean stop) for at most ``seconds``; False if it is still
    running then (the process exits anyway: a command stopped by a signal must not hang)."""
    worker = threading.Thread(target=stop, name="kaspar-stop", daemon=True)
    worker.start()
    worker.join(seconds)
    return not worker.is_alive()
