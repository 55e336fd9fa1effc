"""The Kafka wire protocol: generated messages, the codec, framing, error codes and record batches.

This package imports nothing else of kaspar.
"""
