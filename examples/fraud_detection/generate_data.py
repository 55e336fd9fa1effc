"""Write ``data/transactions.csv``: a deterministic, synthetic, labelled card-transaction stream.

    python examples/fraud_detection/generate_data.py     # rewrites the bundled file, same bytes

The pattern (what a model has to find; the README says the same):

* 300 cards over 30 days. Each card has its own usual amount (a median between about 5 and 300),
  3 usual merchant categories, and shops by day (hours 7-23, a few legitimate night purchases).
* Legitimate transactions: the card's usual amount times a log-normal factor, mostly in its usual
  categories; about 2% are a legitimate big purchase (4-10x the usual, travel or electronics).
* Fraud: a stolen card is used in a burst of 2-5 transactions minutes apart, in categories the
  card has never used (electronics, jewelry, gift cards, online gaming), for 3-12x the card's
  usual amount, mostly at night; a burst often starts with a tiny "card test" charge.

So no single amount threshold separates fraud: big spenders' normal purchases are above small
spenders' frauds. What does separate it is relative to the card: amount versus its usual, a new
category, the hour, rapid repeats.
"""

from __future__ import annotations

import csv
import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

PATH = Path(__file__).resolve().parent / "data" / "transactions.csv"
SEED = 20240610
CARDS = 300
DAYS = 30
START = datetime(2024, 6, 1, tzinfo=UTC)
EVERYDAY = ["grocery", "fuel", "restaurant", "pharmacy", "clothing", "transport", "utilities"]
BIG_TICKET = ["travel", "electronics"]
FRAUD_CATEGORIES = ["electronics", "jewelry", "gift_cards", "online_gaming"]
BURSTS = 70

Row = tuple[datetime, str, float, str, int]


def _card(rng: random.Random, card_id: str) -> dict[str, object]:
    return {
        "id": card_id,
        "median": math.exp(rng.gauss(math.log(40), 0.9)),
        "categories": rng.sample(EVERYDAY, 3),
        "per_day": rng.uniform(0.4, 1.8),
    }


def _legit(rng: random.Random, card: dict[str, object], day: datetime) -> Row:
    hour = 2 + rng.random() * 3 if rng.random() < 0.02 else rng.uniform(7, 23.9)
    when = day + timedelta(hours=hour)
    median = float(card["median"])  # type: ignore[arg-type]
    if rng.random() < 0.02:
        return (when, str(card["id"]), median * rng.uniform(4, 10), rng.choice(BIG_TICKET), 0)
    usual: list[str] = card["categories"]  # type: ignore[assignment]
    category = rng.choice(usual) if rng.random() < 0.92 else rng.choice(EVERYDAY)
    return (when, str(card["id"]), median * math.exp(rng.gauss(0, 0.45)), category, 0)


def _burst(rng: random.Random, card: dict[str, object]) -> list[Row]:
    day = START + timedelta(days=rng.randrange(3, DAYS))
    hour = rng.uniform(0, 5.5) if rng.random() < 0.7 else rng.uniform(9, 22)
    when = day + timedelta(hours=hour)
    median = float(card["median"])  # type: ignore[arg-type]
    rows: list[Row] = []
    if rng.random() < 0.4:  # the thief tests the card first
        rows.append((when, str(card["id"]), rng.uniform(0.5, 3), "online_gaming", 1))
    for _ in range(rng.randint(2, 4)):
        when += timedelta(seconds=rng.uniform(40, 600))
        amount = max(median * rng.uniform(3, 12), rng.uniform(40, 120))
        rows.append((when, str(card["id"]), amount, rng.choice(FRAUD_CATEGORIES), 1))
    return rows


def transactions(seed: int = SEED) -> list[Row]:
    """Every transaction, in time order."""
    rng = random.Random(seed)  # noqa: S311 (reproducible data, not secrets)
    cards = [_card(rng, f"card-{i:04d}") for i in range(CARDS)]
    rows: list[Row] = []
    for day_number in range(DAYS):
        day = START + timedelta(days=day_number)
        for card in cards:
            for _ in range(_poisson(rng, float(card["per_day"]))):  # type: ignore[arg-type]
                rows.append(_legit(rng, card, day))
    for card in rng.sample(cards, BURSTS):
        rows.extend(_burst(rng, card))
    rows.sort(key=lambda r: (r[0], r[1]))
    return rows


def _poisson(rng: random.Random, mean: float) -> int:
    count, threshold, product = 0, math.exp(-mean), rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count


def write(path: Path = PATH) -> int:
    rows = transactions()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["txn_id", "ts", "card_id", "amount", "merchant_category", "is_fraud"])
        for number, (when, card, amount, category, fraud) in enumerate(rows):
            stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
            writer.writerow([f"t{number:06d}", stamp, card, f"{amount:.2f}", category, fraud])
    return len(rows)


if __name__ == "__main__":
    count = write()
    print(f"wrote {count} transactions to {PATH}")
