"""SIGINT and SIGTERM, the signals that stop a long-running command (`kaspar up`, `kaspar demo`)."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
STOP_TIMEOUT_S = 10.0  # how long a stopping service may take before the command exits anyway

SignalHandler = Callable[[int, FrameType | None], None]


class StopRequest:
    """Set by a signal handler, waited for by the main thread.

    Not a ``threading.Event``: a handler runs in the main thread between two bytecodes, so one
    that calls ``Event.set`` while the main thread is inside ``Event.wait`` (holding the event's
    lock) waits for that lock forever, and the process never stops (CI caught `kaspar registry`
    so). Setting a flag is safe; ``wait`` sleeps in short slices and looks at it.
    """

    _SLICE_S = 0.05

    def __init__(self) -> None:
        self._requested = False

    def set(self) -> None:
        self._requested = True

    def is_set(self) -> bool:
        return self._requested

    def wait(self, timeout: float | None = None) -> bool:
        """True once set; False if ``timeout`` seconds pass first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._requested:
            left = self._SLICE_S if deadline is None else deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(self._SLICE_S, left))
        return True


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
    stop = StopRequest()

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
