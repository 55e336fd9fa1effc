"""File metadata of file reads: the hidden ``_metadata`` column and ``input_file_name()``.

A file read (``L.Scan`` with ``files``) has a hidden struct column ``_metadata`` (Spark's
``FileSourceMetadataAttribute``): ``file_path`` (a ``file:/`` URI), ``file_name``,
``file_size``, ``file_block_start``, ``file_block_length``, ``file_modification_time`` and,
for parquet, ``row_index``. It is not in ``df.columns`` nor in ``*``, but an expression may
name it (a data column called ``_metadata`` wins); ``input_file_name()``,
``input_file_block_start()`` and ``input_file_block_length()`` read it too.

Nothing of it is read unless a query names it:

1. The analyzer asks ``exposed(child, expressions)`` before resolving a node's expressions;
   when they name ``_metadata`` or call a file function, the child's resolved tree is rebuilt
   with one more output attribute, the metadata, down to the file read (through projections,
   filters and aliases; for ``_metadata`` also sorts and limits, as Spark propagates it).
2. At the read, the scan is swapped for its variant with each row's file
   (``Scan.file_scan()``: DuckDB's ``filename`` column, or the path as a constant per file),
   and the struct is built from that path and the files' sizes and modification times, taken
   when the query is planned (a ``MAP`` from path to them).
3. A file function with no file read below (``createDataFrame``, ``range``, or past an
   aggregation, a sort, a limit or a join, where Spark's task reads no file) is ``''`` or
   ``-1``; over a join of two file reads it fails as Spark's does
   (``MULTI_SOURCES_UNSUPPORTED_FOR_EXPRESSION``). A ``UNION ALL`` of file reads passes them
   on (each side its own files).

Known difference: Spark splits a file larger than ``spark.sql.files.maxPartitionBytes``
(128 MiB) into blocks; here a file is always one block (start 0, length its size).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.plan import logical as L
from kaspar.engine.plan.attributes import ATTR_ID, Attribute, ResolvedPlan
from kaspar.engine.plan.nullability import NOT_NULL  # a resolved file function: never null
from kaspar.errors import AnalysisException, unresolved_column

METADATA = "_metadata"
FILE_FUNCTIONS = ("input_file_name", "input_file_block_start", "input_file_block_length")
METADATA_COLUMN = "metadata_column"  # meta of ``df.metadataColumn(...)``'s column

_METADATA_SQL = "__kaspar_metadata"
_STAT_SQL = "__kaspar_file_stat"
_PASS_THROUGH = (L.Project, L.Filter, L.SubqueryAlias, L.EventTimeWatermark)
# Nodes that pass ``_metadata`` on, but past which Spark's task reads no file (an exchange).
_METADATA_ONLY = (L.Sort, L.Limit)
_metadata_ids: set[int] = set()  # the ids of the metadata attributes
_no_file_ids: set[int] = set()  # those past an exchange (file functions give no file there)


def is_metadata(attr: Attribute) -> bool:
    return attr.id in _metadata_ids


def metadata_type(attr: Attribute, data_type: T.DataType) -> T.DataType:
    """The output type of ``attr``: the metadata struct's fields are never null (Spark's
    schema says so); any other attribute's type as it is."""
    if not is_metadata(attr) or not isinstance(data_type, T.StructType):
        return data_type
    return T.StructType([T.StructField(f.name, f.dataType, False) for f in data_type.fields])


def is_file_function(e: exp.Expr) -> bool:
    return isinstance(e, exp.Anonymous) and e.name.lower() in FILE_FUNCTIONS and not e.expressions


def _names_metadata(e: exp.Expr, inputs: Sequence[Attribute]) -> bool:
    if not isinstance(e, exp.Column) or isinstance(e.this, exp.Star):
        return False
    if e.meta.get(METADATA_COLUMN):
        return True
    parts = [p.name.lower() for p in e.parts]
    if METADATA not in parts[:2] or any(a.name.lower() == METADATA for a in inputs):
        return False
    return parts[0] == METADATA or any(
        parts[0] in (q.lower() for q in a.qualifiers) for a in inputs
    )


def exposed(
    child: ResolvedPlan, expressions: Sequence[exp.Expr]
) -> tuple[ResolvedPlan, tuple[Attribute, ...]]:
    """``child`` with its metadata attribute when ``expressions`` need it, and the attributes
    added (to leave out of ``*`` and of the node's output)."""
    nodes = [n for e in expressions for n in e.walk()]
    metadata = any(_names_metadata(n, child.output) for n in nodes)
    files = any(is_file_function(n) for n in nodes)
    if not (metadata or files) or any(is_metadata(a) for a in child.output):
        return child, ()
    found = expose(child, past_exchange=metadata)
    if found is None:
        if files:
            _check_single_source(child, next(n for n in nodes if is_file_function(n)))
        return child, ()
    attr = found.output[-1]
    if any(a.name.lower() == METADATA for a in child.output):  # a data column wins the name
        attr = attr.renamed(_METADATA_SQL)
        found = ResolvedPlan(found.plan, (*found.output[:-1], attr), found.children)
    return found, (attr,)


