"""``format_string`` / ``printf``: Java ``String.format`` on DuckDB's ``printf``.

Spark prints NULL arguments as ``null`` for any conversion; plain ``%s`` and ``%d`` therefore
become ``%s`` over ``coalesce(CAST(arg AS VARCHAR), 'null')``. Other conversions (widths,
precisions) are passed to ``printf`` as they are.
"""

from __future__ import annotations

import re

from sqlglot import exp

from kaspar.sql.column import Column
from kaspar.sql.functions._invoke import names, node

_SPEC = re.compile(r"%(\d+\$)?([-#+ 0,(]*)(\d+)?(\.\d+)?([a-zA-Z%])")


def printf_call(fn: str, format: exp.Expr, args: list[exp.Expr]) -> Column:
    if not (isinstance(format, exp.Literal) and format.is_string):
        call = exp.Anonymous(this="printf", expressions=[format, *args])
        return node(call, f"{fn}({names(format, *args)})")
    text, values = _rewrite(format.this, args)
    call = exp.Anonymous(this="printf", expressions=[exp.Literal.string(text), *values])
    return node(call, f"{fn}({names(format, *args)})")


def _rewrite(text: str, args: list[exp.Expr]) -> tuple[str, list[exp.Expr]]:
    out: list[str] = []
    values: list[exp.Expr] = []
    position = 0
    last = 0
    for match in _SPEC.finditer(text):
        out.append(text[last : match.start()])
        last = match.end()
        index, flags, width, precision, conversion = match.groups()
        if conversion in "%n":
            out.append("%%" if conversion == "%" else "\n")
            continue
        i = int(index[:-1]) - 1 if index else position
        position = i + 1
        arg = args[i].copy() if i < len(args) else exp.Null()
        if conversion in "sd" and not (flags or width or precision):
            out.append("%s")
            as_text = exp.Cast(this=arg, to=exp.DataType.build("VARCHAR"))
            values.append(exp.Coalesce(this=as_text, expressions=[exp.Literal.string("null")]))
        else:
            out.append(match.group(0).replace(index or "", ""))
            values.append(arg)
    out.append(text[last:])
    return "".join(out), values
