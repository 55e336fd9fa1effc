"""Rows split into groups by their key columns, in bulk (pyarrow's hash grouping, then one
``take`` per group): the Python functions over groups (``applyInPandas``, ``applyInArrow``,
``applyInPandasWithState``) are called once per group, never per row."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

Groups = list[tuple[tuple[pa.Scalar, ...], pa.Table]]


def split_groups(table: pa.Table, n_keys: int) -> Groups:
    """``table`` (the key columns first) split into its groups, in order of first appearance;
    each group keeps its rows' order and drops the key columns."""
    data = table.select(list(range(n_keys, table.num_columns)))
    if n_keys == 0:
        return [((), data)]
    if table.num_rows == 0:
        return []
    keys = table.select(list(range(n_keys))).rename_columns([f"k{i}" for i in range(n_keys)])
    rows = keys.append_column("__row", pa.array(np.arange(table.num_rows, dtype=np.int64)))
    try:
        grouped = rows.group_by(keys.column_names, use_threads=False).aggregate([("__row", "list")])
    except (pa.ArrowNotImplementedError, pa.ArrowTypeError):  # nested keys: group their text
        text = pa.array([str(r) for r in keys.to_pylist()])  # rare: struct/map/array keys
        grouped = (
            rows.append_column("__text", text)
            .group_by(["__text"], use_threads=False)
            .aggregate([("__row", "list")])
        )
        firsts = pa.array([g[0] for g in grouped.column("__row_list").to_pylist()])
        key_rows = keys.take(firsts)
        return [
            (tuple(key_rows.column(k)[i] for k in range(n_keys)), data.take(indices.values))
            for i, indices in enumerate(grouped.column("__row_list"))
        ]
    lists = grouped.column("__row_list")
    return [
        (tuple(grouped.column(f"k{k}")[i] for k in range(n_keys)), data.take(lists[i].values))
        for i in range(grouped.num_rows)
    ]


def key_values(key: tuple[pa.Scalar, ...]) -> tuple[object, ...]:
    """A group key as Python values, hashable (a dict key matching one group to another)."""
    return tuple(repr(s.as_py()) for s in key)