def is_metadata_field(e: exp.Expr) -> bool:
    """Whether ``e`` is the metadata attribute or a field of it (never null, as Spark's)."""
    while isinstance(e, exp.Bracket):
        e = e.this
    return isinstance(e, exp.Column) and e.meta.get(ATTR_ID) in _metadata_ids


def expose(r: ResolvedPlan, *, past_exchange: bool) -> ResolvedPlan | None:
    """``r`` with the metadata attribute as its last output column, or None when no file read
    reaches it (step 1 of the module docstring)."""
    if r.output and is_metadata(r.output[-1]):
        return r  # exposed already (below a filter or a sort that used it)
    plan = r.plan
    if isinstance(plan, L.Scan):
        return _expose_scan(r, plan)
    if isinstance(plan, L.SetOperation):
        return None if past_exchange else _expose_union(r, plan)
    passes = isinstance(plan, _PASS_THROUGH) or (past_exchange and isinstance(plan, _METADATA_ONLY))
    if not passes or len(r.children) != 1:
        return None
    child = expose(r.children[0], past_exchange=past_exchange)
    if child is None:
        return None
    attr = child.output[-1]
    if isinstance(plan, L.SubqueryAlias):
        attr = Attribute(attr.name, attr.id, (plan.alias,), attr.nullable)
    if isinstance(plan, L.Project):
        plan = replace(plan, expressions=(*plan.expressions, attr.reference()))
    exposed_node = ResolvedPlan(plan, (*r.output, attr), (child,))
    return _past_exchange(exposed_node) if isinstance(plan, _METADATA_ONLY) else exposed_node


def _past_exchange(r: ResolvedPlan) -> ResolvedPlan:
    """``r`` with its metadata under a new attribute that the file functions read as no file
    (past a sort or a limit Spark's task reads no file, but ``_metadata`` is a column)."""
    attr = r.output[-1]
    moved = Attribute(attr.name, qualifiers=attr.qualifiers, nullable=False)
    _metadata_ids.add(moved.id)
    _no_file_ids.add(moved.id)
    refs = tuple(a.reference() for a in r.output)
    outer = L.Project(r.plan, refs)
    return ResolvedPlan(outer, (*r.output[:-1], moved), (r,))


def _expose_union(r: ResolvedPlan, plan: L.SetOperation) -> ResolvedPlan | None:
    """A ``UNION ALL`` whose every side reads files: each side's file functions (Spark runs
    each side's tasks over its own files; ``_metadata`` does not pass a union)."""
    if plan.kind != "union" or plan.distinct:
        return None
    children = [expose(c, past_exchange=False) for c in r.children]
    if any(c is None for c in children):
        return None
    sides = [c for c in children if c is not None]
    return ResolvedPlan(plan, (*r.output, sides[0].output[-1]), tuple(sides))


def hide(
    r: ResolvedPlan, added: tuple[Attribute, ...], output: tuple[Attribute, ...]
) -> ResolvedPlan:
    """``r`` (whose output has the ``added`` metadata last) as ``output``: a projection
    leaving the metadata out, for nodes whose output is their child's (filter, sort)."""
    if not added:
        return r
    refs = tuple(a.reference() for a in output)
    return ResolvedPlan(L.Project(r.plan, refs), output, (r,))


def _expose_scan(r: ResolvedPlan, scan: L.Scan) -> ResolvedPlan | None:
    with_file = scan.file_scan()
    if with_file is None:
        return None
    attr = Attribute(METADATA, nullable=False)
    _metadata_ids.add(attr.id)
    hidden = with_file.names[len(scan.names) :]
    stat = exp.alias_(exp.Var(this=_stat_sql(scan.files)), _STAT_SQL, quoted=True)
    inner = exp.select("*", stat).from_(with_file.source.copy()).subquery("_file_stat")
    struct = exp.alias_(
        exp.Var(this=_struct_sql(L.ROW_INDEX_COLUMN in hidden)), _METADATA_SQL, quoted=True
    )
    source = exp.select("*", struct).from_(inner).subquery("_file_metadata")
    leaf = L.Scan(source, (*scan.names, _METADATA_SQL), scan.description, with_file.tables)
    return ResolvedPlan(leaf, (*r.output, attr))


