"""``df.na``: filling and dropping missing values (PySpark ``DataFrameNaFunctions``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.plan import logical as L
from kaspar.engine.type_conversion import to_sqlglot
from kaspar.errors import PySparkTypeError
from kaspar.sql.column import aliased, literal

if TYPE_CHECKING:
    from kaspar.sql.dataframe import DataFrame


def _accepts(dtype: T.DataType, value: Any) -> bool:
    if isinstance(value, bool):
        return isinstance(dtype, T.BooleanType)
    if isinstance(value, int | float):
        return isinstance(dtype, T.NumericType)
    if isinstance(value, str):
        return isinstance(dtype, T.StringType)
    return False


_NO_VALUE: Any = object()


class DataFrameNaFunctions:
    """Missing-value handling for one DataFrame."""

    __module__ = "kaspar.sql.dataframe"  # its public home, as PySpark's is pyspark.sql.dataframe

    def __init__(self, df: DataFrame) -> None:
        self._df = df

    def fill(self, value: Any, subset: Any = None) -> DataFrame:
        if not isinstance(value, dict | int | float | str | bool):
            raise PySparkTypeError(
                "[NOT_BOOL_OR_DICT_OR_FLOAT_OR_INT_OR_STR] Argument `value` should be a bool, "
                f"dict, float, int or str, got {type(value).__name__}.",
                "NOT_BOOL_OR_DICT_OR_FLOAT_OR_INT_OR_STR",
            )
        from kaspar.sql.dataframe import attribute_column

        if isinstance(value, dict):
            fills = {k.lower(): v for k, v in value.items()}
        else:
            names = [subset] if isinstance(subset, str) else subset
            chosen = {n.lower() for n in names} if names else None
            fills = {
                f.name.lower(): value
                for f in self._df.schema.fields
                if (chosen is None or f.name.lower() in chosen) and _accepts(f.dataType, value)
            }
        exprs: list[exp.Expr] = []
        for attr, field in zip(self._df._attributes(), self._df.schema.fields, strict=True):
            ref = attribute_column(attr).expr
            if attr.name.lower() in fills:
                fill = exp.Cast(
                    this=literal(fills[attr.name.lower()]), to=to_sqlglot(field.dataType)
                )
                ref = aliased(exp.Coalesce(this=ref, expressions=[fill]), attr.name)
            exprs.append(ref)
        return self._df._with(L.Project(self._df.plan, tuple(exprs)))

    def drop(self, how: str = "any", thresh: int | None = None, subset: Any = None) -> DataFrame:
        from kaspar.sql.dataframe import attribute_column

        names = [subset] if isinstance(subset, str) else subset
        chosen = {n.lower() for n in names} if names else None
        present: list[exp.Expr] = []
        for attr, field in zip(self._df._attributes(), self._df.schema.fields, strict=True):
            if chosen is not None and attr.name.lower() not in chosen:
                continue
            ref = attribute_column(attr).expr
            test: exp.Expr = exp.Not(this=exp.Is(this=ref, expression=exp.Null()))
            if isinstance(field.dataType, T.FloatType | T.DoubleType):
                test = exp.and_(test, exp.Not(this=exp.IsNan(this=ref)))
            present.append(exp.Cast(this=exp.Paren(this=test), to=exp.DataType.build("INT")))
        if not present:
            return self._df
        if thresh is None:
            thresh = len(present) if how == "any" else 1
        total: exp.Expr = present[0]
        for p in present[1:]:
            total = exp.Add(this=total, expression=p)
        condition = exp.GTE(this=total, expression=exp.Literal.number(thresh))
        return self._df._with(L.Filter(self._df.plan, condition))

    def replace(self, to_replace: Any, value: Any = _NO_VALUE, subset: Any = None) -> DataFrame:
        """Spark's ``na.replace``: only columns whose type matches the replaced values change."""
        from kaspar.sql.dataframe import attribute_column

        pairs = _replacements(to_replace, value)
        names = [subset] if isinstance(subset, str) else subset
        chosen = {n.lower() for n in names} if names else None
        exprs: list[exp.Expr] = []
        for attr, field in zip(self._df._attributes(), self._df.schema.fields, strict=True):
            ref = attribute_column(attr).expr
            usable = [(k, v) for k, v in pairs if _accepts(field.dataType, k)]
            if usable and (chosen is None or attr.name.lower() in chosen):
                to = to_sqlglot(field.dataType)
                ifs = [
                    exp.If(
                        this=exp.EQ(this=ref.copy(), expression=literal(k)),
                        true=exp.Cast(this=literal(v), to=to.copy()),
                    )
                    for k, v in usable
                ]
                ref = aliased(exp.Case(ifs=ifs, default=ref), attr.name)
            exprs.append(ref)
        return self._df._with(L.Project(self._df.plan, tuple(exprs)))


def _replacements(to_replace: Any, value: Any) -> list[tuple[Any, Any]]:
    if isinstance(to_replace, dict):
        return list(to_replace.items())
    if value is _NO_VALUE:
        raise PySparkTypeError(
            "[ARGUMENT_REQUIRED] Argument `value` is required when argument `to_replace` is not "
            "a dictionary.",
            "ARGUMENT_REQUIRED",
        )
    keys = list(to_replace) if isinstance(to_replace, list | tuple) else [to_replace]
    if isinstance(value, list | tuple):
        if len(value) != len(keys):
            from kaspar.errors import PySparkValueError

            raise PySparkValueError(
                "[LENGTH_SHOULD_BE_THE_SAME] to_replace and value should be of the same length, "
                f"got {len(keys)} and {len(value)}.",
                "LENGTH_SHOULD_BE_THE_SAME",
            )
        return list(zip(keys, value, strict=True))
    return [(k, value) for k in keys]
