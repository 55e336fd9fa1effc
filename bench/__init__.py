"""Benchmarks: kaspar against its peers, in one run. See bench/RESULTS.md."""
