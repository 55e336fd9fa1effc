"""What a streaming plan may contain, checked before the query starts (Spark's
``UnsupportedOperationChecker``): the output mode must suit the plan's aggregations, and
operators that kaspar cannot run incrementally yet are refused with a clear message."""

from __future__ import annotations

from kaspar.engine.plan import logical as L
from kaspar.engine.streaming.session_window_operator import (
    check_session_output_mode,
    is_session_aggregate,
    is_session_changelog,
)
from kaspar.errors import AnalysisException, IllegalArgumentException

OUTPUT_MODES = ("append", "update", "complete")


def check_output_mode(mode: str) -> str:
    normalized = mode.lower()
    if normalized not in OUTPUT_MODES:
        raise IllegalArgumentException(
            f"Unknown output mode {mode}. Accepted output modes are 'append', 'complete', 'update'"
        )
    return normalized


def check_streaming_plan(plan: L.LogicalPlan, output_mode: str) -> None:
    """Raise ``AnalysisException`` for plans Spark refuses in ``output_mode`` and for
    operators kaspar cannot run on streams yet."""
    nodes = [n for n in _walk(plan) if n.is_streaming]
    aggregates = [n for n in nodes if isinstance(n, L.Aggregate)]
    for node in nodes:
        _check_node(node, output_mode, aggregates)
    for aggregate in aggregates:
        if is_session_aggregate(aggregate):
            changelog = is_session_changelog(aggregate)
            check_session_output_mode(output_mode, _has_event_time_key(aggregate), changelog)
    if len(aggregates) > 1:
        raise AnalysisException(
            "Multiple streaming aggregations are not supported with streaming DataFrames/Datasets"
        )
    if output_mode == "complete" and not aggregates:
        raise AnalysisException(
            "Complete output mode not supported when there are no streaming aggregations on "
            "streaming DataFrames/Datasets"
        )
    if output_mode == "append" and aggregates and not _has_event_time_key(aggregates[0]):
        raise AnalysisException(
            "Append output mode not supported when there are streaming aggregations on "
            "streaming DataFrames/DataSets without watermark"
        )


def _check_node(node: L.LogicalPlan, output_mode: str, aggregates: list[L.Aggregate]) -> None:
    above_aggregate = any(_contains(node, a) and node is not a for a in aggregates)
    if isinstance(node, L.Sort) and not (above_aggregate and output_mode == "complete"):
        raise AnalysisException(
            "Sorting is not supported on streaming DataFrames/Datasets, unless it is on "
            "aggregated DataFrame/Dataset in Complete output mode",
        )
    if isinstance(node, L.Limit) and not (above_aggregate and output_mode == "complete"):
        raise AnalysisException(
            f"Limits are not supported on streaming DataFrames/Datasets in {output_mode.title()} "
            "output mode by kaspar (only on an aggregation in Complete output mode)",
            "STREAMING_OPERATOR_NOT_SUPPORTED_YET",
        )
    if isinstance(node, L.Aggregate | L.Deduplicate | L.Distinct) and any(
        _is_stream_stream_join(n) for n in _walk(node)
    ):
        raise AnalysisException(
            "Aggregation or deduplication after a stream-stream join is not supported by "
            "kaspar yet",
            "STREAMING_OPERATOR_NOT_SUPPORTED_YET",
        )
    if isinstance(node, L.Deduplicate | L.Distinct) and above_aggregate:
        raise AnalysisException(
            "dropDuplicates / distinct after a streaming aggregation is not supported",
            "STREAMING_OPERATOR_NOT_SUPPORTED_YET",
        )
    if isinstance(node, L.SetOperation) and not (node.kind == "union" and not node.distinct):
        raise AnalysisException(
            f"{node.kind.title()} between streaming DataFrames/Datasets is not supported",
            "STREAMING_OPERATOR_NOT_SUPPORTED_YET",
        )
    if isinstance(node, L.FlatMapGroupsWithState):
        _check_groups_with_state(node, output_mode, aggregates)
    if isinstance(node, L.Join) and all(c.is_streaming for c in node.children):
        _check_stream_stream_join(node, output_mode)
        return
    if isinstance(node, L.Join) and node.how != "inner":
        streaming_side = "left" if node.children[0].is_streaming else "right"
        allowed = {"left": ("left", "left_semi", "left_anti", "cross"), "right": ("right",)}
        if node.how not in allowed[streaming_side]:
            raise AnalysisException(
                f"{node.how.replace('_', ' ').title()} join with a streaming DataFrame/Dataset "
                f"on the {streaming_side} and a static DataFrame/Dataset on the other side is "
                "not supported",
            )
    if isinstance(node, L.SqlQuery) and _sql_is_stateful(node):
        raise AnalysisException(
            "spark.sql over a streaming view with aggregation, DISTINCT, ORDER BY or LIMIT "
            "is not supported by kaspar yet: use the DataFrame API (groupBy/agg, "
            "dropDuplicates) on the stream",
            "STREAMING_OPERATOR_NOT_SUPPORTED_YET",
        )