def _uri_path(path: str) -> str:
    """The absolute path as a ``file:`` URI's path (ASCII characters a URI path may not hold
    percent-encoded; others kept, as Hadoop's ``Path.toUri`` gives them)."""
    allowed = "/;:@&=+$,-_.!~*'()"
    text = str(Path(path).absolute())
    return "".join(
        c if c.isalnum() or c in allowed or ord(c) > 127 else f"%{ord(c):02X}" for c in text
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _stat_sql(files: Sequence[str]) -> str:
    """A DuckDB ``MAP`` from each file's path (as the read names it) to its URI path, name,
    size and modification time (ms): taken when the query is planned."""
    keys, values = [], []
    for file in dict.fromkeys(files):
        stat, uri = Path(file).stat(), _uri_path(file)
        keys.append(_literal(file))
        values.append(
            f"{{'p': {_literal(uri)}, 'n': {_literal(uri.rsplit('/', 1)[-1])}, "
            f"'s': {stat.st_size}::BIGINT, 't': {stat.st_mtime_ns // 1_000_000}::BIGINT}}"
        )
    return f'MAP([{", ".join(keys)}], [{", ".join(values)}])["{L.FILE_COLUMN}"]'


def _struct_sql(row_index: bool) -> str:
    s = f'"{_STAT_SQL}"'
    fields = [
        f"file_path := 'file:' || {s}.p",
        f"file_name := {s}.n",
        f"file_size := {s}.s",
        "file_block_start := 0::BIGINT",
        f"file_block_length := {s}.s",
        f"file_modification_time := to_timestamp(0) + to_milliseconds({s}.t)",
    ]
    if row_index:
        fields.append(f'row_index := "{L.ROW_INDEX_COLUMN}"::BIGINT')
    return f"struct_pack({', '.join(fields)})"


def check_not_aggregated(call: exp.Expr) -> None:
    """Spark refuses a file function (non-deterministic) inside an aggregate function."""
    aggregate = call.find_ancestor(exp.AggFunc)
    if aggregate is not None:
        shown = aggregate.sql(dialect="spark").lower()
        raise AnalysisException(
            f'Non-deterministic expression "{shown}" should not appear in the arguments of an '
            "aggregate function.",
            "AGGREGATE_FUNCTION_WITH_NONDETERMINISTIC_EXPRESSION",
            {"sqlExpr": f'"{shown}"'},
        )


def file_function(name: str, inputs: Sequence[Attribute]) -> exp.Expr:
    """``input_file_name()`` and its block functions over the metadata attribute of
    ``inputs``, or Spark's values without a file (``''``, ``-1``)."""
    attr = next((a for a in inputs if is_metadata(a)), None)
    result: exp.Expr
    if attr is None or attr.id in _no_file_ids:
        result = (
            exp.Literal.string("")
            if name == "input_file_name"
            else exp.cast(exp.Literal.number(-1), exp.DataType.build("BIGINT"))
        )
    elif name == "input_file_name":
        path = exp.Bracket(this=attr.reference(), expressions=[exp.Literal.string("file_path")])
        tail = exp.Substring(this=path, start=exp.Literal.number(6))
        result = exp.DPipe(this=exp.Literal.string("file://"), expression=tail, safe=True)
    else:
        field = "file_block_start" if name == "input_file_block_start" else "file_block_length"
        result = exp.Bracket(this=attr.reference(), expressions=[exp.Literal.string(field)])
    result.meta[NOT_NULL] = True
    return result


def metadata_column(col: exp.Column, inputs: Sequence[Attribute]) -> exp.Expr:
    """``df.metadataColumn("_metadata")``'s column (and its fields) over ``inputs``."""
    attr = next((a for a in inputs if is_metadata(a)), None)
    if attr is None:
        raise unresolved_column(METADATA, [])
    result: exp.Expr = attr.reference()
    for part in col.parts[1:]:
        result = exp.Bracket(this=result, expressions=[exp.Literal.string(part.name)])
    return result


def has_file_read(plan: L.LogicalPlan) -> bool:
    """Whether a file read with metadata is under ``plan`` through the nodes that pass
    ``_metadata`` on."""
    if isinstance(plan, L.Scan):
        return plan.with_file is not None
    if isinstance(plan, (*_PASS_THROUGH, *_METADATA_ONLY)):
        return has_file_read(plan.children[0])
    return False


def _reads_files(plan: L.LogicalPlan) -> bool:
    if isinstance(plan, L.Scan):
        return plan.with_file is not None
    return any(_reads_files(c) for c in plan.children)


def _check_single_source(child: ResolvedPlan, call: exp.Expr) -> None:
    node = child
    while isinstance(node.plan, _PASS_THROUGH) and len(node.children) == 1:
        node = node.children[0]
    plan = node.plan
    if isinstance(plan, L.Join) and _reads_files(plan.left) and _reads_files(plan.right):
        raise AnalysisException(
            f'The expression "{call.name.lower()}()" does not support more than one source.',
            "MULTI_SOURCES_UNSUPPORTED_FOR_EXPRESSION",
            {"expr": f'"{call.name.lower()}()"'},
        )
