"""Seed 001's producer, as the seed writes it (confluent-kafka, a delivery report per message)."""

from confluent_kafka import Producer

# Producer
producer = Producer({"bootstrap.servers": "localhost:9092"})


def delivery_report(err, msg):
    if err:
        print(f"Delivery failed: {err}")
    else:
        print(f"Delivered to {msg.topic()} [{msg.partition()}] at offset {msg.offset()}")


producer.produce(
    "orders", key="order-1", value='{"item":"Widget","qty":3}', callback=delivery_report
)
producer.flush()  # block until all messages are sent
