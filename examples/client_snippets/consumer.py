"""Seed 001's consumer, as the seed writes it (confluent-kafka, consumer group `order-processor`).

It runs until interrupted (Ctrl-C); `finally` closes the consumer, which leaves the group.
"""

from confluent_kafka import Consumer

# Consumer
consumer = Consumer(
    {
        "bootstrap.servers": "localhost:9092",
        "group.id": "order-processor",
        "auto.offset.reset": "earliest",
    }
)
consumer.subscribe(["orders"])
try:
    while True:
        msg = consumer.poll(timeout=1.0)
        if msg is None:
            continue
        if msg.error():
            print(f"Error: {msg.error()}")
        else:
            print(f"Received: {msg.value().decode()} from partition {msg.partition()}")
finally:
    consumer.close()
