"""Spark's sketch functions (HLL, Theta, KLL, count-min, numeric histogram) over Arrow batches."""

from kaspar.engine.sketches.registered import SKETCH_FUNCTIONS

__all__ = ["SKETCH_FUNCTIONS"]
