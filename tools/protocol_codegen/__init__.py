"""Generate kaspar.protocol message classes from the upstream Kafka JSON specs."""