def _check_groups_with_state(
    node: L.FlatMapGroupsWithState, output_mode: str, aggregates: list[L.Aggregate]
) -> None:
    """Spark's rules for ``applyInPandasWithState``: the function's output mode must suit the
    query's, and it cannot follow an aggregation."""
    if output_mode == "append" and node.output_mode == "update":
        raise AnalysisException(
            "applyInPandasWithState in update mode is not supported with Append output mode "
            "on a streaming DataFrame/Dataset",
            "_LEGACY_ERROR_TEMP_3102",
        )
    if any(_contains(node.child, a) for a in aggregates):
        raise AnalysisException(
            f"applyInPandasWithState in {node.output_mode} mode is not supported after "
            "aggregation on a streaming DataFrame/Dataset",
            "_LEGACY_ERROR_TEMP_3102",
        )


_STREAM_STREAM_JOINS = ("inner", "cross", "left", "right", "full", "left_semi")


def _check_stream_stream_join(node: L.Join, output_mode: str) -> None:
    """Spark's checks of a join between two streams (the watermark a join type needs is
    checked when the query is planned: ``stream_join_operator.py``)."""
    if node.how not in _STREAM_STREAM_JOINS:
        raise AnalysisException(
            "LeftAnti joins with a streaming DataFrame/Dataset on the right are not supported",
            "_LEGACY_ERROR_TEMP_3102",
        )
    if node.how not in ("inner", "cross") and output_mode != "append":
        spark_name = {"left": "LeftOuter", "right": "RightOuter", "full": "FullOuter"}
        raise AnalysisException(
            f"{spark_name.get(node.how, 'LeftSemi')} join between two streaming "
            "DataFrames/Datasets is not supported in "
            f"{output_mode.title()} output mode, only in Append output mode",
            "_LEGACY_ERROR_TEMP_3102",
        )
    for side in node.children:
        stateful = (L.Aggregate, L.Deduplicate, L.Distinct)
        below = [n for n in _walk(side) if n.is_streaming and isinstance(n, stateful)]
        if below or any(_is_stream_stream_join(n) for n in _walk(side)):
            raise AnalysisException(
                "A stream-stream join over the output of another stateful operator "
                "(aggregation, deduplication, join) is not supported by kaspar yet",
                "STREAMING_OPERATOR_NOT_SUPPORTED_YET",
            )


def _is_stream_stream_join(node: L.LogicalPlan) -> bool:
    return isinstance(node, L.Join) and all(c.is_streaming for c in node.children)


def _sql_is_stateful(node: L.SqlQuery) -> bool:
    from sqlglot import exp

    return node.query.find(exp.AggFunc, exp.Group, exp.Distinct, exp.Order, exp.Limit) is not None


def _has_event_time_key(aggregate: L.Aggregate) -> bool:
    """Whether a grouping key is a time window or a watermarked column (checked precisely
    when the query is planned; here the plan must at least contain a watermark)."""
    return any(isinstance(n, L.EventTimeWatermark) for n in _walk(aggregate))


def _contains(root: L.LogicalPlan, target: L.LogicalPlan) -> bool:
    return any(n is target for n in _walk(root))


def streaming_relations(plan: L.LogicalPlan) -> list[L.StreamingRelation]:
    """The plan's streaming leaves, in a stable order (their index is the source id)."""
    found: list[L.StreamingRelation] = []
    for node in _walk(plan):
        if isinstance(node, L.StreamingRelation) and node not in found:
            found.append(node)
    return found


def _walk(plan: L.LogicalPlan) -> list[L.LogicalPlan]:
    nodes, stack = [], [plan]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(reversed(node.children))
    return nodes
