"""The seed's producer and consumer with kafka-python instead of confluent-kafka.

The producer reports each delivery through the future `send` returns; the consumer, in group
`order-auditor`, reads `orders` from the earliest offset and stops after 5 idle seconds.
"""

from kafka import KafkaConsumer, KafkaProducer

# Producer
producer = KafkaProducer(bootstrap_servers="localhost:9092")


def on_success(metadata):
    print(f"Delivered to {metadata.topic} [{metadata.partition}] at offset {metadata.offset}")


def on_error(err):
    print(f"Delivery failed: {err}")


producer.send("orders", key=b"order-99", value=b'{"item":"Gadget","qty":1}').add_callback(
    on_success
).add_errback(on_error)
producer.flush()  # block until all messages are sent

# Consumer
consumer = KafkaConsumer(
    "orders",
    bootstrap_servers="localhost:9092",
    group_id="order-auditor",
    auto_offset_reset="earliest",
    consumer_timeout_ms=5000,
)
try:
    for msg in consumer:
        print(f"Received: {msg.value.decode()} from partition {msg.partition}")
finally:
    consumer.close()
