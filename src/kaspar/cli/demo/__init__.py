"""`kaspar demo`: the platform and three seed pipelines, live in the terminal."""

from kaspar.cli.demo.command import demo
from kaspar.cli.demo.events import order_events

__all__ = ["demo", "order_events"]
