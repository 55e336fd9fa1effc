"""What a streaming plan may contain, checked before the query starts (Spark's
``UnsupportedOperationChecker``). This slice runs stateless queries only: stateful operators are
refused until the state store exists."""

from __future__ import annotations

from kaspar.engine.plan import logical as L
from kaspar.errors import AnalysisException, IllegalArgumentException

OUTPUT_MODES = ("append", "update", "complete")
_STATEFUL = {
    L.Aggregate: "Streaming aggregation (groupBy / agg)",
    L.Distinct: "distinct()",
    L.Deduplicate: "dropDuplicates()",
    L.Sort: "Sorting",
    L.Limit: "limit()",
    L.SetOperation: "intersect / subtract / union of streams",
}


def check_output_mode(mode: str) -> str:
    normalized = mode.lower()
    if normalized not in OUTPUT_MODES:
        raise IllegalArgumentException(
            f"Unknown output mode {mode}. Accepted output modes are 'append', 'complete', 'update'"
        )
    return normalized


def check_streaming_plan(plan: L.LogicalPlan, output_mode: str) -> None:
    """Raise ``AnalysisException`` for what this engine cannot run incrementally yet."""
    for node in _walk(plan):
        if not node.is_streaming:
            continue
        what = _STATEFUL.get(type(node))
        if isinstance(node, L.SetOperation) and node.kind == "union" and not node.distinct:
            what = None
        if isinstance(node, L.Join) and all(c.is_streaming for c in node.children):
            what = "Stream-stream join"
        if what is not None:
            raise AnalysisException(
                f"{what} on streaming DataFrames/Datasets is not supported yet by kaspar "
                "(stateful streaming operators come with the state store).",
                "STREAMING_OPERATOR_NOT_SUPPORTED_YET",
            )
    if output_mode == "complete":
        raise AnalysisException(
            "Complete output mode not supported when there are no streaming aggregations on "
            "streaming DataFrames/Datasets",
        )


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
