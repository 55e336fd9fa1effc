"""Parity cases: JSON reads with parse modes, every Spark type, options and inference.

The files mix good lines with malformed ones (not JSON, not an object, values of the wrong kind),
written compactly (Spark keeps a nested value's original text where kaspar writes DuckDB's
compact JSON; compact input makes them the same).
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from tests.conformance.pyspark.registry import case

_FLAT = "a int, b string, c double, d boolean"
_EVENTS = "id bigint, ts timestamp, day date, amount decimal(7,2)"
_TYPES = (
    "ts timestamp, d date, n timestamp_ntz, m decimal(5,2), b binary, mp map<string,int>, "
    "ar array<int>, st struct<p:int,q:string>"
)
_FILES = {
    "mixed.json": '{"a":1,"b":"x","c":1.5,"d":true}\n'
    '{"a":"oops","b":"y","c":2,"d":false}\n'
    "not json\n"
    '{"a":3,"b":5,"c":"NaN","d":"true"}\n'
    "\n"
    '{"a":4.5,"b":{"k":[1,2]},"c":"-Infinity","d":null}\n'
    "[1,2]\n"
    "7\n"
    '{"a":99999999999,"b":null,"c":"1.5","d":1}\n'
    '{"a":"","b":""}\n',
    "events.json": '{"id":1,"ts":"2024-01-01T10:00:00","day":"2024-01-01","amount":12.5}\n'
    '{"id":2,"ts":"not a time","day":"2024-01-02","amount":1.005}\n'
    '{"id":3,"ts":"2024-01-03 10:00:00","day":"2024-02-30","amount":"7.25"}\n'
    '{"id":4,"ts":1700000000,"day":"2024-01-04","amount":123456.789}\n'
    "{broken\n"
    '{"id":5,"ts":"2024-01-05T10:00:00Z","day":"2024-01-05T23:00:00","amount":null}\n',
    "types.json": '{"ts":"2024-01-01T10:00:00","d":"2024-01-01","n":"2024-01-01T10:00:00",'
    '"m":1.234,"b":"aGVsbG8=","mp":{"x":1},"ar":[1,2],"st":{"p":1,"q":"a"}}\n'
    '{"ts":"2024-01-01 10:00:00","d":"2024-1-5","n":"2024-01-01 10:00:00.123456","m":"1.5",'
    '"b":"not base64!","mp":{"x":1,"y":"z"},"ar":[1,"x"],"st":{"p":"bad","q":"ok"}}\n'
    '{"ts":"2024-01-01","d":"2024-01-01T10:00","n":"2024-01-01","m":12345.6,"b":5,"mp":"str",'
    '"ar":[1,null],"st":"str"}\n'
    '{"ts":1700000000,"d":19000,"n":1700000000,"m":1e2,"b":null,"mp":{},"ar":{},"st":[1]}\n'
    '{"ts":1.7e9,"d":"garbage","n":"garbage","m":"abc","b":"","mp":null,"ar":5,"st":{}}\n'
    '{"ts":"garbage","d":"2024-02-30","n":"2024-01-01T10:00:00Z","m":-0.005,"ar":[],'
    '"st":{"q":5}}\n'
    '{"ts":"2024-01-01T10:00:00+02:00","d":" 2024-01-01 ","n":"2024-01-01T10:00:00+02:00",'
    '"m":999.995}\n'
    '{"ts":"2024-01-01T10:00:00.123Z","d":"","n":1.5}\n'
    '{"ts":"2024","d":"2024-01"}\n',
    "formats.json": '{"ts":"05/01/2024 10:30","d":"05/01/2024","n":"2024.01.05 10:30:15"}\n'
    '{"ts":"2024-01-05T10:30:00","d":"2024-01-05","n":"2024-01-05 10:30:15"}\n'
    '{"ts":"31/12/2023 23:59","d":"31/12/2023","n":"2023.12.31 23:59:59"}\n',
    "nested.json": '{"id":1,"user":{"name":"ann","tags":["x","y"]},"scores":[1,2],"f":1,'
    '"g":{}}\n'
    '{"id":2,"user":{"name":"bob","age":30},"scores":[1.5],"f":"s","e":[],"n":null}\n'
    '{"id":3,"user":{"tags":[]},"scores":[],"f":true,"mix":[1,{"q":1}],"deep":[[1],[2.5]]}\n',
    "case.json": '{"A":9,"b":"upper"}\n{"a":8,"B":"lower"}\n',
    "arrays.json": '[{"a":1,"b":"x"},{"a":2}]\n{"a":3,"b":"z"}\n[]\n',
    "array.json": '[{"a":1,"b":"x"},\n {"a":2,"b":"y"}]\n',
    "object.json": '{\n "a":1,\n "b":"x",\n "c":{"d":[1,2]}\n}\n',
    "broken_multi.json": '{\n "a":1,\n "b":\n',
    "uniform.json": "".join(f'{{"k":{i},"v":"s{i}","w":{i}.5}}\n' for i in range(200)),
    "dir/part-1.json": '{"a":1,"b":"x"}\n{"a":2,"b":"y"}\n',
    "dir/part-2.json": '{"a":3,"b":"z"}\nbad line\n',
    "dir/_SUCCESS": "",
    "glob/one.json": '{"a":1}\n',
    "glob/two.json": '{"a":2,"c":true}\n',
    "glob/other.txt": "not json at all\n",
}


@cache
def _data() -> Path:
    """The same input files for both engines (written once per test run)."""
    root = Path(tempfile.mkdtemp(prefix="kaspar-parity-json-"))
    for name, text in _FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _json(name: str) -> str:
    return str(_data() / name)


@case()
def case_json_read_permissive_flat(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.schema(_FLAT).json(_json("mixed.json"))


@case()
def case_json_read_permissive_corrupt_record(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.schema(_FLAT + ", _corrupt_record string").json(_json("mixed.json"))


@case()
def case_json_read_custom_corrupt_column(spark: Any, F: Any, T: Any) -> Any:
    return (
        spark.read.option("columnNameOfCorruptRecord", "raw")
        .schema("raw string, " + _FLAT)
        .json(_json("mixed.json"))
    )


@case()
def case_json_read_dropmalformed_flat(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.schema(_FLAT).option("mode", "DROPMALFORMED").json(_json("mixed.json"))


@case()
def case_json_read_dropmalformed_inferred(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.option("mode", "DROPMALFORMED").json(_json("events.json"))


@case(kind="error")
def case_json_read_failfast_flat(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.schema(_FLAT).option("mode", "FAILFAST").json(_json("mixed.json"))


@case(kind="error")
def case_json_read_failfast_timestamps(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.schema(_EVENTS).option("mode", "FAILFAST").json(_json("events.json"))


@case()
def case_json_read_failfast_clean(spark: Any, F: Any, T: Any) -> Any:
    return (
        spark.read.schema("k bigint, v string")
        .option("mode", "FAILFAST")
        .json(_json("uniform.json"))
    )


@case()
def case_json_read_timestamps_permissive(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.schema(_EVENTS).json(_json("events.json"))


@case()
def case_json_read_timestamps_corrupt_record(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.schema(_EVENTS + ", _corrupt_record string").json(_json("events.json"))


@case()
def case_json_read_timestamps_dropmalformed(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.schema(_EVENTS).json(_json("events.json"), mode="DROPMALFORMED")


@case()
def case_json_read_timestamps_aggregate(spark: Any, F: Any, T: Any) -> Any:
    df = spark.read.schema(_EVENTS).json(_json("events.json"))
    return df.groupBy(F.to_date("ts").alias("day")).agg(F.count("*").alias("n"))


@case()
def case_json_read_every_type(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.schema(_TYPES).json(_json("types.json"))


@case()
def case_json_read_every_type_corrupt_record(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.schema(_TYPES + ", _corrupt_record string").json(_json("types.json"))


@case()
def case_json_read_every_type_dropmalformed(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.schema(_TYPES).option("mode", "DROPMALFORMED").json(_json("types.json"))


@case()
def case_json_read_datetime_formats(spark: Any, F: Any, T: Any) -> Any:
    return (
        spark.read.schema("ts timestamp, d date, n timestamp_ntz, _corrupt_record string")
        .option("timestampFormat", "dd/MM/yyyy HH:mm")
        .option("dateFormat", "dd/MM/yyyy")
        .option("timestampNTZFormat", "yyyy.MM.dd HH:mm:ss")
        .json(_json("formats.json"))
    )


@case()
def case_json_read_top_level_arrays(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.schema("a int, b string, _corrupt_record string").json(_json("arrays.json"))


@case()
def case_json_read_multiline_array(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.schema("a int, b string").json(_json("array.json"), multiLine=True)


@case()
def case_json_read_multiline_object_inferred(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.option("multiLine", "true").json(_json("object.json"))


@case()
def case_json_read_multiline_malformed(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.schema("a int, _corrupt_record string").json(
        _json("broken_multi.json"), multiLine=True
    )


@case()
def case_json_read_infer_nested(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.json(_json("nested.json"))


@case()
def case_json_read_infer_corrupt_and_conflicts(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.json(_json("mixed.json"))


@case()
def case_json_read_names_are_case_sensitive(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.schema("a int, b string").json(_json("case.json"))


@case()
def case_json_read_infer_timestamps_as_strings(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.json(_json("events.json"))


@case()
def case_json_read_primitives_as_string(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.option("primitivesAsString", "true").json(_json("nested.json"))


@case()
def case_json_read_sampling_ratio(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.option("samplingRatio", "0.5").json(_json("uniform.json"))


@case()
def case_json_read_folder(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.json(_json("dir"))


@case()
def case_json_read_folder_with_schema(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.schema("a int, b string").option("mode", "DROPMALFORMED").json(_json("dir"))


@case()
def case_json_read_glob(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.json(_json("glob") + "/*.json")


@case()
def case_json_read_filter_group(spark: Any, F: Any, T: Any) -> Any:
    df = spark.read.schema("k bigint, v string, w double").json(_json("uniform.json"))
    return (
        df.filter(F.col("k") % 3 == 0)
        .groupBy((F.col("k") % 2).alias("odd"))
        .agg(F.count("*").alias("n"), F.sum("w").alias("w"))
    )
