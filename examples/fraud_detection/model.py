"""The online part of the fraud pipeline: per-card history, the features it gives, a river model.

Both are state kept between micro-batches (by the ``foreachBatch`` function of ``main.py``).
``FraudDetector.process`` is prequential: each transaction is scored first, with what the model
knew before it, and only then learnt from (its label) and added to its card's history.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from river import compose, linear_model, metrics, optim, preprocessing

RAPID_S = 900.0  # transactions on one card closer than this count as rapid repeats
FLAG_AT = 0.5


@dataclass
class CardHistory:
    """What one card did before: how much it usually spends, where, and when it last did."""

    count: int = 0
    mean_log_amount: float = 0.0
    categories: set[str] = field(default_factory=set)
    recent: deque[float] = field(default_factory=lambda: deque(maxlen=8))

    def features(self, ts: float, log_amount: float, category: str) -> dict[str, float]:
        """The transaction relative to the card's history (before it is added)."""
        since_last = ts - self.recent[-1] if self.recent else 86_400.0
        return {
            "amount_vs_usual": log_amount - self.mean_log_amount if self.count else 0.0,
            "new_category": float(self.count > 0 and category not in self.categories),
            "history": math.log1p(self.count),
            "log_since_last": math.log1p(max(since_last, 0.0)),
            "rapid_repeats": float(sum(1 for t in self.recent if ts - t < RAPID_S)),
        }

    def add(self, ts: float, log_amount: float, category: str) -> None:
        self.count += 1
        weight = 1.0 / min(self.count, 20)  # a running mean that keeps adapting
        self.mean_log_amount += weight * (log_amount - self.mean_log_amount)
        self.categories.add(category)
        self.recent.append(ts)


NUMERIC = (
    "amount_vs_usual",
    "new_category",
    "history",
    "log_since_last",
    "rapid_repeats",
    "log_amount",
    "is_night",
)


def new_model() -> compose.Pipeline:
    """Standardised numbers and a one-hot merchant category into a logistic regression, all
    learnt one transaction at a time."""
    numeric = compose.Select(*NUMERIC) | preprocessing.StandardScaler()
    category = compose.Select("merchant_category") | preprocessing.OneHotEncoder()
    return (numeric + category) | linear_model.LogisticRegression(optimizer=optim.SGD(0.05))


@dataclass
class Scores:
    """Prequential precision, recall and F1 of one detector (river's metrics)."""

    precision: metrics.Precision = field(default_factory=metrics.Precision)
    recall: metrics.Recall = field(default_factory=metrics.Recall)
    f1: metrics.F1 = field(default_factory=metrics.F1)

    def update(self, label: bool, flagged: bool) -> None:
        for metric in (self.precision, self.recall, self.f1):
            metric.update(label, flagged)

    def values(self) -> tuple[float, float, float]:
        return self.precision.get(), self.recall.get(), self.f1.get()


@dataclass
class FraudDetector:
    """Per-card histories, the online model and the running scores of model and rule."""

    model: compose.Pipeline = field(default_factory=new_model)
    cards: dict[str, CardHistory] = field(default_factory=dict)
    model_scores: Scores = field(default_factory=Scores)
    rule_scores: Scores = field(default_factory=Scores)
    seen: int = 0

    def process(self, transactions: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Score, then learn, each transaction in order; return the flagged ones with their
        fraud probability. Each needs ``card_id, epoch_s, log_amount, merchant_category,
        is_night, is_fraud, rule_flag``."""
        flagged = []
        for txn in transactions:
            card = self.cards.setdefault(txn["card_id"], CardHistory())
            ts, log_amount, category = txn["epoch_s"], txn["log_amount"], txn["merchant_category"]
            x = card.features(ts, log_amount, category)
            x["log_amount"] = log_amount
            x["is_night"] = float(txn["is_night"])
            x["merchant_category"] = category
            probability = self.model.predict_proba_one(x).get(True, 0.0)
            label = bool(txn["is_fraud"])
            self.model_scores.update(label, probability >= FLAG_AT)
            self.rule_scores.update(label, bool(txn["rule_flag"]))
            if probability >= FLAG_AT:
                flagged.append({**txn, "fraud_probability": round(probability, 4)})
            self.model.learn_one(x, label)  # the label, only after the transaction was scored
            card.add(ts, log_amount, category)
            self.seen += 1
        return flagged
