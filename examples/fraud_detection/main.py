"""Fraud detection with online learning (seed 002): transactions -> features -> river -> alerts.

    python examples/fraud_detection/main.py [--bootstrap-servers host:port] [--data-dir DIR]
        [--batch-size N]

1. Produce the bundled labelled transactions (``data/transactions.csv``, made by
   ``generate_data.py``) to the topic ``transactions``, keyed by card.
2. A streaming query reads them, ``batch-size`` offsets per micro-batch (``availableNow``: it
   stops once the topic is consumed), parses the JSON and adds the stateless features in Spark
   SQL: the epoch, ``log1p(amount)``, night time, and the fixed rule ``amount > 300``.
3. Its ``foreachBatch`` function (``model.FraudDetector``) adds the per-card features (amount
   against the card's usual, a merchant category new to the card, rapid repeats) and, one
   transaction at a time in time order, scores it with a river model *before* learning from its
   label (prequential evaluation), and keeps precision and recall of model and rule.
4. Each batch's flagged transactions go to the topic ``fraud-alerts``
   (``df.write.format("kafka")``), and a line of the report is printed: precision, recall and F1
   so far, of the model and of the rule, on the same transactions.

The pipeline is PySpark's API: with ``from pyspark.sql import ...`` it runs on Apache Spark.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `examples` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from examples._platform import add_platform_arguments, create_topics, kafka_platform, produce
from examples.fraud_detection.model import FraudDetector
from kaspar.sql import DataFrame, SparkSession
from kaspar.sql import functions as F

DATA = Path(__file__).resolve().parent / "data" / "transactions.csv"
TRANSACTIONS_TOPIC = "transactions"
ALERTS_TOPIC = "fraud-alerts"
RULE_AMOUNT = 300.0
TRANSACTION_SCHEMA = (
    "txn_id string, ts timestamp, card_id string, amount double, merchant_category string, "
    "is_fraud int"
)
ALERT_SCHEMA = (
    "txn_id string, ts timestamp, card_id string, amount double, merchant_category string, "
    "fraud_probability double"
)
ALERT_COLUMNS = ["txn_id", "ts", "card_id", "amount", "merchant_category", "fraud_probability"]


def produce_transactions(bootstrap_servers: str, path: Path = DATA) -> int:
    """Step 1: every row of the CSV as a JSON record, keyed by card (one card, one partition)."""
    with path.open(encoding="utf-8") as rows:
        records = [
            (row["card_id"], json.dumps({**row, "amount": float(row["amount"])}))
            for row in csv.DictReader(rows)
        ]
    return produce(bootstrap_servers, TRANSACTIONS_TOPIC, records)


def transactions(spark: SparkSession, bootstrap_servers: str, batch_size: int) -> DataFrame:
    """Step 2: the transaction stream with its stateless features."""
    parsed = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", bootstrap_servers)
        .option("subscribe", TRANSACTIONS_TOPIC)
        .option("startingOffsets", "earliest")
        .option("maxOffsetsPerTrigger", batch_size)
        .load()
        .select(F.from_json(F.col("value").cast("string"), TRANSACTION_SCHEMA).alias("t"))
        .select("t.*")
    )
    return (
        parsed.withColumn("epoch_s", F.unix_timestamp("ts"))
        .withColumn("log_amount", F.log1p("amount"))
        .withColumn("is_night", F.hour("ts") < 6)
        .withColumn("rule_flag", F.col("amount") > RULE_AMOUNT)
    )


@dataclass(frozen=True)
class ReportLine:
    batch_id: int
    seen: int
    flagged: int
    model: tuple[float, float, float]
    rule: tuple[float, float, float]


@dataclass
class DetectFraud:
    """Steps 3-4, the ``foreachBatch`` function; the detector is state kept between batches."""

    bootstrap_servers: str
    detector: FraudDetector = field(default_factory=FraudDetector)
    report: list[ReportLine] = field(default_factory=list)

    def __call__(self, batch: DataFrame, batch_id: int) -> None:
        rows = batch.orderBy("ts", "txn_id").toPandas().to_dict("records")
        flagged = self.detector.process(rows)
        if flagged:
            alerts = batch.sparkSession.createDataFrame(
                [[a[c] for c in ALERT_COLUMNS] for a in flagged], ALERT_SCHEMA
            )
            (
                alerts.select(
                    F.col("card_id").alias("key"),
                    F.to_json(F.struct(*ALERT_COLUMNS)).alias("value"),
                )
                .write.format("kafka")
                .option("kafka.bootstrap.servers", self.bootstrap_servers)
                .option("topic", ALERTS_TOPIC)
                .save()
            )
        line = ReportLine(
            batch_id,
            self.detector.seen,
            len(flagged),
            self.detector.model_scores.values(),
            self.detector.rule_scores.values(),
        )
        self.report.append(line)
        _print_line(line)


def _print_line(line: ReportLine) -> None:
    model = "  ".join(f"{v:.3f}" for v in line.model)
    rule = "  ".join(f"{v:.3f}" for v in line.rule)
    print(f"{line.batch_id:>5}  {line.seen:>6}  {line.flagged:>7}   {model}    {rule}")


def alerts_in_topic(spark: SparkSession, bootstrap_servers: str) -> int:
    """How many alerts the topic ``fraud-alerts`` holds, read back as a batch."""
    return (
        spark.read.format("kafka")
        .option("kafka.bootstrap.servers", bootstrap_servers)
        .option("subscribe", ALERTS_TOPIC)
        .load()
        .count()
    )


@dataclass(frozen=True)
class Result:
    produced: int
    report: list[ReportLine]
    alerts: int


def run(bootstrap_servers: str, data_dir: Path, batch_size: int) -> Result:
    """Steps 1-4 of the module docstring, bounded by the ``availableNow`` trigger."""
    create_topics(bootstrap_servers, {TRANSACTIONS_TOPIC: 3, ALERTS_TOPIC: 1})
    produced = produce_transactions(bootstrap_servers)
    spark = SparkSession.builder.appName("fraud_detection").getOrCreate()
    spark.conf.set("spark.sql.session.timeZone", "UTC")  # hours of the day are UTC hours
    detect = DetectFraud(bootstrap_servers)
    print(f"produced {produced} transactions; prequential scores so far (P, R, F1):")
    print("batch    seen  flagged   model: P      R      F1       rule: P      R      F1")
    query = (
        transactions(spark, bootstrap_servers, batch_size)
        .writeStream.foreachBatch(detect)
        .queryName("fraud_detection")
        .option("checkpointLocation", str(data_dir / "checkpoints" / "fraud_detection"))
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination()
    return Result(produced, detect.report, alerts_in_topic(spark, bootstrap_servers))


def main(argv: list[str] | None = None) -> Result:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_platform_arguments(parser)
    parser.add_argument("--batch-size", type=int, default=1000, help="offsets per micro-batch")
    args = parser.parse_args(argv)
    with kafka_platform(args.bootstrap_servers, args.data_dir) as platform:
        where = "an embedded kaspar broker" if platform.embedded else "Kafka"
        print(f"{where} at {platform.bootstrap_servers}, data in {platform.data_dir}")
        result = run(platform.bootstrap_servers, platform.data_dir, args.batch_size)
    final = result.report[-1]
    print(
        f"\nmodel (river, online): precision {final.model[0]:.3f} recall {final.model[1]:.3f}"
        f" F1 {final.model[2]:.3f}"
    )
    print(
        f"rule (amount > {RULE_AMOUNT:.0f}):     precision {final.rule[0]:.3f} recall "
        f"{final.rule[1]:.3f} F1 {final.rule[2]:.3f}"
    )
    print(f"alerts in {ALERTS_TOPIC}: {result.alerts}")
    return result


if __name__ == "__main__":
    main()
